"""Database helpers shared by the apps."""

from django.db import connection


def pg_binary_rows(sql: str, params) -> list:
    """Rows of a read-only statement in psycopg's binary format (floats and ints parsed in C).

    PostgreSQL only: callers keep an ORM path for other databases (SQLite in development and tests).
    """
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()

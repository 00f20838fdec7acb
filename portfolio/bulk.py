"""Fast inserts for the bulk paths (replays, imports): tens of thousands of rows at a time.

``QuerySet.bulk_create`` prepares every value through several layers of field methods; for
100,000 ledger rows that is most of a rebuild's time. Here values are already the right Python
types (``Decimal``, aware ``datetime``, ids):

- PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3); when ids are needed they are drawn from the
  table's identity sequence first and copied in explicitly;
- other backends (SQLite): multi-row ``INSERT ... VALUES`` with ``RETURNING id`` when asked.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection

MAX_PARAMS = 30_000  # under SQLite's 32,766 bound variables and well within PostgreSQL's


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence], *, returning: bool = False) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order, attnames such as ``asset_id``); ids if ``returning``."""
    if not columns:
        return []
    if connection.vendor == "postgresql":
        return _copy_rows(model, columns, rows, returning=returning)
    return _insert_values(model, columns, rows, returning=returning)


def _copy_rows(model, columns, rows, *, returning):
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    rows = list(rows)
    ids: list[int] = []
    names = [quote(opts.get_field(_field_name(opts, c)).column) for c in columns]
    with connection.cursor() as cursor:
        if returning and rows:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            names = [quote(opts.pk.column), *names]
            rows = ([pk, *row] for pk, row in zip(ids, rows, strict=True))
        with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return ids


def _insert_values(model, columns, rows, *, returning):
    opts = model._meta
    table = connection.ops.quote_name(opts.db_table)
    names = ", ".join(connection.ops.quote_name(opts.get_field(_field_name(opts, c)).column) for c in columns)
    suffix = f" RETURNING {connection.ops.quote_name(opts.pk.column)}" if returning else ""
    per_batch = max(1, MAX_PARAMS // len(columns))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    adapt = connection.ops.adapt_datetimefield_value
    ids: list[int] = []
    batch: list = []

    def flush():
        if not batch:
            return
        values = ", ".join([placeholder] * (len(batch) // len(columns)))
        # Only quoted identifiers and placeholders are interpolated; values are bound parameters.
        sql = f"INSERT INTO {table} ({names}) VALUES {values}{suffix}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, batch)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
        batch.clear()

    for count, row in enumerate(rows, start=1):
        batch.extend(adapt(v) if isinstance(v, datetime) else v for v in row)
        if count % per_batch == 0:
            flush()
    flush()
    return ids


def _field_name(opts, column: str) -> str:
    """``asset_id`` → ``asset``; plain names pass through."""
    for field in opts.concrete_fields:
        if field.attname == column:
            return field.name
    return column


def insert_objects(model, objects: Sequence, *, returning: bool = False) -> None:
    """Insert unsaved model instances (every concrete field but the pk); sets their pk if ``returning``."""
    from django.utils import timezone

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    columns = [f.attname for f in fields]
    ids = insert_rows(model, columns, ([getattr(o, c) for c in columns] for o in objects), returning=returning)
    if returning:
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False

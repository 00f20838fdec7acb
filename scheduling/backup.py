"""Logical backups of the database to storage, retention by count, and restore.

PostgreSQL: ``pg_dump --format=custom`` (compressed) →
``backups/AAAA/MM/exitus-AAAAMMDD-HHMMSS.pgdump``. Other databases (the SQLite first run):
Django's ``dumpdata`` in XML (the JSON serializer rounds times to milliseconds; XML keeps
microseconds), gzipped → ``...xml.gz``. The password reaches pg_dump/pg_restore through
``PGPASSWORD`` in their environment, never on a command line or in a log.
"""

import gzip
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

PG_SUFFIX = ".pgdump"
DUMPDATA_SUFFIX = ".xml.gz"
# Rows Django recreates by itself (migrate / post_migrate) or that are transient.
DUMPDATA_EXCLUDE = ["contenttypes", "auth.permission", "sessions", "django_celery_beat.periodictasks"]


@dataclass(frozen=True)
class BackupInfo:
    key: str
    size: int


def _pg_env_and_args():
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return env, args


def _run(command, env):
    # Fixed executables and arguments built from settings, never from user input.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} falhou: {result.stderr.strip()[-500:]}")


def _dump_to(path: Path, suffix):
    if suffix == PG_SUFFIX:
        env, args = _pg_env_and_args()
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(path), *args], env)
        return
    with gzip.open(path, "wt", encoding="utf-8") as out:
        call_command(
            "dumpdata",
            # Natural keys only for references to content types and permissions (recreated
            # by migrate with other ids); every row keeps its own primary key.
            "--natural-foreign",
            "--format=xml",
            *[f"--exclude={label}" for label in DUMPDATA_EXCLUDE],
            stdout=out,
        )


def list_backups():
    """Backups in storage, oldest first (keys sort by their timestamp)."""
    keys = []

    def walk(folder):
        dirs, files = default_storage.listdir(folder)
        for name in files:
            if name.endswith((PG_SUFFIX, DUMPDATA_SUFFIX)):
                keys.append(f"{folder}/{name}")
        for sub in dirs:
            walk(f"{folder}/{sub}")

    if default_storage.exists(settings.BACKUP_PREFIX) or not hasattr(default_storage, "path"):
        try:
            walk(settings.BACKUP_PREFIX)
        except FileNotFoundError:
            return []
    return sorted(keys, key=lambda key: key.rsplit("/", 1)[-1])


def backup_create(*, keep=None):
    """Dump the database into storage and prune old backups. Returns a dict of counts."""
    keep = keep or settings.BACKUP_KEEP
    suffix = PG_SUFFIX if connection.vendor == "postgresql" else DUMPDATA_SUFFIX
    stamp = timezone.localtime()
    key = f"{settings.BACKUP_PREFIX}/{stamp:%Y/%m}/exitus-{stamp:%Y%m%d-%H%M%S}{suffix}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"dump{suffix}"
        _dump_to(path, suffix)
        size = path.stat().st_size
        with path.open("rb") as handle:
            key = default_storage.save(key, File(handle))
    pruned = backup_prune(keep=keep)
    return {"key": key, "bytes": size, "kept": keep, "pruned": len(pruned)}


def backup_prune(*, keep):
    backups = list_backups()
    doomed = backups[:-keep] if keep and len(backups) > keep else []
    for key in doomed:
        default_storage.delete(key)
    return doomed


def _database_is_empty():
    """No user tables at all, or tables with no users in them."""
    tables = connection.introspection.table_names()
    if not tables:
        return True
    from accounts.models import User

    return "accounts_user" in tables and not User.objects.exists()


def backup_restore(key, *, force=False):
    """Restore ``key`` into this (empty) database. ``force`` restores over existing data."""
    if not default_storage.exists(key):
        raise ValidationError(_("Backup não encontrado: %(key)s") % {"key": key})
    if not force and not _database_is_empty():
        raise ValidationError(_("O banco de dados não está vazio; use --force para restaurar por cima."))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(key).name
        with default_storage.open(key, "rb") as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        if key.endswith(PG_SUFFIX):
            if connection.vendor != "postgresql":
                raise ValidationError(_("Um dump do PostgreSQL só pode ser restaurado em PostgreSQL."))
            connection.close()
            env, args = _pg_env_and_args()
            options = ["--no-owner", "--no-acl", "--clean", "--if-exists", "--single-transaction"]
            _run(["pg_restore", *options, *args, str(path)], env)
            return {"key": key, "format": "pg_dump"}
        plain = Path(tmp) / "restore.xml"
        with gzip.open(path, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        call_command("migrate", verbosity=0, interactive=False)
        if force:
            call_command("flush", verbosity=0, interactive=False)
        call_command("loaddata", str(plain), verbosity=0)
        return {"key": key, "format": "dumpdata"}

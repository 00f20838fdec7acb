"""Backup round trip: seed → backup → wipe → restore → same counts and same checksums."""

import hashlib
import json

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from scheduling import backup
from scheduling.services import periodic_tasks_setup

KEY_TABLES = [
    "accounts.User",
    "auth.Group",
    "django_celery_beat.PeriodicTask",
    "portfolio.Broker",
    "portfolio.Asset",
    "portfolio.Transaction",
    "portfolio.Position",
    "portfolio.Dividend",
    "billing_rpa.Carrier",
    "billing_rpa.BillingClient",
]


def fingerprint():
    """Row count and a checksum of every key table's rows, in primary-key order."""
    result = {}
    for label in KEY_TABLES:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in ("updated_at", "date_changed")]
        rows = list(model.objects.order_by("pk").values_list(*fields))
        digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
        result[label] = (len(rows), digest)
    return result


def seed():
    call_command("seed_demo", verbosity=0)
    periodic_tasks_setup()


@pytest.mark.django_db(transaction=True)
def test_backup_round_trip_restores_the_same_data(settings):
    settings.BACKUP_KEEP = 5
    seed()
    before = fingerprint()
    assert before["accounts.User"][0] >= 5

    result = backup.backup_create()
    assert default_storage.exists(result["key"])
    assert result["key"].startswith("backups/")
    assert result["bytes"] > 0

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a truly empty database: no tables at all
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        connection.close()
        assert result["key"].endswith(".pgdump")
    else:
        call_command("flush", verbosity=0, interactive=False)
        assert result["key"].endswith(".xml.gz")

    backup.backup_restore(result["key"])
    assert fingerprint() == before


@pytest.mark.django_db
def test_restore_refuses_a_database_with_data(user):
    key = backup.backup_create()["key"]
    with pytest.raises(Exception, match="não está vazio"):
        backup.backup_restore(key)


@pytest.mark.django_db
def test_restore_of_a_missing_key_is_a_clear_error():
    with pytest.raises(Exception, match="não encontrado"):
        backup.backup_restore("backups/2020/01/nao-existe.xml.gz")


@pytest.mark.django_db
def test_retention_keeps_the_newest_backups(settings, monkeypatch):
    stamps = iter(range(10))

    def fake_localtime(*args, **kwargs):
        from datetime import datetime
        from zoneinfo import ZoneInfo

        return datetime(2026, 11, 1, 3, 0, next(stamps), tzinfo=ZoneInfo("America/Sao_Paulo"))

    monkeypatch.setattr(backup.timezone, "localtime", fake_localtime)
    keys = [backup.backup_create(keep=3)["key"] for _ in range(5)]
    assert backup.list_backups() == keys[-3:]
    assert not default_storage.exists(keys[0])


@pytest.mark.django_db
def test_restore_command_lists_backups(capsys):
    key = backup.backup_create()["key"]
    call_command("restore_backup")
    assert key in capsys.readouterr().out

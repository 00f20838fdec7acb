import pytest
from django.conf import settings
from django.db.utils import OperationalError

from exitus import health


@pytest.mark.django_db
def test_health_reports_every_check(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == settings.EXITUS_VERSION
    assert {"database", "cache", "broker", "storage"} <= set(body["checks"])
    assert all(body["checks"][name] == "ok" for name in ("database", "cache", "broker", "storage"))


@pytest.mark.django_db
def test_health_is_503_and_names_the_database_when_unreachable(client, monkeypatch):
    class DeadConnection:
        def cursor(self):
            raise OperationalError('connection to server at "db.internal" failed: password=hunter2')

    monkeypatch.setattr(health, "connection", DeadConnection())
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["status"] == "error"
    # The failure is named, its text (hosts, credentials) is not echoed.
    assert "hunter2" not in response.content.decode()
    assert "db.internal" not in response.content.decode()


@pytest.mark.django_db
def test_health_never_shows_secrets(client):
    text = client.get("/health/").content.decode()
    assert settings.SECRET_KEY not in text
    assert "password" not in text.lower()


@pytest.mark.django_db
def test_health_storage_failure_is_503(client, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(health.default_storage, "save", broken_save)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]

"""Safe by default: demo data needs DEBUG, and a deployment check catches demo passwords."""

import importlib

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import demo
from accounts.models import User

pytestmark = pytest.mark.django_db


def deploy_errors():
    return [m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])]


def test_check_deploy_fails_while_a_demo_account_keeps_its_demo_password(settings):
    settings.DEBUG = False
    assert "exitus.E001" not in deploy_errors()
    demo.load()
    assert "exitus.E001" in deploy_errors()
    for user in User.objects.all():
        user.set_password("uma-senha-que-so-o-dono-sabe")
        user.save()
    assert "exitus.E001" not in deploy_errors()


def test_demo_passwords_are_fine_in_development(settings):
    settings.DEBUG = True
    demo.load()
    assert "exitus.E001" not in deploy_errors()


def test_demo_seed_is_off_unless_debug(monkeypatch):
    import environ

    import exitus.settings as project_settings

    monkeypatch.setattr(environ.Env, "read_env", staticmethod(lambda *a, **k: None))  # a developer's .env

    for name in ("DEBUG", "TESTING", "ALLOW_DEMO_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TESTING", "false")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("BILLING_FERNET_KEYS", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=")
    try:
        assert importlib.reload(project_settings).ALLOW_DEMO_SEED is False
        monkeypatch.setenv("DEBUG", "true")
        assert importlib.reload(project_settings).ALLOW_DEMO_SEED is True
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


def test_seed_demo_refuses_synthetic_prices_in_live_quotes_mode(settings):
    settings.QUOTES_MODE = "live"
    with pytest.raises(CommandError, match="QUOTES_MODE=live"):
        call_command("seed_demo")
    assert not User.objects.exists()  # nothing half-loaded

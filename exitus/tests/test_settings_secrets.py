"""Without secrets and with DEBUG off, the project refuses to start — except for the commands that
only compare the models with the migration files, which a fresh clone must be able to run."""

import os
import subprocess
import sys

from django.conf import settings

# Set empty rather than removed: a developer's .env (read outside tests) never overrides a variable
# that is already set, so the command sees no secrets even in a checkout where `make run` wrote one.
NO_SECRETS = {"SECRET_KEY": "", "BILLING_FERNET_KEYS": "", "DEBUG": "false", "TESTING": "false"}


def manage(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("PYTEST")}
    env.update(NO_SECRETS)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_makemigrations_check_runs_without_secrets():
    done = manage("makemigrations", "--check", "--dry-run")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "No changes detected" in done.stdout


def test_any_other_command_refuses_to_start_without_secrets():
    done = manage("check")
    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in done.stderr

"""Demo users for development (the seed's table of test credentials).

Passwords are set directly (``set_password``): the demo's ``user123`` is shorter than
the minimum length enforced on real sign-ups, on purpose, to match the seed.
"""

import importlib
import json

from django.conf import settings
from django.db import transaction

from .choices import Role
from .models import User


def app_demo_modules():
    """Each local app's ``demo`` module, in the order of ``LOCAL_APPS`` (apps without one are skipped)."""
    for app in settings.LOCAL_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"{app}.demo":
                continue
            raise
        yield app, module


def demo_users():
    return json.loads((settings.FIXTURES_DIR / "users.json").read_text(encoding="utf-8"))


def demo_logins():
    """``(username, password, what)`` of each demo user, for ``dev_banner``."""
    return [(row["username"], row["password"], row["role"]) for row in demo_users()]


@transaction.atomic
def load(*, stdout=None):
    """Create or refresh the demo users. Idempotent: a second run changes nothing."""
    created = 0
    for row in demo_users():
        # By username, else by e-mail (someone renamed a demo user): never a second account.
        user = (
            User.objects.filter(username__iexact=row["username"]).first()
            or User.objects.filter(email__iexact=row["email"]).first()
        )
        if user is None:
            user = User(username=row["username"])
            created += 1
        user.username = row["username"]
        user.email = row["email"]
        user.full_name = row["full_name"]
        user.role = row["role"]
        user.is_active = True
        user.is_superuser = user.is_staff = row["role"] == Role.ADMIN
        if not user.has_usable_password() or not user.check_password(row["password"]):
            user.set_password(row["password"])
        user.save()
    return {"users": created}

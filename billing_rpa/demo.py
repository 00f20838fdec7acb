"""Demo data for billing: the staff groups, carriers, ~20 clients from ``fixtures/billing_clients.csv``,
the ``aprovador`` / ``operador`` staff users (password ``user123``) and this month's processes.

Idempotent: a second run creates nothing. Called by ``manage.py seed_demo``.
"""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import importers, services
from .choices import BillingGroup
from .groups import ensure_billing_groups
from .models import Carrier

DEMO_PASSWORD = "user123"
DEMO_STAFF = [
    {
        "username": "aprovador",
        "email": "aprovador@exitus.local",
        "full_name": "Ana Aprovadora",
        "group": BillingGroup.APROVADOR,
    },
    {
        "username": "operador",
        "email": "operador@exitus.local",
        "full_name": "Otávio Operador",
        "group": BillingGroup.OPERADOR,
    },
]


def demo_logins():
    """``(username, password, what)`` of the demo staff, for ``dev_banner``."""
    return [(row["username"], DEMO_PASSWORD, f"USER, grupo {row['group']}") for row in DEMO_STAFF]


def _carriers() -> int:
    created = 0
    rows = json.loads((settings.FIXTURES_DIR / "billing_carriers.json").read_text(encoding="utf-8"))
    for row in rows:
        if Carrier.objects.filter(code=row["code"]).exists():
            continue  # keep what operators changed
        services.carrier_save(data=row, actor=None)
        created += 1
    return created


def _staff() -> int:
    user_model = get_user_model()
    created = 0
    for row in DEMO_STAFF:
        user = user_model.objects.filter(username__iexact=row["username"]).first()
        if user is None:
            user = user_model(username=row["username"], email=row["email"], full_name=row["full_name"])
            created += 1
        user.is_active = True
        user.is_staff = True
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=row["group"]))
    return created


@transaction.atomic
def load(*, stdout=None) -> dict:
    ensure_billing_groups()
    carriers = _carriers()
    report = importers.clients_import_csv(raw=(settings.FIXTURES_DIR / "billing_clients.csv").read_bytes())
    if report["counts"].get("error") and stdout is not None:
        stdout.write(f"billing_rpa: {report['counts']['error']} linhas do CSV de demonstração com erro")
    staff = _staff()
    month = services.process_create_month()
    return {
        "carriers": carriers,
        "billing_clients": report["counts"].get("created", 0),
        "billing_staff": staff,
        "invoice_processes": month["created"],
    }

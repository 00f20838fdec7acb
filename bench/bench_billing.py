#!/usr/bin/env python
"""Billing benchmarks: create a month's processes for 10,000 clients (≤ 5 s, second run creates
nothing) and dispatch their downloads to the broker.

Run against an already-migrated database (PostgreSQL in `make bench`)::

    DJANGO_SETTINGS_MODULE=exitus.settings DATABASE_URL=postgres://... python bench/bench_billing.py

Prints one JSON line per benchmark. Everything it creates (a ``BENCH`` carrier, its clients,
their processes and executions) is deleted at the end. The dispatched ``start_execution``
tasks left in the broker are harmless: their executions no longer exist, so they do nothing.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")
if not (os.environ.get("DEBUG") or os.environ.get("TESTING") or os.environ.get("SECRET_KEY")):
    os.environ["SECRET_KEY"] = os.urandom(32).hex()  # throwaway, this process only
if not os.environ.get("BILLING_FERNET_KEYS"):
    import base64

    os.environ["BILLING_FERNET_KEYS"] = base64.urlsafe_b64encode(os.urandom(32)).decode()

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from billing_rpa import services  # noqa: E402
from billing_rpa.models import BillingClient, Carrier, Execution, InvoiceProcess  # noqa: E402
from billing_rpa.validators import _check_digit  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_BILLING_CLIENTS", "10000"))
MONTH = "01/2099"  # a month nobody else uses
CARRIER = "BENCH"


def cnpj(n: int) -> str:
    base = f"{90000000 + n:08d}0001"
    first = _check_digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _check_digit(base + first, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return base + first + second


def emit(name, seconds, target, **extra):
    ok = seconds <= target and extra.pop("valid", True)
    line = {"bench": name, "seconds": round(seconds, 3), "target_seconds": target, "ok": ok, **extra}
    print(json.dumps(line), flush=True)
    return ok


def cleanup():
    carrier = Carrier.objects.filter(code=CARRIER).first()
    with transaction.atomic():
        Execution.objects.filter(process__month=MONTH).delete()
        InvoiceProcess.objects.filter(month=MONTH).delete()
        if carrier is not None:
            BillingClient.objects.filter(carrier=carrier).delete()
            carrier.delete()


def seed():
    carrier = Carrier.objects.create(code=CARRIER, name="Bench Carrier", has_robot=True, robot_class="bench")
    clients = []
    for n in range(CLIENTS):
        number = cnpj(n)
        clients.append(
            BillingClient(
                legal_name=f"Cliente Bench {n}",
                cnpj=number,
                carrier=carrier,
                unit="Matriz",
                service="MOVEL",
                unique_hash=services.client_unique_hash(
                    cnpj=number, carrier_id=carrier.pk, unit="Matriz", service="MOVEL"
                ),
            )
        )
    BillingClient.objects.bulk_create(clients, batch_size=2000)


def main() -> int:
    cleanup()
    started = time.perf_counter()
    seed()
    seeded = time.perf_counter() - started
    results = []
    try:
        started = time.perf_counter()
        first = services.process_create_month(month=MONTH)
        elapsed = time.perf_counter() - started
        results.append(
            emit(
                "billing.create_month_10k",
                elapsed,
                5,
                clients=CLIENTS,
                created=first["created"],
                existing=first["existing"],
                valid=first["created"] >= CLIENTS,
                seed_seconds=round(seeded, 3),
                db=connection.vendor,
            )
        )
        started = time.perf_counter()
        second = services.process_create_month(month=MONTH)
        elapsed = time.perf_counter() - started
        results.append(
            emit(
                "billing.create_month_10k_second_run",
                elapsed,
                5,
                created=second["created"],
                existing=second["existing"],
                valid=second["created"] == 0,
                db=connection.vendor,
            )
        )
        started = time.perf_counter()
        dispatched = services.processes_dispatch_downloads(carrier=CARRIER)
        elapsed = time.perf_counter() - started
        from django.conf import settings

        results.append(
            emit(
                "billing.dispatch_downloads_10k",
                elapsed,
                30,
                dispatched=dispatched["dispatched"],
                valid=dispatched["dispatched"] == CLIENTS,
                broker=settings.CELERY_BROKER_URL.split("://", 1)[0],
                db=connection.vendor,
            )
        )
    finally:
        cleanup()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

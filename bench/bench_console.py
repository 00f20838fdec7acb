"""The admin console with 10,000 processes in the month: the home page and the month overview.

Target (PRODUCT.md, issue 12 §10): median server time ≤ 3 × the p50 of the trivial JWT endpoint
(``auth/me/``) measured in the same run. *Server time* is what one request costs the server: wrk
with one connection, so the median is not the queue of 32 clients in front of 3 workers. The
same pages under the baseline's load shape (32 connections) are reported beside it, without a
target: a page that aggregates 10,000 rows costs tens of milliseconds where ``auth/me/`` costs
two, and under 32 clients that difference is multiplied by the queue.

The month is the current one (the home page shows this month). Its processes are spread over
five carriers and every status; 2,000 of them have robot executions (failed, retrying, running,
completed), so the current-step counts and lateness have real rows to look at. Everything the
bench creates is deleted at the end.
"""

import random
from datetime import timedelta
from decimal import Decimal

CLIENTS = 10_000
CARRIERS = ("BVIVO", "BOI", "BTIM", "BCLARO", "BEMBR")
TARGET_RATIO = 3.0


def _cnpj(n: int) -> str:
    from bench.bench_billing import cnpj

    return cnpj(50_000 + n)  # a range bench_billing's own clients never use


def cleanup():
    from billing_rpa.models import BillingClient, Carrier, Execution, InvoiceProcess

    carriers = Carrier.objects.filter(code__in=CARRIERS)
    Execution.objects.filter(process__client__carrier__in=carriers).delete()
    InvoiceProcess.objects.filter(client__carrier__in=carriers).delete()
    BillingClient.objects.filter(carrier__in=carriers).delete()
    carriers.delete()


def seed():
    from django.utils import timezone

    from billing_rpa import services
    from billing_rpa.choices import ErrorKind, ExecutionKind, ExecutionStatus, ProcessStatus
    from billing_rpa.models import BillingClient, Carrier, Execution, InvoiceProcess
    from billing_rpa.validators import parse_month

    month = services.current_month()
    period = parse_month(month)
    rng = random.Random(12)
    carriers = [Carrier.objects.create(code=code, name=f"Bench {code}", robot_class="bench") for code in CARRIERS]
    clients = []
    for n in range(CLIENTS):
        carrier = carriers[n % len(carriers)]
        number = _cnpj(n)
        clients.append(
            BillingClient(
                legal_name=f"Cliente Console {n}",
                cnpj=number,
                carrier=carrier,
                unit=f"Unidade {n % 7}",
                service="MOVEL",
                unique_hash=services.client_unique_hash(
                    cnpj=number, carrier_id=carrier.pk, unit=f"Unidade {n % 7}", service="MOVEL"
                ),
            )
        )
    BillingClient.objects.bulk_create(clients, batch_size=2000)
    statuses = list(ProcessStatus)
    today = timezone.localdate()
    processes = [
        InvoiceProcess(
            client=client,
            month=month,
            period=period,
            status=statuses[n % len(statuses)],
            amount=Decimal(rng.randrange(5_000, 900_000)) / 100,
            due_date=today + timedelta(days=rng.randrange(-20, 20)),
        )
        for n, client in enumerate(clients)
    ]
    InvoiceProcess.objects.bulk_create(processes, batch_size=2000)
    now = timezone.now()
    downloads = [p for p in processes if p.status == ProcessStatus.AGUARDANDO_DOWNLOAD][:2000]
    executions = []
    for n, process in enumerate(downloads):
        status, retries = [
            (ExecutionStatus.FALHOU, 0),
            (ExecutionStatus.EXECUTANDO, 1),
            (ExecutionStatus.EXECUTANDO, 0),
            (ExecutionStatus.TIMEOUT, 2),
        ][n % 4]
        running = status == ExecutionStatus.EXECUTANDO
        executions.append(
            Execution(
                process=process,
                kind=ExecutionKind.DOWNLOAD_FATURA,
                status=status,
                attempt=retries + 1,
                auto_retries=retries,
                error_kind="" if running else ErrorKind.SYSTEM,
                error_data={} if running else {"error": "SISTEMA: portal fora do ar"},
                started_at=now - timedelta(minutes=5),
                finished_at=None if running else now - timedelta(minutes=1),
                next_poll_at=now + timedelta(hours=1) if running else None,
            )
        )
    Execution.objects.bulk_create(executions, batch_size=2000)
    return month


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def run(ctx):
    from urllib.parse import quote

    from billing_rpa.models import InvoiceProcess

    cleanup()
    results = []
    try:
        month = seed()
        in_month = InvoiceProcess.objects.filter(month=month).count()
        admin = ctx.create_user("bench.console", role="ADMIN")
        cookie = _session_cookie(admin)
        baseline_p50 = ctx.baseline["p50_ms"]
        pages = {
            "console.admin_home_10k": "/admin/",
            "console.month_overview_10k": f"/admin/billing_rpa/invoiceprocess/overview/?month={quote(month, safe='')}",
        }
        for name, path in pages.items():
            ctx.warm_up(path, token="", cookie=cookie)
            figures = ctx.load(path, token="", cookie=cookie, connections=1, threads=1)
            ratio = figures["p50_ms"] / baseline_p50 if baseline_p50 else None
            clean = figures["non_2xx"] == 0 and figures["errors"] == 0
            results.append(
                ctx.result(
                    name,
                    ok=clean and ratio is not None and ratio <= TARGET_RATIO,
                    **figures,
                    processes_in_month=in_month,
                    baseline_p50_ms=baseline_p50,
                    ratio_to_baseline_p50=round(ratio, 2) if ratio is not None else None,
                    target=f"median server time (1 connection) <= {TARGET_RATIO} x baseline p50",
                )
            )
            loaded = ctx.load(path, token="", cookie=cookie)
            results.append(
                ctx.result(
                    f"{name}_{loaded['connections']}_clients",
                    ok=loaded["non_2xx"] == 0 and loaded["errors"] == 0,
                    **loaded,
                    target="reported (the baseline's load shape; no target)",
                )
            )
    finally:
        cleanup()
    return results

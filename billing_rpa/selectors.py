"""Reads of billing_rpa: who may see what, ready-to-run processes, lateness, the monthly report."""

import csv
import io
import operator
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    FINAL_FAILURE_STATUSES,
    KIND_SOURCE_STATUS,
    ExecutionKind,
    ExecutionStatus,
    ProcessStatus,
)
from .models import BillingClient, BillingNotification, Carrier, Execution, ExecutionLogLine, InvoiceProcess
from .validators import month_label, parse_month

PERM_APPROVE = "billing_rpa.approve_invoices"
PERM_OPERATE = "billing_rpa.operate_robots"
PERM_UPLOAD = "billing_rpa.upload_invoices"
BILLING_PERMS = (PERM_APPROVE, PERM_OPERATE, PERM_UPLOAD)


def can_see_billing(user) -> bool:
    """Billing staff (Aprovador, Operador) and ADMIN. Investors and viewers never see billing data."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(user.has_perm(perm) for perm in BILLING_PERMS)


def _scoped(queryset, viewer):
    return queryset if can_see_billing(viewer) else queryset.none()


def carrier_list(*, viewer):
    return _scoped(Carrier.objects.annotate(client_count=Count("clients")), viewer)


def client_list(*, viewer):
    return _scoped(BillingClient.objects.select_related("carrier"), viewer)


def process_list(*, viewer):
    return _scoped(
        InvoiceProcess.objects.select_related("client__carrier", "approved_by").annotate(is_late=late_expression()),
        viewer,
    )


def execution_list(*, viewer):
    return _scoped(Execution.objects.select_related("process__client__carrier", "triggered_by"), viewer)


def execution_log_lines(*, execution, after=0, limit=1000):
    return ExecutionLogLine.objects.filter(execution=execution, seq__gt=after).order_by("seq")[:limit]


def notification_list(*, viewer):
    queryset = BillingNotification.objects.select_related("process__client", "execution")
    if not can_see_billing(viewer):
        return queryset.none()
    if viewer.is_superuser:
        return queryset
    audiences = []
    if viewer.has_perm(PERM_APPROVE):
        audiences.append("Aprovador")
    if viewer.has_perm(PERM_OPERATE) or viewer.has_perm(PERM_UPLOAD):
        audiences.append("Operador")
    return queryset.filter(audience__in=audiences)


# --- lateness -------------------------------------------------------------------


def late_cutoff(today=None):
    """Processes whose month began before this date are late (month over + grace days)."""
    today = today or timezone.localdate()
    limit = today - timedelta(days=settings.BILLING_LATE_AFTER_DAYS)
    # The month must have ended before `limit`: its first day is before the first of limit's month.
    return limit.replace(day=1)


def late_q(today=None) -> Q:
    """Not finished, and either past the invoice's due date or long after its month."""
    today = today or timezone.localdate()
    return ~Q(status=ProcessStatus.UPLOAD_REALIZADO) & (Q(period__lt=late_cutoff(today)) | Q(due_date__lt=today))


def late_expression(today=None):
    return ExpressionWrapper(late_q(today), output_field=BooleanField())


def late_processes(*, month=None):
    queryset = InvoiceProcess.objects.filter(late_q()).select_related("client__carrier")
    if month:
        queryset = queryset.filter(month=month)
    return queryset.order_by("period", "client__legal_name")


# --- what the robots should pick up ------------------------------------------------


# The "robot ready" rule: what a process needs before a robot may run ``kind`` for it, as
# (refusal code, condition on the process, refusal message). The scheduled dispatch filters on
# the conditions; a person's request is refused with the first one that fails.
ROBOT_READY = {
    ExecutionKind.DOWNLOAD_FATURA: (
        ("client_inactive", Q(client__active=True), _("Cliente inativo.")),
        (
            "no_robot",
            Q(client__carrier__active=True, client__carrier__has_robot=True),
            _("A operadora %(carrier)s não tem robô ativo: envie a fatura manualmente."),
        ),
    ),
    ExecutionKind.UPLOAD_SAT: (("no_invoice", ~Q(invoice_key=""), _("O processo não tem fatura armazenada.")),),
}


def robot_ready_q(kind) -> Q:
    """Processes a robot may run ``kind`` for (client, carrier and invoice permitting)."""
    return reduce(operator.and_, (condition for _code, condition, _message in ROBOT_READY[kind]))


def robot_not_ready(process, kind) -> tuple[str, str] | None:
    """Why a robot may not run ``kind`` for ``process`` now, as ``(code, message)``; ``None`` if it may."""
    rules = ROBOT_READY[kind]
    checks = {code: ExpressionWrapper(condition, output_field=BooleanField()) for code, condition, _m in rules}
    passed = InvoiceProcess.objects.filter(pk=process.pk).values(**checks).get()
    for code, _condition, message in rules:
        if not passed[code]:
            return code, str(message) % {"carrier": process.client.carrier.code}
    return None


def executions_running():
    """The "already running" rule: a process with an ``EXECUTANDO`` execution takes no other step."""
    return Execution.objects.filter(status=ExecutionStatus.EXECUTANDO)


def process_is_busy(process_id) -> bool:
    return executions_running().filter(process_id=process_id).exists()


def processes_ready_for_robot(*, kind, carrier=None):
    """Processes waiting for ``kind`` with nothing running and no failed chain awaiting a person.

    A step whose last attempt failed for good (FALHOU, TIMEOUT, CANCELADO) is left for an
    operator to retry by hand; it is not re-dispatched on every scheduled run.
    """
    latest_status = (
        Execution.objects.filter(process=OuterRef("pk"), kind=kind).order_by("-attempt").values("status")[:1]
    )
    queryset = (
        InvoiceProcess.objects.filter(status=KIND_SOURCE_STATUS[kind])
        .annotate(
            running=Exists(executions_running().filter(process=OuterRef("pk"))),
            last_status=Subquery(latest_status),
        )
        .filter(running=False)
        .filter(Q(last_status__isnull=True) | ~Q(last_status__in=FINAL_FAILURE_STATUSES))
        .filter(robot_ready_q(kind))
    )
    if carrier:
        queryset = queryset.filter(client__carrier__code__iexact=carrier)
    return queryset


# --- the monthly report -------------------------------------------------------------


def monthly_report(month: str) -> dict:
    """Totals of ``month`` (``MM/AAAA``) by status and by carrier, and the late processes."""
    parse_month(month)
    processes = InvoiceProcess.objects.filter(month=month)
    statuses = list(ProcessStatus.values)
    by_status = dict.fromkeys(statuses, 0)
    for row in processes.values("status").annotate(n=Count("pk")):
        by_status[row["status"]] = row["n"]
    carriers = {}
    for row in processes.values("client__carrier__code", "client__carrier__name", "status").annotate(
        n=Count("pk"), amount=Sum("amount")
    ):
        entry = carriers.setdefault(
            row["client__carrier__code"],
            {
                "carrier": row["client__carrier__code"],
                "name": row["client__carrier__name"],
                "total": 0,
                "amount": 0,
                "by_status": dict.fromkeys(statuses, 0),
            },
        )
        entry["total"] += row["n"]
        entry["amount"] += row["amount"] or 0
        entry["by_status"][row["status"]] = row["n"]
    late = [
        {
            "id": process.pk,
            "client": process.client.legal_name,
            "cnpj": process.client.cnpj,
            "carrier": process.client.carrier.code,
            "status": process.status,
            "due_date": process.due_date,
        }
        for process in late_processes(month=month)[:500]
    ]
    totals = processes.aggregate(amount=Sum("amount"))
    return {
        "month": month,
        "total": sum(by_status.values()),
        "amount": totals["amount"] or 0,
        "by_status": by_status,
        "by_carrier": [carriers[code] for code in sorted(carriers)],
        "late_count": late_processes(month=month).count(),
        "late": late,
    }


def monthly_report_csv(report: dict) -> str:
    """The report as CSV (``;``-separated for Brazilian spreadsheets): one row per carrier, then a total."""
    statuses = list(ProcessStatus.values)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["mes_ano", "operadora", "nome", "total", *statuses, "valor_total"])
    for entry in report["by_carrier"]:
        writer.writerow(
            [
                report["month"],
                entry["carrier"],
                entry["name"],
                entry["total"],
                *(entry["by_status"][s] for s in statuses),
                f"{entry['amount']:.2f}",
            ]
        )
    writer.writerow(
        [
            report["month"],
            "TOTAL",
            "",
            report["total"],
            *(report["by_status"][s] for s in statuses),
            f"{report['amount']:.2f}",
        ]
    )
    writer.writerow([])
    writer.writerow(["atrasados", report["late_count"]])
    writer.writerow(["id", "cliente", "cnpj", "operadora", "status", "vencimento"])
    for item in report["late"]:
        writer.writerow(
            [item["id"], item["client"], item["cnpj"], item["carrier"], item["status"], item["due_date"] or ""]
        )
    return buffer.getvalue()


def month_overview(month=None) -> dict:
    """For the admin's month page: the report plus the neighbouring months."""
    month = month or month_label(timezone.localdate())
    report = monthly_report(month)
    report["months"] = list(InvoiceProcess.objects.order_by("-period").values_list("month", flat=True).distinct()[:24])
    return report


# --- who gets told ----------------------------------------------------------------


def staff_emails(*, perm_codename) -> list[str]:
    user_model = get_user_model()
    users = (
        user_model.objects.filter(is_active=True)
        .filter(Q(groups__permissions__codename=perm_codename) | Q(user_permissions__codename=perm_codename))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(users))

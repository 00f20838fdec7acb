"""Reads of billing_rpa: who may see what, ready-to-run processes, lateness, the monthly report."""

import csv
import io
import operator
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    FINAL_FAILURE_STATUSES,
    KIND_SOURCE_STATUS,
    ROBOT_KINDS,
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
    # The SAT robot never receives an empty due date or amount (both required by SAT).
    ExecutionKind.UPLOAD_SAT: (
        ("no_invoice", ~Q(invoice_key=""), _("O processo não tem fatura armazenada.")),
        ("no_due_date", Q(due_date__isnull=False), _("A fatura não tem vencimento: informe-o antes de enviar ao SAT.")),
        ("no_amount", Q(amount__isnull=False), _("A fatura não tem valor: informe-o antes de enviar ao SAT.")),
    ),
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


# --- what a person may do now (the console's buttons, the same rule as the services) ----------


def user_has_billing_perm(user, perm) -> bool:
    """Billing staff rights: ``perm`` through a group, or a superuser; always an active staff member."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.has_perm(perm)


FINAL_FAILURES = (ExecutionStatus.FALHOU, ExecutionStatus.TIMEOUT, ExecutionStatus.CANCELADO)


def execution_retry_refusal(execution) -> tuple[str, str] | None:
    """Why ``execution`` may not be retried by hand now, as ``(code, message)``; ``None`` if it may.

    A retry repeats the latest attempt of a robot step that ended for good (failed, timed out or
    cancelled), while the process still waits for that step and nothing else runs for it.
    """
    if execution.kind not in ROBOT_KINDS:
        return "not_retryable", str(_("Uploads manuais não são repetidos."))
    if execution.status not in FINAL_FAILURES:
        return "not_retryable", str(_("Só é possível repetir execuções que falharam, expiraram ou foram canceladas."))
    latest = (
        Execution.objects.filter(process_id=execution.process_id, kind=execution.kind)
        .order_by("-attempt")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != execution.pk:
        return "not_latest", str(_("Já existe uma tentativa mais recente desta etapa."))
    return None


def process_retry_target(process) -> Execution | None:
    """The step a retry of ``process`` repeats: its latest robot execution (manual uploads are never
    repeated), or ``None``. Whether it may be retried is :func:`execution_retry_refusal`'s rule."""
    return process.executions.filter(kind__in=ROBOT_KINDS).order_by("-created_at", "-id").first()


def process_actions(process, user) -> list[str]:
    """The actions ``user`` may take on ``process`` in its current status, in display order.

    ``download``, ``upload``, ``approve``, ``reject``, ``send_to_sat``, ``retry``, ``cancel``:
    legal in the state machine (``choices.PROCESS_TRANSITIONS``), ready per ``ROBOT_READY``,
    nothing running that forbids it, and allowed to the user's group. The services apply the
    same rules when the action is taken (a stale page is refused there, never trusted).
    """
    operate = user_has_billing_perm(user, PERM_OPERATE)
    upload = user_has_billing_perm(user, PERM_UPLOAD)
    approve = user_has_billing_perm(user, PERM_APPROVE)
    running = executions_running().filter(process_id=process.pk).exists()
    actions = []
    status = process.status
    if status == ProcessStatus.AGUARDANDO_DOWNLOAD and not running:
        if operate and robot_not_ready(process, ExecutionKind.DOWNLOAD_FATURA) is None:
            actions.append("download")
        if upload:
            actions.append("upload")
    if status == ProcessStatus.AGUARDANDO_APROVACAO and approve:
        actions += ["approve", "reject"]
    if (
        status == ProcessStatus.AGUARDANDO_ENVIO_SAT
        and operate
        and not running
        and robot_not_ready(process, ExecutionKind.UPLOAD_SAT) is None
    ):
        actions.append("send_to_sat")
    if operate and not running:
        target = process_retry_target(process)
        if (
            target is not None
            and KIND_SOURCE_STATUS[target.kind] == status
            and execution_retry_refusal(target) is None
            and robot_not_ready(process, target.kind) is None
        ):
            actions.append("retry")
    if operate and running:
        actions.append("cancel")
    return actions


def execution_actions(execution, user) -> list[str]:
    """``cancel`` (a running step) and ``retry`` (the latest attempt that ended for good), if allowed."""
    if not user_has_billing_perm(user, PERM_OPERATE):
        return []
    if execution.status == ExecutionStatus.EXECUTANDO:
        return ["cancel"]
    process = execution.process
    if (
        execution_retry_refusal(execution) is None
        and KIND_SOURCE_STATUS[execution.kind] == process.status
        and not process_is_busy(process.pk)
    ):
        return ["retry"]
    return []


# --- the current step of a process (the list's column, the home page's counts) -----------


def _latest_execution(field):
    return Subquery(Execution.objects.filter(process=OuterRef("pk")).order_by("-created_at", "-id").values(field)[:1])


def with_current_step(queryset):
    """Annotate each process with its latest execution: ``step_kind``, ``step_status``, ``step_attempt``,
    ``step_retries`` (automatic repetitions before it), ``step_execution``, and ``step_error`` (the
    error of the latest attempt that went wrong)."""
    return queryset.annotate(
        step_execution=_latest_execution("pk"),
        step_kind=_latest_execution("kind"),
        step_status=_latest_execution("status"),
        step_attempt=_latest_execution("attempt"),
        step_retries=_latest_execution("auto_retries"),
        step_error=Subquery(
            Execution.objects.filter(
                process=OuterRef("pk"), status__in=(*FINAL_FAILURES, ExecutionStatus.TENTANDO_NOVAMENTE)
            )
            .order_by("-created_at", "-id")
            .values("error_data__error")[:1]
        ),
    )


def _step_rules(*, status, retries, kind, process_status) -> dict:
    """The current-step rule, written once for two shapes of query: processes annotated by
    :func:`with_current_step` (``step_status``...) and the latest executions themselves."""
    return {
        "running": Q(**{status: ExecutionStatus.EXECUTANDO, retries: 0}),
        "retrying": Q(**{status: ExecutionStatus.EXECUTANDO, f"{retries}__gt": 0}),
        # A step that ended for good while its process still waits for it (a person must act).
        "failed": Q(**{f"{status}__in": FINAL_FAILURES})
        & (
            Q(**{kind: ExecutionKind.DOWNLOAD_FATURA, process_status: ProcessStatus.AGUARDANDO_DOWNLOAD})
            | Q(**{kind: ExecutionKind.UPLOAD_SAT, process_status: ProcessStatus.AGUARDANDO_ENVIO_SAT})
        ),
    }


CURRENT_STEP_LABELS = {"running": _("Em execução"), "retrying": _("Tentando novamente"), "failed": _("Falhou")}
_PROCESS_STEP_Q = _step_rules(status="step_status", retries="step_retries", kind="step_kind", process_status="status")
_EXECUTION_STEP_Q = _step_rules(status="status", retries="auto_retries", kind="kind", process_status="process__status")


def current_step_q(key) -> Q:
    """Processes annotated by :func:`with_current_step` whose current step is ``key``."""
    return _PROCESS_STEP_Q[key]


def latest_executions(process_q=None):
    """The latest execution of each process (``process_q`` filters on ``process__...``): one anti-join
    over the executions, cheaper than a subquery per process when counting a whole month."""
    newer = Execution.objects.filter(process=OuterRef("process")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    queryset = Execution.objects.filter(~Exists(newer))
    return queryset.filter(process_q) if process_q is not None else queryset


def current_step_counts(process_q=None, *, by_carrier=False):
    """How many processes are running / retrying / failed now: ``{key: n}``, or per carrier code."""
    counts = {key: Count("pk", filter=condition) for key, condition in _EXECUTION_STEP_Q.items()}
    latest = latest_executions(process_q)
    if not by_carrier:
        return latest.aggregate(**counts)
    rows = latest.values("process__client__carrier__code").annotate(**counts).order_by()
    return {row.pop("process__client__carrier__code"): row for row in rows}


# --- lateness, per row ------------------------------------------------------------------


def late_since(process, today=None):
    """The last day ``process`` was on time (its due date, or its month's end plus the grace days)."""
    year, month = process.period.year + process.period.month // 12, process.period.month % 12 + 1
    grace_end = process.period.replace(year=year, month=month, day=1) + timedelta(
        days=settings.BILLING_LATE_AFTER_DAYS - 1
    )
    return min(grace_end, process.due_date) if process.due_date else grace_end


def days_late(process, today=None) -> int:
    """How many days ``process`` is late (0 when on time or finished)."""
    if process.status == ProcessStatus.UPLOAD_REALIZADO:
        return 0
    today = today or timezone.localdate()
    return max((today - late_since(process)).days, 0)


def unresolved_notifications(*, viewer):
    return notification_list(viewer=viewer).filter(resolved_at__isnull=True, read_at__isnull=True)


# --- the month overview (admin) ----------------------------------------------------------


def _neighbour(month: str, step: int) -> str:
    period = parse_month(month)
    index = period.year * 12 + period.month - 1 + step
    return f"{index % 12 + 1:02d}/{index // 12}"


LATE_ROWS_SHOWN = 50  # the rest are one click away (the list filtered by month and lateness)


def month_console(month: str, today=None) -> dict:
    """The month page: per carrier, counts by process status and by current step (running,
    retrying, failed), amounts; totals; the late processes with days late and unit; neighbours."""
    period = parse_month(month)
    today = today or timezone.localdate()
    processes = InvoiceProcess.objects.filter(period=period)  # indexed (month is its label)
    statuses = list(ProcessStatus)
    steps = list(CURRENT_STEP_LABELS)
    counts = {}
    aggregates = {f"s_{status.value}": Count("pk", filter=Q(status=status)) for status in statuses}
    aggregates["total"] = Count("pk")
    aggregates["amount"] = Sum("amount")
    step_counts = current_step_counts(Q(process__period=period), by_carrier=True)
    for row in (
        processes.values("client__carrier__code", "client__carrier__name")
        .annotate(**aggregates)
        .order_by("client__carrier__code")
    ):
        code = row["client__carrier__code"]
        counts[code] = {**row, **{f"x_{key}": step_counts.get(code, {}).get(key, 0) for key in steps}}
    columns = [{"key": s.value, "label": s.label, "tone": "status"} for s in statuses] + [
        {"key": key, "label": CURRENT_STEP_LABELS[key], "tone": "step"} for key in steps
    ]

    def cells(row, base):
        out = [{"value": row[f"s_{s.value}"], "filter": {**base, "status": s.value}} for s in statuses]
        out += [{"value": row[f"x_{key}"], "filter": {**base, "step": key}, "step": key} for key in steps]
        return out

    rows = []
    summed = [*aggregates, *(f"x_{key}" for key in steps)]
    totals = dict.fromkeys(summed, 0)
    totals["amount"] = None
    for code, row in counts.items():
        rows.append(
            {
                "carrier": code,
                "name": row["client__carrier__name"],
                "total": row["total"],
                "amount": row["amount"],
                "cells": cells(row, {"carrier": code}),
            }
        )
        for key in summed:
            if key == "amount":
                if row["amount"] is not None:
                    totals["amount"] = (totals["amount"] or 0) + row["amount"]
            else:
                totals[key] += row[key]
    late = []
    # Most late first: within a month the grace period is the same, so the earliest due date.
    late_queryset = (
        processes.filter(late_q(today))
        .select_related("client__carrier")
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )
    for process in late_queryset[:LATE_ROWS_SHOWN]:
        late.append(
            {
                "id": process.pk,
                "client": process.client.legal_name,
                "unit": process.client.unit,
                "carrier": process.client.carrier.code,
                "status": process.status,
                "status_label": process.get_status_display(),
                "due_date": process.due_date,
                "amount": process.amount,
                "days_late": days_late(process, today),
            }
        )
    return {
        "month": month,
        "period": period,
        "previous": _neighbour(month, -1),
        "next": _neighbour(month, 1),
        "columns": columns,
        "rows": rows,
        "total": totals["total"],
        "amount": totals["amount"],
        "totals": cells(totals, {}),
        "late": late,
        "late_count": late_queryset.count(),
    }


# --- the home page's figures ---------------------------------------------------------------


def console_home(today=None) -> dict:
    """Counts for the admin home page: a handful of indexed aggregates, whatever the month's size."""
    today = today or timezone.localdate()
    month = month_label(today)
    previous = _neighbour(month, -1)
    processes = InvoiceProcess.objects.all()
    by_step = current_step_counts(~Q(process__status=ProcessStatus.UPLOAD_REALIZADO))
    awaiting = processes.filter(status=ProcessStatus.AGUARDANDO_APROVACAO).aggregate(
        n=Count("pk"), amount=Sum("amount")
    )
    amounts = dict(
        processes.filter(period__in=(parse_month(month), parse_month(previous)))
        .order_by()
        .values("month")
        .annotate(amount=Sum("amount"))
        .values_list("month", "amount")
    )
    since = timezone.now() - timedelta(days=7)
    finished = Execution.objects.filter(kind__in=ROBOT_KINDS, finished_at__gte=since).aggregate(
        ok=Count("pk", filter=Q(status=ExecutionStatus.CONCLUIDO)),
        bad=Count(
            "pk",
            filter=Q(status__in=(ExecutionStatus.FALHOU, ExecutionStatus.TIMEOUT, ExecutionStatus.TENTANDO_NOVAMENTE)),
        ),
    )
    progress = []
    for row in (
        processes.filter(period=parse_month(month))
        .values("client__carrier__code")
        .annotate(
            total=Count("pk"), **{f"s_{status.value}": Count("pk", filter=Q(status=status)) for status in ProcessStatus}
        )
        .order_by("client__carrier__code")
    ):
        progress.append(
            {
                "carrier": row["client__carrier__code"],
                "total": row["total"],
                "by_status": {status.value: row[f"s_{status.value}"] for status in ProcessStatus},
            }
        )
    return {
        "month": month,
        "previous": previous,
        "awaiting_approval": awaiting["n"],
        "awaiting_amount": awaiting["amount"],
        "running": executions_running().count(),
        "failed": by_step["failed"],
        "retrying": by_step["retrying"],
        "late": processes.filter(late_q(today)).count(),
        "amount_month": amounts.get(month),
        "amount_previous": amounts.get(previous),
        "robots_ok": finished["ok"],
        "robots_bad": finished["bad"],
        "progress": progress,
    }

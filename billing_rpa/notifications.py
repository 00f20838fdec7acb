"""Telling billing staff: Aprovadores about invoices awaiting approval; Operadores about
executions that failed for good and processes running late. Each notice is a row shown
in the admin and an e-mail to the group's members.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from exitus.formats import money_br

from .choices import ExecutionKind, ExecutionStatus, NotificationAudience, NotificationKind, ProcessStatus
from .models import BillingNotification, Execution, InvoiceProcess
from .selectors import late_processes, staff_emails

logger = logging.getLogger(__name__)


def _send(audience, kind, title, body, *, perm_codename, process=None, execution=None) -> BillingNotification:
    recipients = staff_emails(perm_codename=perm_codename)
    sent = 0
    if recipients:
        try:
            sent = EmailMessage(
                subject=f"[Exitus] {title}", body=body, from_email=settings.DEFAULT_FROM_EMAIL, bcc=recipients
            ).send()
            sent = len(recipients) if sent else 0
        except Exception as exc:  # noqa: BLE001 - the admin list still shows the notice
            logger.warning("billing notification e-mail failed: %s", exc.__class__.__name__)
    return BillingNotification.objects.create(
        audience=audience,
        kind=kind,
        title=title[:200],
        message=body,
        process=process,
        execution=execution,
        emailed_to=sent,
    )


def notify_pending_approvals() -> dict:
    pending = InvoiceProcess.objects.filter(status=ProcessStatus.AGUARDANDO_APROVACAO).select_related("client__carrier")
    count = pending.count()
    if not count:
        return {"pending": 0, "emailed": 0}
    lines = [
        f"- {p.client.legal_name} ({p.client.carrier.code}) {p.month}: {money_br(p.amount)}"
        for p in pending.order_by("period", "client__legal_name")[:50]
    ]
    if count > len(lines):
        lines.append(_("... e mais %(n)d.") % {"n": count - len(lines)})
    title = _("%(n)d fatura(s) aguardando aprovação") % {"n": count}
    notice = _send(
        NotificationAudience.APROVADOR,
        NotificationKind.PENDING_APPROVAL,
        title,
        "\n".join([title + ":", "", *lines]),
        perm_codename="approve_invoices",
    )
    return {"pending": count, "emailed": notice.emailed_to}


def notify_execution_failed(execution_id) -> dict:
    execution = (
        Execution.objects.select_related("process__client__carrier")
        .filter(pk=execution_id, status__in=(ExecutionStatus.FALHOU, ExecutionStatus.TIMEOUT))
        .first()
    )
    if execution is None:
        return {"notified": 0}
    if BillingNotification.objects.filter(execution=execution, kind=NotificationKind.EXECUTION_FAILED).exists():
        return {"notified": 0}  # a redelivered task tells nobody twice
    if Execution.objects.filter(
        process_id=execution.process_id,
        kind__in=_same_step(execution.kind),
        status=ExecutionStatus.CONCLUIDO,
        created_at__gt=execution.created_at,
    ).exists():
        return {"notified": 0}  # the step already succeeded since: nothing left to act on
    process = execution.process
    title = _("%(kind)s falhou: %(client)s %(month)s") % {
        "kind": execution.get_kind_display(),
        "client": process.client.legal_name,
        "month": process.month,
    }
    body = "\n".join(
        [
            title,
            _("Status: %(s)s (%(e)s)") % {"s": execution.get_status_display(), "e": execution.get_error_kind_display()},
            _("Tentativa: %(n)d") % {"n": execution.attempt},
            _("Erro: %(e)s") % {"e": execution.error_data.get("error", "-")},
        ]
    )
    notice = _send(
        NotificationAudience.OPERADOR,
        NotificationKind.EXECUTION_FAILED,
        title,
        body,
        perm_codename="operate_robots",
        process=process,
        execution=execution,
    )
    return {"notified": 1, "emailed": notice.emailed_to}


def notify_late_processes() -> dict:
    late = late_processes()
    count = late.count()
    if not count:
        return {"late": 0, "emailed": 0}
    today = timezone.localdate()
    if BillingNotification.objects.filter(kind=NotificationKind.MONTH_LATE, created_at__date=today).exists():
        return {"late": count, "emailed": 0}  # once a day is enough
    months = {}
    for month in late.values_list("month", flat=True):
        months[month] = months.get(month, 0) + 1
    title = _("%(n)d processo(s) de fatura atrasado(s)") % {"n": count}
    lines = [f"- {month}: {n}" for month, n in sorted(months.items())]
    notice = _send(
        NotificationAudience.OPERADOR,
        NotificationKind.MONTH_LATE,
        title,
        "\n".join([title + ":", "", *lines]),
        perm_codename="operate_robots",
    )
    return {"late": count, "emailed": notice.emailed_to}


def notification_mark_read(*, queryset) -> int:
    return queryset.filter(read_at__isnull=True).update(read_at=timezone.now())


def _same_step(kind) -> list[str]:
    if kind == ExecutionKind.DOWNLOAD_FATURA:
        return [ExecutionKind.DOWNLOAD_FATURA, ExecutionKind.UPLOAD_MANUAL]
    return [kind]


def notifications_resolve_step(*, process_id, kind, execution_id=None) -> int:
    """The step ``kind`` of a process succeeded: its failure notices mark themselves resolved.

    Called inside the transaction that records the success (a robot step completed, or the
    invoice uploaded by hand in place of a failed download).
    """
    kinds = [kind]
    if kind == ExecutionKind.UPLOAD_MANUAL:
        kinds.append(ExecutionKind.DOWNLOAD_FATURA)  # the upload replaces the download that failed
    if execution_id is not None:
        how = _("Resolvida: a execução #%(id)d concluiu a etapa.") % {"id": execution_id}
    else:
        how = _("Resolvida: a etapa foi concluída.")
    return BillingNotification.objects.filter(
        process_id=process_id,
        kind=NotificationKind.EXECUTION_FAILED,
        execution__kind__in=kinds,
        resolved_at__isnull=True,
    ).update(resolved_at=timezone.now(), resolution=how[:200])

"""The monthly billing report by e-mail, and the check that the month's processes exist.

Both read billing data only through ``billing_rpa.selectors``.
"""

from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import JobRunStatus
from .models import JobRun


def previous_month(today=None):
    today = today or timezone.localdate()
    first = today.replace(day=1)
    last_month = date(first.year - (first.month == 1), 12 if first.month == 1 else first.month - 1, 1)
    return f"{last_month.month:02d}/{last_month.year}"


def current_month(today=None):
    today = today or timezone.localdate()
    return f"{today.month:02d}/{today.year}"


def _already_sent(month, current_task_id=None):
    sent = JobRun.objects.filter(job="ENVIAR_RELATORIOS", status=JobRunStatus.SUCCESS, counts__month=month)
    if current_task_id:
        sent = sent.exclude(task_id=current_task_id)
    return sent.filter(counts__sent=True).exists()


def send_monthly_report(*, month=None, recipients=None, force=False, task_id=None):
    """E-mail the month's report (CSV attached). Sent once per month unless ``force``."""
    from billing_rpa.selectors import monthly_report, monthly_report_csv, staff_emails

    month = month or previous_month()
    if not force and _already_sent(month, task_id):
        return {"month": month, "sent": False, "skipped": _("relatório de %(month)s já enviado") % {"month": month}}
    recipients = recipients or settings.BILLING_REPORT_RECIPIENTS or staff_emails(perm_codename="operate_robots")
    if not recipients:
        return {"month": month, "sent": False, "skipped": _("nenhum destinatário configurado")}
    report = monthly_report(month)
    body = _(
        "Relatório de faturas de %(month)s\n\nTotal de processos: %(total)s\nValor total: R$ %(amount).2f\n"
        "Atrasados: %(late)s\n\nPor status:\n%(statuses)s\n"
    ) % {
        "month": month,
        "total": report["total"],
        "amount": report["amount"],
        "late": report["late_count"],
        "statuses": "\n".join(f"  {status}: {count}" for status, count in report["by_status"].items()),
    }
    message = EmailMessage(
        subject=_("[Exitus] Relatório mensal de faturas — %(month)s") % {"month": month},
        body=body,
        to=recipients,
    )
    message.attach(f"relatorio-faturas-{month.replace('/', '-')}.csv", monthly_report_csv(report), "text/csv")
    message.send(fail_silently=False)
    return {"month": month, "sent": True, "recipients": len(recipients), "processes": report["total"]}


def check_monthly_processes(*, today=None):
    """Warn operators when the month's processes were not created by the configured day."""
    from billing_rpa.models import BillingClient, InvoiceProcess
    from billing_rpa.selectors import staff_emails

    today = today or timezone.localdate()
    month = current_month(today)
    created = InvoiceProcess.objects.filter(month=month).count()
    expected = BillingClient.objects.filter(active=True).count()
    deadline = settings.MONTHLY_PROCESSES_DEADLINE_DAY
    missing = today.day >= deadline and expected > 0 and created == 0
    if missing:
        recipients = staff_emails(perm_codename="operate_robots")
        if recipients:
            EmailMessage(
                subject=_("[Exitus] Processos de %(month)s não foram criados") % {"month": month},
                body=_(
                    "Os processos de faturas de %(month)s ainda não existem (prazo: dia %(day)s). "
                    "Execute o job CRIAR_PROCESSOS_MENSAIS no admin (Agendamentos → Executar agora)."
                )
                % {"month": month, "day": deadline},
                to=recipients,
            ).send(fail_silently=False)
    return {"month": month, "created": created, "active_clients": expected, "missing": missing}

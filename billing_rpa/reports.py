"""The monthly billing report by e-mail, and the check that the month's processes exist.

Both run as catalogue jobs (``billing_rpa.tasks``, under their historical ``scheduling.*``
task names); whether a month's report already went out is read from the job history
through ``scheduling.selectors``.
"""

import io
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from scheduling.selectors import job_succeeded_with

from .choices import ProcessStatus
from .models import BillingClient, InvoiceProcess
from .selectors import monthly_report, monthly_report_csv, staff_emails
from .validators import month_label

REPORT_JOB = "ENVIAR_RELATORIOS"


def previous_month(today=None):
    today = today or timezone.localdate()
    return month_label(today.replace(day=1) - timedelta(days=1))


def send_monthly_report(*, month=None, recipients=None, force=False, task_id=None):
    """E-mail the month's report (CSV attached). Sent once per month unless ``force``."""
    month = month or previous_month()
    if not force and job_succeeded_with(REPORT_JOB, counts={"month": month, "sent": True}, exclude_task_id=task_id):
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
    today = today or timezone.localdate()
    month = month_label(today)
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


def monthly_report_xlsx(report: dict) -> bytes:
    """The month's report as a spreadsheet: one sheet per carrier total, one of late processes.

    Amounts are numbers (Decimal, two places) formatted as Brazilian reais, so they add up in Excel.
    """

    money = '"R$" #,##0.00'
    book = Workbook()
    sheet = book.active
    sheet.title = "Operadoras"
    statuses = list(ProcessStatus)
    sheet.append([_("Mês"), _("Operadora"), _("Nome"), _("Total"), *[str(s.label) for s in statuses], _("Valor")])
    for entry in report["by_carrier"]:
        sheet.append(
            [
                report["month"],
                entry["carrier"],
                entry["name"],
                entry["total"],
                *(entry["by_status"][s.value] for s in statuses),
                entry["amount"],
            ]
        )
    sheet.append(
        [
            report["month"],
            "TOTAL",
            "",
            report["total"],
            *(report["by_status"][s.value] for s in statuses),
            report["amount"],
        ]
    )
    for cell in sheet[get_column_letter(len(statuses) + 5)][1:]:
        cell.number_format = money
    late = book.create_sheet(_("Atrasados"))
    late.append(["id", _("Cliente"), "CNPJ", _("Operadora"), _("Status"), _("Vencimento")])
    labels = dict(ProcessStatus.choices)
    for item in report["late"]:
        late.append(
            [
                item["id"],
                item["client"],
                item["cnpj"],
                item["carrier"],
                str(labels.get(item["status"], "")),
                item["due_date"],
            ]
        )
    for cell in late["F"][1:]:
        cell.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

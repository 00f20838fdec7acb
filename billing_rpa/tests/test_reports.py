from datetime import date

import pytest
from celery import current_app
from django.core import mail

from accounts.tests.factories import UserFactory
from billing_rpa import reports
from billing_rpa.choices import ProcessStatus
from billing_rpa.models import InvoiceProcess
from billing_rpa.services import process_create_month
from billing_rpa.tests.factories import BillingClientFactory, CarrierFactory, billing_group
from scheduling.choices import JobRunStatus
from scheduling.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_with_processes():
    vivo, oi = CarrierFactory(code="VIVO"), CarrierFactory(code="OI")
    BillingClientFactory.create_batch(3, carrier=vivo)
    BillingClientFactory.create_batch(2, carrier=oi)
    process_create_month(month="10/2026")
    InvoiceProcess.objects.filter(client__carrier=oi).update(status=ProcessStatus.UPLOAD_REALIZADO)
    return "10/2026"


def test_monthly_report_is_mailed_with_a_csv_once_per_month(month_with_processes, settings):
    settings.BILLING_REPORT_RECIPIENTS = ["financeiro@example.com"]
    task = current_app.tasks["scheduling.send_monthly_report"]

    first = task.apply(kwargs={"month": "10/2026"}).get()
    assert first == {"month": "10/2026", "sent": True, "recipients": 1, "processes": 5}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["financeiro@example.com"]
    assert "10/2026" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == "relatorio-faturas-10-2026.csv" and mimetype == "text/csv"
    assert "VIVO" in content and "OI" in content and "TOTAL" in content

    second = task.apply(kwargs={"month": "10/2026"}).get()
    assert second["sent"] is False and "já enviado" in second["skipped"]
    assert len(mail.outbox) == 1
    assert JobRun.objects.filter(job="ENVIAR_RELATORIOS", status=JobRunStatus.SKIPPED).count() == 1

    task.apply(kwargs={"month": "10/2026", "force": True}).get()
    assert len(mail.outbox) == 2


def test_report_defaults_to_operators_when_no_recipients_are_configured(month_with_processes, settings):
    settings.BILLING_REPORT_RECIPIENTS = []
    operator = UserFactory(email="op@example.com", is_staff=True)
    operator.groups.add(billing_group("Operador"))
    reports.send_monthly_report(month="10/2026")
    assert mail.outbox[0].to == ["op@example.com"]


def test_previous_month_wraps_the_year():
    assert reports.previous_month(date(2027, 1, 15)) == "12/2026"
    assert reports.previous_month(date(2026, 11, 23)) == "10/2026"


def test_missing_monthly_processes_are_flagged_after_the_deadline(settings):
    settings.MONTHLY_PROCESSES_DEADLINE_DAY = 3
    operator = UserFactory(email="op@example.com", is_staff=True)
    operator.groups.add(billing_group("Operador"))
    BillingClientFactory.create_batch(2)

    early = reports.check_monthly_processes(today=date(2026, 11, 2))
    assert early["missing"] is False and not mail.outbox

    late = reports.check_monthly_processes(today=date(2026, 11, 5))
    assert late == {"month": "11/2026", "created": 0, "active_clients": 2, "missing": True}
    assert "11/2026" in mail.outbox[0].subject

    process_create_month(month="11/2026")
    assert reports.check_monthly_processes(today=date(2026, 11, 6))["missing"] is False

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from billing_rpa import crypto, services
from billing_rpa.choices import ExecutionStatus, ProcessStatus
from billing_rpa.models import BillingClient, Execution, ExecutionLogLine, InvoiceProcess
from billing_rpa.tests.factories import INVOICE, BillingClientFactory, CarrierFactory, InvoiceProcessFactory, make_cnpj

# The upload page asks for the invoice's due date and amount (the SAT robot needs both).
UPLOAD_FORM = {"due_date": "2030-01-10", "amount": "1.234,56"}

PAGES = [
    "admin:billing_rpa_carrier_changelist",
    "admin:billing_rpa_billingclient_changelist",
    "admin:billing_rpa_invoiceprocess_changelist",
    "admin:billing_rpa_execution_changelist",
    "admin:billing_rpa_billingnotification_changelist",
    "admin:billing_rpa_invoiceprocess_overview",
]


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filled(process, operador, pdf_bytes):
    other = InvoiceProcessFactory(client=BillingClientFactory(carrier=process.client.carrier))
    services.process_upload_invoice(process=other, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    execution = services.process_request_download(process=process, actor=operador)
    ExecutionLogLine.objects.create(execution=execution, seq=1, timestamp=timezone.now(), message="Abrindo o portal")
    return {"waiting": process, "to_approve": other, "execution": execution}


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_billing_staff(filled, operador, aprovador, admin_user, page):
    for user in (operador, aprovador, admin_user):
        assert browser(user).get(reverse(page)).status_code == 200, (page, user)


@pytest.mark.parametrize("page", PAGES)
def test_staff_without_billing_group_is_refused(filled, page):
    outsider = UserFactory(is_staff=True)
    assert browser(outsider).get(reverse(page)).status_code == 403


def test_change_pages_render(filled, operador, admin_user):
    process, execution = filled["to_approve"], filled["execution"]
    page = browser(operador).get(reverse("admin:billing_rpa_invoiceprocess_change", args=[process.pk]))
    assert page.status_code == 200 and "Aguardando aprovação" in page.content.decode()
    page = browser(operador).get(reverse("admin:billing_rpa_execution_change", args=[execution.pk]))
    assert page.status_code == 200 and "Abrindo o portal" in page.content.decode()
    client_page = (
        browser(admin_user)
        .get(reverse("admin:billing_rpa_billingclient_change", args=[process.client.pk]))
        .content.decode()
    )
    assert "senha-secreta-123" not in client_page and "••••••••" in client_page
    assert process.client.portal_password_encrypted not in client_page


def test_bulk_approve_by_aprovador(filled, aprovador):
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    selected = [filled["to_approve"].pk, filled["waiting"].pk]
    response = browser(aprovador).post(
        changelist, {"action": "action_approve", "_selected_action": selected}, follow=True
    )
    text = response.content.decode()
    assert "1 fatura aprovada" in text and "1 ignorado" in text
    assert InvoiceProcess.objects.get(pk=filled["to_approve"].pk).status == ProcessStatus.AGUARDANDO_ENVIO_SAT


def test_operador_cannot_run_approve_action(filled, operador):
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    browser(operador).post(changelist, {"action": "action_approve", "_selected_action": [filled["to_approve"].pk]})
    assert InvoiceProcess.objects.get(pk=filled["to_approve"].pk).status == ProcessStatus.AGUARDANDO_APROVACAO


def test_bulk_cancel_and_retry(filled, operador):
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    pk = filled["waiting"].pk
    text = browser(operador).post(changelist, {"action": "action_cancel", "_selected_action": [pk]}, follow=True)
    assert "1 execução cancelada" in text.content.decode()
    browser(operador).post(changelist, {"action": "action_retry", "_selected_action": [pk]})
    statuses = list(Execution.objects.filter(process_id=pk).order_by("attempt").values_list("status", flat=True))
    assert statuses == [ExecutionStatus.CANCELADO, ExecutionStatus.EXECUTANDO]


def test_bulk_download(operador, carrier):
    processes = [InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier)) for _ in range(3)]
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    response = browser(operador).post(
        changelist, {"action": "action_download", "_selected_action": [p.pk for p in processes]}, follow=True
    )
    assert "3 downloads enfileirados" in response.content.decode()
    assert Execution.objects.filter(status=ExecutionStatus.EXECUTANDO).count() == 3


def test_overview_creates_month_for_operador_only(operador, aprovador, billing_client):
    url = reverse("admin:billing_rpa_invoiceprocess_overview")
    assert browser(aprovador).post(url, {"month": "09/2025"}).status_code == 403
    response = browser(operador).post(url, {"month": "09/2025"}, follow=True)
    assert "1 processos criados" in response.content.decode()
    assert InvoiceProcess.objects.filter(month="09/2025").count() == 1
    page = browser(operador).get(url, {"month": "09/2025"}).content.decode()
    assert "Visão do mês 09/2025" in page


def test_upload_and_reject_pages(process, operador, aprovador, pdf_bytes):
    upload = reverse("admin:billing_rpa_invoiceprocess_upload", args=[process.pk])
    assert browser(aprovador).get(upload).status_code == 403
    bad = browser(operador).post(upload, {"file": SimpleUploadedFile("f.pdf", b"not a pdf"), **UPLOAD_FORM})
    assert "não é um PDF" in bad.content.decode()
    browser(operador).post(upload, {"file": SimpleUploadedFile("f.pdf", pdf_bytes), **UPLOAD_FORM})
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    pdf = browser(aprovador).get(reverse("admin:billing_rpa_invoiceprocess_invoice", args=[process.pk]))
    assert b"".join(pdf.streaming_content) == pdf_bytes
    reject = reverse("admin:billing_rpa_invoiceprocess_reject", args=[process.pk])
    browser(aprovador).post(reject, {"reason": "valor errado"})
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD


def test_client_add_encrypts_password_and_import(operador, carrier):
    add = reverse("admin:billing_rpa_billingclient_add")
    response = browser(operador).post(
        add,
        {
            "legal_name": "Nova Ltda",
            "cnpj": "11.222.333/0001-81",
            "carrier": carrier.pk,
            "unit": "Matriz",
            "service": "MOVEL",
            "portal_password": "senha-nova",
            "cpf": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = BillingClient.objects.get()
    assert client.cnpj == "11222333000181" and crypto.decrypt(client.portal_password_encrypted) == "senha-nova"
    url = reverse("admin:billing_rpa_billingclient_import")
    csv_file = SimpleUploadedFile("c.csv", f"razao_social;cnpj;operadora\nB;{make_cnpj(9)};VIVO\nC;1;VIVO\n".encode())
    page = browser(operador).post(url, {"file": csv_file, "dry_run": "on"}).content.decode()
    assert "Validação (nada foi gravado)" in page and "CNPJ inválido" in page
    assert BillingClient.objects.count() == 1


def test_carrier_admin_read_only_for_staff(operador, admin_user):
    carrier = CarrierFactory(code="OI")
    change = reverse("admin:billing_rpa_carrier_change", args=[carrier.pk])
    assert "Salvar" not in browser(operador).get(change).content.decode()
    response = browser(admin_user).post(
        change, {"code": "oi", "name": "Oi SA", "robot_config": "{}", "active": "on", "has_robot": "on"}
    )
    assert response.status_code == 302
    carrier.refresh_from_db()
    assert carrier.name == "Oi SA" and carrier.code == "OI"

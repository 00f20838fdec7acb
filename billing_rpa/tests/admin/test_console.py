"""The operator's console: legal-only buttons, the process and execution pages, the list's current
step, the month overview, notices that resolve themselves, the client import, the home page."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.tests.factories import AdminFactory, UserFactory
from billing_rpa import notifications, selectors, services
from billing_rpa.choices import ErrorKind, ExecutionKind, ExecutionStatus, NotificationKind, ProcessStatus
from billing_rpa.models import BillingClient, BillingNotification, Execution, InvoiceProcess
from billing_rpa.tests.factories import INVOICE, BillingClientFactory, CarrierFactory, InvoiceProcessFactory, make_cnpj

CHANGE = "admin:billing_rpa_invoiceprocess_change"
MAY_20 = datetime(2025, 5, 20, 12, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def failed(process, kind=ExecutionKind.DOWNLOAD_FATURA, error="SISTEMA: portal fora do ar", attempt=1, **extra):
    now = timezone.now()
    return Execution.objects.create(
        process=process,
        kind=kind,
        status=ExecutionStatus.FALHOU,
        error_kind=ErrorKind.SYSTEM,
        error_data={"error": error},
        attempt=attempt,
        started_at=now,
        finished_at=now,
        **extra,
    )


def at_status(process, status, **fields):
    InvoiceProcess.objects.filter(pk=process.pk).update(status=status, **fields)
    process.refresh_from_db()
    return process


# --- which buttons: the state machine × the user's group -------------------------------------


@pytest.mark.parametrize(
    ("status", "fields", "expected"),
    [
        (ProcessStatus.AGUARDANDO_DOWNLOAD, {}, {"operador": ["download", "upload"], "aprovador": []}),
        (ProcessStatus.AGUARDANDO_APROVACAO, {}, {"operador": [], "aprovador": ["approve", "reject"]}),
        (
            ProcessStatus.AGUARDANDO_ENVIO_SAT,
            {"invoice_key": "k", "due_date": date(2030, 1, 10), "amount": Decimal("1")},
            {"operador": ["send_to_sat"], "aprovador": []},
        ),
        (ProcessStatus.AGUARDANDO_ENVIO_SAT, {"invoice_key": "k"}, {"operador": [], "aprovador": []}),
        (ProcessStatus.UPLOAD_REALIZADO, {}, {"operador": [], "aprovador": []}),
    ],
)
def test_actions_follow_status_and_group(process, operador, aprovador, admin_user, status, fields, expected):
    at_status(process, status, **fields)
    assert selectors.process_actions(process, operador) == expected["operador"]
    assert selectors.process_actions(process, aprovador) == expected["aprovador"]
    assert set(selectors.process_actions(process, admin_user)) == set(expected["operador"] + expected["aprovador"])
    assert selectors.process_actions(process, UserFactory(is_staff=True)) == []


def test_failed_step_offers_retry_and_running_step_offers_cancel_only(process, operador):
    failed(process)
    assert selectors.process_actions(process, operador) == ["download", "upload", "retry"]
    services.execution_retry(execution=process.executions.get(), actor=operador)
    assert selectors.process_actions(process, operador) == ["cancel"]


def test_process_page_shows_only_legal_buttons(process, operador, aprovador):
    page = browser(aprovador).get(reverse(CHANGE, args=[process.pk])).content.decode()
    assert 'data-action="approve"' not in page and "Nenhuma ação disponível" in page
    page = browser(operador).get(reverse(CHANGE, args=[process.pk])).content.decode()
    assert 'data-action="download"' in page and 'data-action="upload"' in page
    assert 'data-action="approve"' not in page and 'data-action="send_to_sat"' not in page


def test_buttons_post_through_the_services(process, operador, aprovador, pdf_bytes):
    act = "admin:billing_rpa_invoiceprocess_act"
    assert browser(operador).get(reverse(act, args=[process.pk, "download"])).status_code == 405
    response = browser(operador).post(reverse(act, args=[process.pk, "download"]), follow=True)
    assert "Download enfileirado" in response.content.decode()
    assert process.executions.get().status == ExecutionStatus.EXECUTANDO
    response = browser(operador).post(reverse(act, args=[process.pk, "cancel"]), follow=True)
    assert "Execução cancelada" in response.content.decode()
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    browser(aprovador).post(reverse(act, args=[process.pk, "approve"]))
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_ENVIO_SAT and process.approved_by == aprovador


def test_a_denied_button_changes_nothing(process, operador, aprovador, pdf_bytes):
    act = "admin:billing_rpa_invoiceprocess_act"
    assert browser(aprovador).post(reverse(act, args=[process.pk, "download"])).status_code == 403
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    assert browser(operador).post(reverse(act, args=[process.pk, "approve"])).status_code == 403
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO and process.approved_by is None
    assert not process.executions.filter(kind=ExecutionKind.DOWNLOAD_FATURA).exists()
    # Legal for the group but not in this status: refused with a message, nothing queued.
    response = browser(operador).post(reverse(act, args=[process.pk, "send_to_sat"]), follow=True)
    assert "Ação não permitida agora" in response.content.decode()
    assert not process.executions.filter(kind=ExecutionKind.UPLOAD_SAT).exists()


def test_process_page_previews_the_pdf_and_lists_attempts_read_only(process, operador, pdf_bytes):
    failed(process, error="SISTEMA: portal fora do ar")
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    page = browser(operador).get(reverse(CHANGE, args=[process.pk])).content.decode()
    pdf_url = reverse("admin:billing_rpa_invoiceprocess_invoice", args=[process.pk])
    assert f'<iframe class="x-pdf" id="x-pdf" src="{pdf_url}"' in page
    assert "SISTEMA: portal fora do ar" in page and "Upload manual #1" in page and "Download da fatura #1" in page
    assert "R$ 150,00" in page
    assert "execution_set-TOTAL_FORMS" not in page and "Adicionar outro" not in page
    response = browser(operador).get(pdf_url)
    assert response["X-Frame-Options"] == "SAMEORIGIN" and response["Content-Disposition"].startswith("inline")


# --- the execution page ----------------------------------------------------------------------


def test_execution_page_is_read_only_with_log_and_live_stream(process, operador, admin_user):
    execution = services.process_request_download(process=process, actor=operador)
    execution.log_lines.create(seq=1, timestamp=timezone.now(), level="INFO", message="Abrindo o portal")
    url = reverse("admin:billing_rpa_execution_change", args=[execution.pk])
    for user in (operador, admin_user):
        page = browser(user).get(url).content.decode()
        assert 'name="_save"' not in page and "deletelink" not in page
        assert "Abrindo o portal" in page and f"/api/v1/billing/executions/{execution.pk}/logs/stream/" in page
        assert page.count("Job do RPA") == 1  # each field once
    page = browser(operador).get(url).content.decode()
    assert 'data-when="cancel">' in page and 'data-when="retry" hidden' in page
    started = timezone.localtime(Execution.objects.get(pk=execution.pk).created_at).strftime("%d/%m/%Y %H:%M:%S")
    assert started in page  # times with seconds
    assert browser(admin_user).post(url, {"kind": "UPLOAD_SAT"}).status_code == 403


def test_execution_buttons_cancel_then_retry(process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    act = "admin:billing_rpa_execution_act"
    browser(operador).post(reverse(act, args=[execution.pk, "cancel"]))
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELADO
    state = browser(operador).get(reverse("admin:billing_rpa_execution_state", args=[execution.pk])).json()
    assert state["status"] == "CANCELADO" and state["actions"] == ["retry"] and "Cancelado" in state["badge"]
    response = browser(operador).post(reverse(act, args=[execution.pk, "retry"]))
    retry = Execution.objects.exclude(pk=execution.pk).get()
    assert response["Location"] == reverse("admin:billing_rpa_execution_change", args=[retry.pk])
    assert retry.attempt == 2 and retry.status == ExecutionStatus.EXECUTANDO


# --- the process list --------------------------------------------------------------------------


def test_list_shows_current_step_with_attempt_and_error(process, operador, settings):
    settings.BILLING_RPA_MAX_ATTEMPTS = 3
    failed(process, error="NEGOCIO: credenciais recusadas")
    other = InvoiceProcessFactory(client=BillingClientFactory(carrier=process.client.carrier))
    Execution.objects.create(
        process=other, kind=ExecutionKind.DOWNLOAD_FATURA, status=ExecutionStatus.TENTANDO_NOVAMENTE, attempt=1
    )
    Execution.objects.create(process=other, kind=ExecutionKind.DOWNLOAD_FATURA, attempt=2, auto_retries=1)
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    page = browser(operador).get(changelist).content.decode()
    assert "Falhou" in page and "tentativa 1 de 3" in page and "NEGOCIO: credenciais recusadas" in page
    assert "Tentando novamente" in page and "tentativa 2 de 3" in page
    failed_only = browser(operador).get(changelist, {"step": "failed"}).content.decode()
    assert str(process.client) in failed_only and str(other.client) not in failed_only
    retrying = browser(operador).get(changelist, {"step": "retrying"}).content.decode()
    assert str(other.client) in retrying and str(process.client) not in retrying


@time_machine.travel(MAY_20, tick=False)
def test_list_shows_days_late_first(process, operador):
    at_status(process, ProcessStatus.AGUARDANDO_DOWNLOAD)
    page = browser(operador).get(reverse("admin:billing_rpa_invoiceprocess_changelist")).content.decode()
    # 03/2025 + 10 grace days: on time until 10/04/2025, so 40 days late on 20/05/2025.
    assert "40 dias" in page
    assert page.index("field-late_cell") < page.index("field-due_date")


# --- the month overview -----------------------------------------------------------------------


@time_machine.travel(MAY_20, tick=False)
def test_overview_counts_carrier_status_and_steps_with_links(operador, pdf_bytes):
    vivo, oi = CarrierFactory(code="VIVO"), CarrierFactory(code="OI")
    a = InvoiceProcessFactory(client=BillingClientFactory(carrier=vivo, unit="Filial Sul"), month="04/2025")
    b = InvoiceProcessFactory(client=BillingClientFactory(carrier=oi), month="04/2025")
    failed(a)
    services.process_upload_invoice(process=b, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    InvoiceProcess.objects.filter(pk=b.pk).update(amount=Decimal("42325.30"))
    url = reverse("admin:billing_rpa_invoiceprocess_overview")
    page = browser(operador).get(url, {"month": "04/2025"}).content.decode()
    changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
    assert f"{changelist}?month=04%2F2025&amp;carrier=VIVO&amp;status=AGUARDANDO_DOWNLOAD" in page
    assert f"{changelist}?month=04%2F2025&amp;carrier=VIVO&amp;step=failed" in page
    assert "R$ 42.325,30" in page and "Aguardando aprovação" in page
    assert 'rel="prev"' in page and "03/2025" in page and "05/2025" in page
    # late: 04/2025 ended, grace over on 10/05 → 10 days late on 20/05; the unit is shown.
    assert "Filial Sul" in page and '<strong class="x-text-danger">10</strong>' in page
    rows = browser(operador).get(changelist, {"month": "04/2025", "carrier": "VIVO", "step": "failed"})
    assert str(a.client) in rows.content.decode() and str(b.client) not in rows.content.decode()


def test_overview_exports_csv_and_xlsx(operador, process, pdf_bytes):
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    url = reverse("admin:billing_rpa_invoiceprocess_export")
    csv_text = browser(operador).get(url, {"month": "03/2025", "format": "csv"}).content.decode()
    assert csv_text.startswith("mes_ano;operadora") and "150.00" in csv_text
    response = browser(operador).get(url, {"month": "03/2025", "format": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="faturas-03-2025.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "VIVO" and rows[-1][1] == "TOTAL" and rows[-1][-1] == 150


# --- notices resolve themselves --------------------------------------------------------------


def test_failure_notice_resolves_when_the_step_later_succeeds(process, operador, pdf_bytes):
    execution = failed(process)
    assert notifications.notify_execution_failed(execution.pk)["notified"] == 1
    notice = BillingNotification.objects.get(kind=NotificationKind.EXECUTION_FAILED)
    assert notice.resolved_at is None
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    notice.refresh_from_db()
    assert notice.resolved_at is not None and "concluiu a etapa" in notice.resolution
    assert not selectors.unresolved_notifications(viewer=operador).exists()


def test_late_failure_notice_of_an_already_succeeded_step_is_not_sent(process, operador, pdf_bytes):
    execution = failed(process)
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    assert notifications.notify_execution_failed(execution.pk) == {"notified": 0}


# --- manual upload: the SAT robot never receives empty values ---------------------------------


def test_upload_requires_due_date_and_amount(process, operador, pdf_bytes):
    with pytest.raises(Exception) as refused:
        services.process_upload_invoice(
            process=process, content=pdf_bytes, filename="f.pdf", actor=operador, due_date=None, amount=""
        )
    assert set(refused.value.message_dict) == {"due_date", "amount"}
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.executions.exists()
    page = browser(operador).post(
        reverse("admin:billing_rpa_invoiceprocess_upload", args=[process.pk]),
        {"file": SimpleUploadedFile("f.pdf", pdf_bytes), "due_date": "", "amount": "abc"},
    )
    assert "Informe um valor em reais" in page.content.decode()
    assert not process.executions.exists()


def test_sat_refused_without_due_date_or_amount(process, operador):
    at_status(process, ProcessStatus.AGUARDANDO_ENVIO_SAT, invoice_key="k", due_date=date(2030, 1, 1))
    with pytest.raises(services.InvalidTransition, match="valor"):
        services.process_request_sat_upload(process=process, actor=operador)
    assert not process.executions.exists()
    assert not selectors.processes_ready_for_robot(kind=ExecutionKind.UPLOAD_SAT).exists()


def test_worker_never_starts_sat_with_empty_values(sim, process, operador):
    at_status(process, ProcessStatus.AGUARDANDO_ENVIO_SAT, invoice_key="k", due_date=date(2030, 1, 1))
    execution = Execution.objects.create(process=process, kind=ExecutionKind.UPLOAD_SAT, next_poll_at=timezone.now())
    services.executions_poll_due(budget_seconds=1)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FALHOU and "valor_fatura" in execution.error_data["error"]
    assert sim.robot_jobs("sat") == []


def test_api_upload_requires_due_date_and_amount(client_for, operador, process, pdf_bytes):
    response = client_for(operador).post(
        f"/api/v1/billing/processes/{process.pk}/upload-invoice/",
        {"file": SimpleUploadedFile("f.pdf", pdf_bytes, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400 and set(response.json()) >= {"due_date", "amount"}
    assert not process.executions.exists()


# --- client import: preview, then confirm the same file ---------------------------------------


def test_import_preview_then_confirm_without_choosing_the_file_again(operador, carrier):
    url = reverse("admin:billing_rpa_billingclient_import")
    body = f"razao_social;cnpj;operadora;unidade\nNova;{make_cnpj(7)};VIVO;Matriz\nRuim;1;TIM;\n".encode()
    staff = browser(operador)
    page = staff.get(url).content.decode()
    assert "<code>VIVO</code>" in page and "Baixar modelo" in page
    page = staff.post(url, {"file": SimpleUploadedFile("c.csv", body)}).content.decode()
    assert "Validação (nada foi gravado)" in page and "Confirmar importação" in page
    assert "criado" in page and "erro" in page and "operadora" in page and "Operadora desconhecida: TIM" in page
    assert not BillingClient.objects.exists()
    token = staff.session["billing_client_import"]["token"]
    page = staff.post(url, {"confirm": token}, follow=True).content.decode()
    assert "Importação concluída: 1 criado" in page
    assert BillingClient.objects.get().legal_name == "Nova"
    # The token is single use: a second confirm writes nothing.
    page = staff.post(url, {"confirm": token}, follow=True).content.decode()
    assert "A pré-visualização expirou" in page and BillingClient.objects.count() == 1


def test_import_template_download(operador, carrier):
    response = browser(operador).get(reverse("admin:billing_rpa_billingclient_template"))
    header, example = response.content.decode().splitlines()
    assert header.startswith("razao_social;nome_sat;cnpj;operadora") and ";VIVO;" in example


# --- the home page, per role -------------------------------------------------------------------


def _cards(user):
    page = browser(user).get(reverse("admin:index")).content.decode()
    return {part.split('"', 1)[0] for part in page.split('data-card="')[1:]}, page


def test_home_cards_per_role(process, operador, aprovador, pdf_bytes):
    failed(process)
    operator_cards, page = _cards(operador)
    assert {"billing.failed", "billing.retrying", "billing.running", "billing.late"} <= operator_cards
    assert "billing.awaiting_approval" not in operator_cards and "ops.backup" not in operator_cards
    failed_url = reverse("admin:billing_rpa_invoiceprocess_changelist") + "?step=failed"
    assert f'<a href="{failed_url}">1</a>' in page
    approver_cards, _page = _cards(aprovador)
    assert "billing.awaiting_approval" in approver_cards and "billing.failed" not in approver_cards
    admin_cards, _page = _cards(AdminFactory())
    assert {"billing.awaiting_approval", "billing.failed", "ops.backup", "ops.schedules_failed"} <= admin_cards
    outsider_cards, page = _cards(UserFactory(is_staff=True))
    assert not any(card.startswith("billing.") for card in outsider_cards)


def test_home_amount_card_compares_with_last_month(operador, aprovador, carrier):
    this = services.current_month()
    InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month=this, amount=Decimal("1100.00"))
    previous = selectors._neighbour(this, -1)
    InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month=previous, amount=Decimal("1000.00"))
    _cards_seen, page = _cards(aprovador)
    assert "R$ 1.100,00" in page and f"+10,0% em relação a {previous} (R$ 1.000,00)" in page

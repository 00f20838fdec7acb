import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import AuditEvent
from billing_rpa import importers, services
from billing_rpa.choices import ErrorKind, ExecutionKind, ExecutionStatus, ProcessStatus
from billing_rpa.models import BillingClient, Execution, InvoiceProcess

from .factories import INVOICE, BillingClientFactory, CarrierFactory, InvoiceProcessFactory, make_cnpj

ON_POSTGRES = connection.vendor == "postgresql"


def _awaiting_approval(process, pdf_bytes, operador):
    services.process_upload_invoice(
        process=process, content=pdf_bytes, filename="fatura.pdf", actor=operador, **INVOICE
    )
    process.refresh_from_db()
    return process


# --- month creation ----------------------------------------------------------------


def test_create_month_is_idempotent_and_skips_inactive(db):
    vivo = CarrierFactory(code="VIVO")
    off = CarrierFactory(code="OFF", active=False)
    BillingClientFactory.create_batch(3, carrier=vivo)
    BillingClientFactory(carrier=vivo, active=False)
    BillingClientFactory(carrier=off)
    assert services.process_create_month(month="04/2025") == {"month": "04/2025", "created": 3, "existing": 0}
    assert services.process_create_month(month="04/2025") == {"month": "04/2025", "created": 0, "existing": 3}
    process = InvoiceProcess.objects.filter(month="04/2025").first()
    assert process.auto_created and process.period.isoformat() == "2025-04-01"
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD


def test_create_month_defaults_to_current_month(db, settings):
    BillingClientFactory()
    result = services.process_create_month()
    assert result["month"] == services.current_month() and result["created"] == 1


@pytest.mark.parametrize("month", ["13/2025", "2025-04", "4/2025", ""])
def test_create_month_rejects_invalid_month(db, month):
    with pytest.raises(ValidationError) as info:
        services.process_create_month(month=month or "xx")
    assert "month" in info.value.message_dict
    assert InvoiceProcess.objects.count() == 0


def test_create_month_by_a_person_is_audited(db, operador):
    BillingClientFactory()
    services.process_create_month(month="05/2025", actor=operador)
    event = AuditEvent.objects.get(action="billing.month.create")
    assert event.actor == operador and event.changes["created"] == [None, 1]
    assert not InvoiceProcess.objects.get().auto_created


def test_process_create_refuses_duplicate(process, operador):
    with pytest.raises(ValidationError):
        services.process_create(client=process.client, month=process.month, actor=operador)


# --- clients ------------------------------------------------------------------------


def test_client_save_validates_and_encrypts(db, operador):
    carrier = CarrierFactory()
    client = services.client_save(
        data={"legal_name": " ACME ", "cnpj": "11.222.333/0001-81", "carrier": carrier, "cpf": "529.982.247-25"},
        portal_password="p4ss",
        actor=operador,
    )
    assert client.cnpj == "11222333000181" and client.cpf == "52998224725" and client.legal_name == "ACME"
    assert client.has_portal_password and len(client.unique_hash) == 64
    event = AuditEvent.objects.get(action="billing.client.create")
    assert "p4ss" not in str(event.changes)


@pytest.mark.parametrize(
    ("field", "value"), [("cnpj", "11.222.333/0001-00"), ("cpf", "111.111.111-12"), ("legal_name", "")]
)
def test_client_save_field_errors_write_nothing(db, operador, field, value):
    data = {"legal_name": "ACME", "cnpj": "11222333000181", "carrier": CarrierFactory(), field: value}
    with pytest.raises(ValidationError) as info:
        services.client_save(data=data, actor=operador)
    assert field in info.value.message_dict
    assert BillingClient.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_client_unique_cnpj_carrier_unit_service(db, operador):
    existing = BillingClientFactory()
    data = {
        "legal_name": "Outro",
        "cnpj": existing.cnpj,
        "carrier": existing.carrier,
        "unit": existing.unit,
        "service": existing.service,
    }
    with pytest.raises(ValidationError):
        services.client_save(data=data, actor=operador)
    services.client_save(data={**data, "unit": "Filial"}, actor=operador)
    assert BillingClient.objects.count() == 2


def test_client_password_kept_cleared_replaced(db, operador):
    client = BillingClientFactory(password="um")
    token = client.portal_password_encrypted
    services.client_save(client=client, data={"portal_login": "novo"}, actor=operador)
    client.refresh_from_db()
    assert client.portal_password_encrypted == token
    services.client_save(client=client, data={}, portal_password="dois", actor=operador)
    client.refresh_from_db()
    assert services.crypto.decrypt(client.portal_password_encrypted) == "dois"
    update = AuditEvent.objects.filter(action="billing.client.update").first()
    assert update.changes["portal_password"] == ["***", "***"]
    services.client_save(client=client, data={}, portal_password="", actor=operador)
    client.refresh_from_db()
    assert not client.has_portal_password


def test_client_with_processes_cannot_be_deleted(process, admin_user):
    with pytest.raises(services.InvalidTransition):
        services.client_delete(client=process.client, actor=admin_user)


# --- approval ----------------------------------------------------------------------


def test_approve_records_who_and_when(process, pdf_bytes, operador, aprovador):
    _awaiting_approval(process, pdf_bytes, operador)
    services.process_approve(process=process, actor=aprovador)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_ENVIO_SAT
    assert process.approved_by == aprovador and process.approved_at
    event = AuditEvent.objects.get(action="billing.process.approve")
    assert event.changes["status"] == ["AGUARDANDO_APROVACAO", "AGUARDANDO_ENVIO_SAT"]


def test_approve_only_from_awaiting_approval(process, aprovador):
    with pytest.raises(services.InvalidTransition):
        services.process_approve(process=process, actor=aprovador)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and process.approved_by is None
    assert not AuditEvent.objects.filter(action="billing.process.approve").exists()


def test_second_approval_is_refused(process, pdf_bytes, operador, aprovador, aprovador2):
    _awaiting_approval(process, pdf_bytes, operador)
    services.process_approve(process=process, actor=aprovador)
    with pytest.raises(services.InvalidTransition):
        services.process_approve(process=process, actor=aprovador2)
    process.refresh_from_db()
    assert process.approved_by == aprovador


@pytest.mark.skipif(not ON_POSTGRES, reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_exactly_once(pdf_bytes):
    from .factories import staff_user

    approvers = [staff_user("Aprovador", username=f"aprov{n}") for n in range(6)]
    process = InvoiceProcessFactory()
    InvoiceProcess.objects.filter(pk=process.pk).update(status=ProcessStatus.AGUARDANDO_APROVACAO)
    barrier = threading.Barrier(len(approvers))
    results = []

    def click(user):
        from django.db import connections

        barrier.wait()
        try:
            services.process_approve(process=process, actor=user)
            results.append("ok")
        except services.InvalidTransition:
            results.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    assert AuditEvent.objects.filter(action="billing.process.approve").count() == 1


def test_reject_returns_to_download(process, pdf_bytes, operador, aprovador):
    _awaiting_approval(process, pdf_bytes, operador)
    with pytest.raises(ValidationError):
        services.process_reject(process=process, reason=" ", actor=aprovador)
    services.process_reject(process=process, reason="Valor divergente", actor=aprovador)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and "Valor divergente" in process.notes


# --- manual upload ---------------------------------------------------------------------


def test_manual_upload_stores_and_records(process, pdf_bytes, operador):
    execution = services.process_upload_invoice(
        process=process, content=pdf_bytes, filename="../../etc/minha fatura.pdf", actor=operador, **INVOICE
    )
    process.refresh_from_db()
    assert execution.kind == ExecutionKind.UPLOAD_MANUAL and execution.status == ExecutionStatus.CONCLUIDO
    assert execution.triggered_by == operador
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO and process.manual_upload
    assert process.invoice_filename == "minha fatura.pdf"
    assert process.invoice_key.startswith(f"invoices/{process.client_id}/2025-03/{process.uuid}/")
    assert process.invoice_size == len(pdf_bytes) and len(process.invoice_sha256) == 64


def test_same_filename_for_two_clients_never_collides(pdf_bytes, operador):
    first, second = InvoiceProcessFactory(), InvoiceProcessFactory()
    services.process_upload_invoice(process=first, content=pdf_bytes, filename="fatura.pdf", actor=operador, **INVOICE)
    services.process_upload_invoice(process=second, content=pdf_bytes, filename="fatura.pdf", actor=operador, **INVOICE)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.invoice_key != second.invoice_key


@pytest.mark.parametrize(
    "content",
    [b"", b"just text", b"<html>%PDF-1.4</html>", b"MZ\x90\x00 windows exe", b"%PDF-1.4 truncated without end"],
)
def test_manual_upload_rejects_non_pdf(process, operador, content):
    with pytest.raises(ValidationError) as info:
        services.process_upload_invoice(
            process=process, content=content, filename="fatura.pdf", actor=operador, **INVOICE
        )
    assert "file" in info.value.message_dict
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.invoice_key
    assert not Execution.objects.exists()


def test_manual_upload_rejects_oversized(process, operador, pdf_bytes, settings):
    settings.BILLING_INVOICE_MAX_BYTES = len(pdf_bytes) - 1
    with pytest.raises(ValidationError):
        services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    assert not process.invoice_key


def test_manual_upload_refused_while_robot_runs(process, operador, pdf_bytes):
    services.process_request_download(process=process, actor=operador)
    with pytest.raises(services.InvalidTransition):
        services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)


# --- robot requests and dispatch -----------------------------------------------------------


def test_download_refused_when_already_running(process, operador):
    services.process_request_download(process=process, actor=operador)
    with pytest.raises(services.InvalidTransition):
        services.process_request_download(process=process, actor=operador)
    assert Execution.objects.count() == 1


def test_download_refused_for_carrier_without_robot(operador):
    process = InvoiceProcessFactory(client=BillingClientFactory(carrier=CarrierFactory(code="TIM", has_robot=False)))
    with pytest.raises(services.InvalidTransition):
        services.process_request_download(process=process, actor=operador)


def test_sat_upload_only_after_approval(process, operador):
    with pytest.raises(services.InvalidTransition):
        services.process_request_sat_upload(process=process, actor=operador)


def test_dispatch_downloads_skips_busy_failed_and_robotless(db, django_capture_on_commit_callbacks):
    vivo, oi = CarrierFactory(code="VIVO"), CarrierFactory(code="OI")
    tim = CarrierFactory(code="TIM", has_robot=False)
    ready = [InvoiceProcessFactory(client=BillingClientFactory(carrier=vivo)) for _ in range(3)]
    oi_process = InvoiceProcessFactory(client=BillingClientFactory(carrier=oi))
    InvoiceProcessFactory(client=BillingClientFactory(carrier=tim))
    failed = InvoiceProcessFactory(client=BillingClientFactory(carrier=vivo))
    Execution.objects.create(
        process=failed, kind=ExecutionKind.DOWNLOAD_FATURA, status=ExecutionStatus.FALHOU, error_kind=ErrorKind.BUSINESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.processes_dispatch_downloads(carrier="vivo", limit=2) == {"dispatched": 2, "skipped": 0}
        assert services.processes_dispatch_downloads() == {"dispatched": 2, "skipped": 0}
        assert services.processes_dispatch_downloads() == {"dispatched": 0, "skipped": 0}
    running = set(Execution.objects.filter(status=ExecutionStatus.EXECUTANDO).values_list("process_id", flat=True))
    assert running == {p.pk for p in ready} | {oi_process.pk}
    assert InvoiceProcess.objects.get(pk=ready[0].pk).download_attempts == 1
    execution = Execution.objects.filter(status=ExecutionStatus.EXECUTANDO).first()
    assert execution.input_data["senha_portal"] == "***" and execution.attempt == 1


def test_dispatch_sat_only_approved_with_invoice(db, pdf_bytes, operador):
    approved = InvoiceProcessFactory()
    services.process_upload_invoice(process=approved, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    InvoiceProcess.objects.filter(pk=approved.pk).update(status=ProcessStatus.AGUARDANDO_ENVIO_SAT)
    InvoiceProcessFactory()
    assert services.processes_dispatch_sat() == {"dispatched": 1, "skipped": 0}
    execution = Execution.objects.get(kind=ExecutionKind.UPLOAD_SAT)
    assert execution.input_data["url_arquivo"] == "<URL assinada, temporária>"


def test_cancel_only_running(process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    services.execution_cancel(execution=execution, actor=operador)
    with pytest.raises(services.InvalidTransition):
        services.execution_cancel(execution=execution, actor=operador)
    assert AuditEvent.objects.filter(action="billing.execution.cancel").count() == 1


def test_retry_only_latest_failed(process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    with pytest.raises(services.InvalidTransition):
        services.execution_retry(execution=execution, actor=operador)  # still running
    services.execution_cancel(execution=execution, actor=operador)
    second = services.execution_retry(execution=execution, actor=operador)
    services.execution_cancel(execution=second, actor=operador)
    with pytest.raises(services.InvalidTransition):
        services.execution_retry(execution=execution, actor=operador)  # not the latest


# --- error classification -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "raw", "expected"),
    [
        ("NEGOCIO: credenciais recusadas", {}, ErrorKind.BUSINESS),
        ("Negócio: fatura não disponível", {}, ErrorKind.BUSINESS),
        ("SISTEMA: login timeout", {}, ErrorKind.SYSTEM),
        ("Senha inválida no portal", {}, ErrorKind.BUSINESS),
        ("Fatura não disponível ainda", {}, ErrorKind.BUSINESS),
        ("Chrome crashed", {}, ErrorKind.SYSTEM),
        (None, {}, ErrorKind.SYSTEM),
        ("whatever", {"error_kind": "business"}, ErrorKind.BUSINESS),
        ("senha errada", {"error_type": "system"}, ErrorKind.SYSTEM),
    ],
)
def test_classify_robot_error(error, raw, expected):
    assert services.classify_robot_error(error, raw) == expected


def test_backoff_grows_and_is_capped(settings):
    settings.BILLING_RPA_RETRY_BASE_SECONDS = 10
    settings.BILLING_RPA_RETRY_MAX_SECONDS = 100
    assert 10 <= services._backoff(1) <= 20
    assert 40 <= services._backoff(3) <= 50
    assert services._backoff(10) == 100


def test_amount_and_money_are_decimal(process, pdf_bytes, operador):
    InvoiceProcess.objects.filter(pk=process.pk).update(amount=Decimal("1234.56"))
    process.refresh_from_db()
    assert process.amount == Decimal("1234.56")


def test_clients_import_reports_each_row(db, operador):
    CarrierFactory(code="VIVO")
    good = make_cnpj(77)
    csv_text = (
        "razao_social;cnpj;operadora;unidade;servico;senha_portal;cpf;ativo\n"
        f"Boa Ltda;{good};vivo;Matriz;MOVEL;segredo;;sim\n"
        "Ruim Ltda;11.222.333/0001-00;VIVO;Matriz;MOVEL;;;sim\n"
        f"Sem Operadora;{make_cnpj(78)};XPTO;;;;;\n"
        f"CPF Ruim;{make_cnpj(79)};VIVO;;;;123;\n"
        f"Ativo?;{make_cnpj(80)};VIVO;;;;;talvez\n"
        ";;;;;;;\n"
    )
    dry = importers.clients_import_csv(raw=csv_text.encode(), dry_run=True, actor=operador)
    assert dry["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "error": 4}
    assert BillingClient.objects.count() == 0 and not AuditEvent.objects.exists()
    errors = {row["line"]: row["errors"] for row in dry["rows"]}
    assert set(errors[3]) == {"cnpj"} and set(errors[4]) == {"carrier"}
    assert set(errors[5]) == {"cpf"} and set(errors[6]) == {"active"}

    report = importers.clients_import_csv(raw=csv_text.encode(), actor=operador)
    assert report["counts"]["created"] == 1
    again = importers.clients_import_csv(raw=csv_text.encode(), actor=operador)
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "error": 4}
    changed = csv_text.replace("Boa Ltda", "Boa Nova Ltda")
    assert importers.clients_import_csv(raw=changed.encode(), actor=operador)["counts"]["updated"] == 1
    assert BillingClient.objects.get().legal_name == "Boa Nova Ltda"


def test_clients_import_rejects_bad_files(db):
    with pytest.raises(ValidationError):
        importers.clients_import_csv(raw=b"")
    with pytest.raises(ValidationError) as info:
        importers.clients_import_csv(raw=b"nome,cnpj\nx,y\n")
    assert "operadora" in str(info.value)


def test_demo_fixture_clients_all_valid(db):
    from billing_rpa import demo

    counts = demo.load()
    assert counts["billing_clients"] == 20 and counts["carriers"] == 6
    assert demo.load() == {"carriers": 0, "billing_clients": 0, "billing_staff": 0, "invoice_processes": 0}

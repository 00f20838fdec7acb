import csv
import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from billing_rpa import services
from billing_rpa.choices import ExecutionStatus, ProcessStatus
from billing_rpa.models import BillingClient, Execution, ExecutionLogLine, InvoiceProcess
from billing_rpa.tests.factories import (
    INVOICE,
    UPLOAD_FIELDS,
    BillingClientFactory,
    CarrierFactory,
    InvoiceProcessFactory,
    make_cnpj,
)

BASE = "/api/v1/billing"


async def _collect(response):
    return b"".join([chunk async for chunk in response.streaming_content])


@pytest.fixture
def op_api(client_for, operador):
    return client_for(operador)


@pytest.fixture
def ap_api(client_for, aprovador):
    return client_for(aprovador)


def _upload(api, process, content, name="fatura.pdf"):
    return api.post(
        f"{BASE}/processes/{process.pk}/upload-invoice/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), **UPLOAD_FIELDS},
        format="multipart",
    )


# --- clients ---------------------------------------------------------------------------


def test_client_create_never_returns_password(op_api, carrier):
    response = op_api.post(
        f"{BASE}/clients/",
        {"legal_name": "ACME", "cnpj": "11.222.333/0001-81", "carrier": "VIVO", "portal_password": "segredo-1"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["cnpj"] == "11222333000181" and body["cnpj_formatted"] == "11.222.333/0001-81"
    assert body["has_portal_password"] is True
    assert "segredo-1" not in response.content.decode() and "portal_password" not in body
    for url in (f"{BASE}/clients/", f"{BASE}/clients/{body['id']}/"):
        text = op_api.get(url).content.decode()
        assert "segredo-1" not in text and "portal_password_encrypted" not in text


@pytest.mark.parametrize(
    ("field", "value"), [("cnpj", "11.222.333/0001-00"), ("cpf", "123.456.789-00"), ("carrier", "NOPE")]
)
def test_client_create_field_errors(op_api, carrier, field, value):
    data = {"legal_name": "ACME", "cnpj": "11222333000181", "carrier": "VIVO", field: value}
    response = op_api.post(f"{BASE}/clients/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert BillingClient.objects.count() == 0


def test_client_filters(op_api, carrier):
    BillingClientFactory(carrier=carrier, legal_name="Alfa Ltda", cnpj="11222333000181")
    BillingClientFactory(carrier=CarrierFactory(code="OI"), legal_name="Beta SA")
    assert op_api.get(f"{BASE}/clients/?carrier=oi").json()["count"] == 1
    assert op_api.get(f"{BASE}/clients/?search=11.222").json()["results"][0]["legal_name"] == "Alfa Ltda"
    assert op_api.get(f"{BASE}/clients/?cnpj=11.222.333").json()["count"] == 1


def test_client_import_dry_run_and_apply(op_api, carrier):
    content = f"razao_social,cnpj,operadora,senha_portal\nA,{make_cnpj(1)},VIVO,x\nB,123,VIVO,\n".encode()
    response = op_api.post(
        f"{BASE}/clients/import/", {"file": SimpleUploadedFile("c.csv", content), "dry_run": True}, format="multipart"
    )
    assert response.status_code == 200
    report = response.json()
    assert report["dry_run"] is True and report["counts"]["created"] == 1 and report["counts"]["error"] == 1
    assert report["rows"][1]["errors"]["cnpj"]
    assert BillingClient.objects.count() == 0
    response = op_api.post(
        f"{BASE}/clients/import/", {"file": SimpleUploadedFile("c.csv", content)}, format="multipart"
    )
    assert response.json()["counts"]["created"] == 1 and BillingClient.objects.count() == 1


def test_client_import_bad_file_is_400(op_api, carrier):
    response = op_api.post(
        f"{BASE}/clients/import/", {"file": SimpleUploadedFile("c.csv", b"x,y\n1,2\n")}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()


# --- processes -------------------------------------------------------------------------


def test_process_create_and_duplicate(op_api, billing_client):
    data = {"client": billing_client.pk, "month": "07/2025"}
    assert op_api.post(f"{BASE}/processes/", data).status_code == 201
    assert op_api.post(f"{BASE}/processes/", data).status_code == 400
    assert op_api.post(f"{BASE}/processes/", {**data, "month": "7/2025"}).json()["month"]


@pytest.mark.parametrize("month", ["13/2025", "2025-07", "abc"])
def test_create_month_invalid_month_is_400(op_api, billing_client, month):
    response = op_api.post(f"{BASE}/processes/create-month/", {"month": month})
    assert response.status_code == 400 and "month" in response.json()
    assert InvoiceProcess.objects.count() == 0


def test_create_month_counts(op_api, billing_client):
    assert op_api.post(f"{BASE}/processes/create-month/", {"month": "08/2025"}).json() == {
        "month": "08/2025",
        "created": 1,
        "existing": 0,
    }


def test_upload_approve_invoice_roundtrip(op_api, ap_api, process, pdf_bytes):
    response = _upload(op_api, process, pdf_bytes)
    assert response.status_code == 201 and response.json()["kind"] == "UPLOAD_MANUAL"
    detail = op_api.get(f"{BASE}/processes/{process.pk}/").json()
    assert detail["status"] == "AGUARDANDO_APROVACAO" and detail["manual_upload"] and detail["has_invoice"]
    pdf = op_api.get(f"{BASE}/processes/{process.pk}/invoice/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content) == pdf_bytes
    approved = ap_api.post(f"{BASE}/processes/{process.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "aprovador.teste"
    again = ap_api.post(f"{BASE}/processes/{process.pk}/approve/")
    assert again.status_code == 409 and "AGUARDANDO_ENVIO_SAT" not in again.json()["detail"]


def test_upload_non_pdf_and_oversized_are_400(op_api, process, pdf_bytes, settings):
    response = _upload(op_api, process, b"GIF89a not a pdf", name="fatura.pdf")
    assert response.status_code == 400 and "file" in response.json()
    settings.BILLING_INVOICE_MAX_BYTES = 100
    response = _upload(op_api, process, pdf_bytes)
    assert response.status_code == 400 and "limite" in response.json()["file"][0]
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not Execution.objects.exists()


def test_upload_on_wrong_status_is_409(op_api, process, pdf_bytes):
    assert _upload(op_api, process, pdf_bytes).status_code == 201
    assert _upload(op_api, process, pdf_bytes).status_code == 409


def test_invoice_404_without_file(op_api, process):
    assert op_api.get(f"{BASE}/processes/{process.pk}/invoice/").status_code == 404


def test_download_twice_is_409(op_api, process):
    assert op_api.post(f"{BASE}/processes/{process.pk}/download/").status_code == 202
    assert op_api.post(f"{BASE}/processes/{process.pk}/download/").status_code == 409
    assert Execution.objects.count() == 1


def test_process_filters_and_late(op_api, carrier):
    old = InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month="01/2020")
    InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month=services.current_month())
    assert op_api.get(f"{BASE}/processes/?month=01/2020").json()["count"] == 1
    late = op_api.get(f"{BASE}/processes/?late=true").json()
    assert [p["id"] for p in late["results"]] == [old.pk] and late["results"][0]["is_late"] is True
    assert op_api.get(f"{BASE}/processes/?status=UPLOAD_REALIZADO").json()["count"] == 0
    assert op_api.get(f"{BASE}/processes/?carrier=VIVO&status=AGUARDANDO_DOWNLOAD").json()["count"] == 2


# --- executions ------------------------------------------------------------------------


def test_logs_after(op_api, process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    now = timezone.now()
    ExecutionLogLine.objects.bulk_create(
        [
            ExecutionLogLine(execution=execution, seq=i, timestamp=now + timedelta(seconds=i), message=f"m{i}")
            for i in (1, 2, 3)
        ]
    )
    body = op_api.get(f"{BASE}/executions/{execution.pk}/logs/?after=1").json()
    assert [line["seq"] for line in body["logs"]] == [2, 3]
    assert body["last_seq"] == 3 and body["finished"] is False and body["status"] == "EXECUTANDO"
    assert op_api.get(f"{BASE}/executions/{execution.pk}/logs/?after=x").status_code == 400


def test_execution_cancel_and_retry_via_api(op_api, process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    response = op_api.post(f"{BASE}/executions/{execution.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == ExecutionStatus.CANCELADO
    assert op_api.post(f"{BASE}/executions/{execution.pk}/cancel/").status_code == 409
    retry = op_api.post(f"{BASE}/executions/{execution.pk}/retry/")
    assert retry.status_code == 202 and retry.json()["attempt"] == 2
    assert op_api.get(f"{BASE}/executions/?status=CANCELADO").json()["count"] == 1


def test_sse_endpoint_on_finished_execution_sends_all_then_ends(op_api, process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    now = timezone.now()
    ExecutionLogLine.objects.bulk_create(
        [ExecutionLogLine(execution=execution, seq=i, timestamp=now, message=f"linha {i}") for i in (1, 2, 3)]
    )
    services.execution_cancel(execution=execution, actor=operador)
    response = op_api.get(
        f"{BASE}/executions/{execution.pk}/logs/stream/", HTTP_ACCEPT="text/event-stream", HTTP_LAST_EVENT_ID="1"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    text = async_to_sync(_collect)(response).decode()
    assert "id: 1\n" not in text and "id: 2\n" in text and "id: 3\n" in text
    assert text.rstrip().endswith('"last_seq": 3}')


def test_sse_endpoint_requires_auth(api_client, process, operador):
    execution = services.process_request_download(process=process, actor=operador)
    response = api_client.get(f"{BASE}/executions/{execution.pk}/logs/stream/", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 401


# --- reports ---------------------------------------------------------------------------


def test_monthly_report_json_and_csv(op_api, carrier, pdf_bytes, operador):
    processes = [InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month="03/2025") for _ in range(3)]
    InvoiceProcessFactory(client=BillingClientFactory(carrier=CarrierFactory(code="OI")), month="03/2025")
    services.process_upload_invoice(
        process=processes[0], content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE
    )
    InvoiceProcess.objects.filter(pk=processes[0].pk).update(amount="100.50")
    report = op_api.get(f"{BASE}/reports/monthly/?month=03/2025").json()
    assert report["total"] == 4 and report["amount"] == "100.50"
    assert report["by_status"] == {
        "AGUARDANDO_DOWNLOAD": 3,
        "AGUARDANDO_APROVACAO": 1,
        "AGUARDANDO_ENVIO_SAT": 0,
        "UPLOAD_REALIZADO": 0,
    }
    vivo = next(c for c in report["by_carrier"] if c["carrier"] == "VIVO")
    assert vivo["total"] == 3 and vivo["by_status"]["AGUARDANDO_APROVACAO"] == 1
    assert report["late_count"] == 4  # March 2025 is long gone
    response = op_api.get(f"{BASE}/reports/monthly/?month=03/2025&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="faturas-03-2025.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0][:4] == ["mes_ano", "operadora", "nome", "total"]
    assert ["03/2025", "TOTAL", "", "4", "3", "1", "0", "0", "100.50"] in rows


@pytest.mark.parametrize("month", ["", "2025-03", "13/2025"])
def test_monthly_report_invalid_month(op_api, db, month):
    response = op_api.get(f"{BASE}/reports/monthly/?month={month}")
    assert response.status_code == 400 and "month" in response.json()


# --- schema and migrations ----------------------------------------------------------------


def test_openapi_schema_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/v1/billing/executions/{id}/logs/stream/",
        "/api/v1/billing/reports/monthly/",
        "/api/v1/billing/processes/{id}/upload-invoice/",
        "/api/v1/billing/files/{token}/",
    ):
        assert path in schema
    assert "text/event-stream" in schema and "text/csv" in schema


def test_no_missing_migrations(db):
    call_command("makemigrations", "billing_rpa", "--check", "--dry-run", verbosity=0)


def test_carrier_robot_config_null_means_empty_and_must_be_an_object(client_for, admin_user):
    api = client_for(admin_user)
    created = api.post(
        "/api/v1/billing/carriers/",
        {"code": "TIM", "name": "TIM", "robot_config": "null", "has_robot": "false"},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    assert created.json()["robot_config"] == {}
    refused = api.post("/api/v1/billing/carriers/", {"code": "CLARO", "name": "Claro", "robot_config": [1]})
    assert refused.status_code == 400
    assert "robot_config" in refused.json()

"""The permission matrix: Operador, Aprovador, ADMIN, plain USER, READONLY, anonymous.

Every denied request must leave the database exactly as it was.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from accounts.tests.factories import AdminFactory, ReadOnlyFactory, UserFactory
from billing_rpa import services
from billing_rpa.choices import ProcessStatus
from billing_rpa.models import BillingClient, Carrier, Execution, InvoiceProcess
from billing_rpa.tests.factories import (
    INVOICE,
    UPLOAD_FIELDS,
    BillingClientFactory,
    CarrierFactory,
    InvoiceProcessFactory,
    make_cnpj,
    staff_user,
)

ROLES = ("operador", "aprovador", "admin", "user", "readonly", "anonymous")


def make_user(role):
    if role == "anonymous":
        return None
    if role == "admin":
        return AdminFactory()
    if role == "user":
        return UserFactory()
    if role == "readonly":
        return ReadOnlyFactory()
    return staff_user({"operador": "Operador", "aprovador": "Aprovador"}[role])


def snapshot():
    return {
        "carriers": list(Carrier.objects.values_list("code", "name", "active")),
        "clients": list(BillingClient.objects.values_list("pk", "legal_name", "active")),
        "processes": list(InvoiceProcess.objects.values_list("pk", "status", "approved_by", "invoice_key")),
        "executions": list(Execution.objects.values_list("pk", "status")),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def world(db, pdf_bytes):
    carrier = CarrierFactory(code="VIVO")
    client = BillingClientFactory(carrier=carrier)
    waiting = InvoiceProcessFactory(client=client, month="01/2025")
    to_approve = InvoiceProcessFactory(client=client, month="02/2025")
    to_sat = InvoiceProcessFactory(client=client, month="03/2025")
    staff = make_user("admin")
    for process in (to_approve, to_sat):
        services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=staff, **INVOICE)
    InvoiceProcess.objects.filter(pk=to_sat.pk).update(status=ProcessStatus.AGUARDANDO_ENVIO_SAT)
    failed = InvoiceProcessFactory(client=client, month="04/2025")
    running = services.process_request_download(process=failed, actor=staff)
    services.execution_cancel(execution=running, actor=staff)
    busy = InvoiceProcessFactory(client=client, month="05/2025")
    active = services.process_request_download(process=busy, actor=staff)
    return {
        "carrier": carrier,
        "client": client,
        "waiting": waiting,
        "to_approve": to_approve,
        "to_sat": to_sat,
        "cancelled": running,
        "running": active,
        "pdf": pdf_bytes,
    }


def _csv():
    return SimpleUploadedFile("c.csv", f"razao_social;cnpj;operadora\nNovo;{make_cnpj(4242)};VIVO\n".encode())


# name, method, url(world), body(world) or None, format, {role: status} (roles not listed: see DEFAULTS)
CASES = [
    ("carriers-list", "get", lambda w: "/api/v1/billing/carriers/", None, None, {}),
    ("carrier-detail", "get", lambda w: f"/api/v1/billing/carriers/{w['carrier'].pk}/", None, None, {}),
    (
        "carrier-create",
        "post",
        lambda w: "/api/v1/billing/carriers/",
        lambda w: {"code": "NOVA", "name": "Nova"},
        "json",
        {"operador": 403, "aprovador": 403, "admin": 201},
    ),
    (
        "carrier-update",
        "patch",
        lambda w: f"/api/v1/billing/carriers/{w['carrier'].pk}/",
        lambda w: {"active": False},
        "json",
        {"operador": 403, "aprovador": 403, "admin": 200},
    ),
    ("clients-list", "get", lambda w: "/api/v1/billing/clients/", None, None, {}),
    (
        "client-create",
        "post",
        lambda w: "/api/v1/billing/clients/",
        lambda w: {"legal_name": "Nova", "cnpj": make_cnpj(555), "carrier": "VIVO", "portal_password": "x"},
        "json",
        {"operador": 201, "aprovador": 403, "admin": 201},
    ),
    (
        "client-update",
        "patch",
        lambda w: f"/api/v1/billing/clients/{w['client'].pk}/",
        lambda w: {"portal_login": "outro"},
        "json",
        {"operador": 200, "aprovador": 403, "admin": 200},
    ),
    (
        "client-delete",
        "delete",
        lambda w: f"/api/v1/billing/clients/{BillingClientFactory(carrier=w['carrier']).pk}/",
        None,
        None,
        {"operador": 403, "aprovador": 403, "admin": 204},
    ),
    (
        "client-import",
        "post",
        lambda w: "/api/v1/billing/clients/import/",
        lambda w: {"file": _csv()},
        "multipart",
        {"operador": 200, "aprovador": 403, "admin": 200},
    ),
    ("processes-list", "get", lambda w: "/api/v1/billing/processes/", None, None, {}),
    (
        "process-create-month",
        "post",
        lambda w: "/api/v1/billing/processes/create-month/",
        lambda w: {"month": "06/2025"},
        "json",
        {"operador": 200, "aprovador": 403, "admin": 200},
    ),
    (
        "process-download",
        "post",
        lambda w: f"/api/v1/billing/processes/{w['waiting'].pk}/download/",
        None,
        "json",
        {"operador": 202, "aprovador": 403, "admin": 202},
    ),
    (
        "process-upload",
        "post",
        lambda w: f"/api/v1/billing/processes/{w['waiting'].pk}/upload-invoice/",
        lambda w: {"file": SimpleUploadedFile("f.pdf", w["pdf"], content_type="application/pdf"), **UPLOAD_FIELDS},
        "multipart",
        {"operador": 201, "aprovador": 403, "admin": 201},
    ),
    (
        "process-approve",
        "post",
        lambda w: f"/api/v1/billing/processes/{w['to_approve'].pk}/approve/",
        None,
        "json",
        {"operador": 403, "aprovador": 200, "admin": 200},
    ),
    (
        "process-reject",
        "post",
        lambda w: f"/api/v1/billing/processes/{w['to_approve'].pk}/reject/",
        lambda w: {"reason": "errada"},
        "json",
        {"operador": 403, "aprovador": 200, "admin": 200},
    ),
    (
        "process-send-to-sat",
        "post",
        lambda w: f"/api/v1/billing/processes/{w['to_sat'].pk}/send-to-sat/",
        None,
        "json",
        {"operador": 202, "aprovador": 403, "admin": 202},
    ),
    ("process-invoice", "get", lambda w: f"/api/v1/billing/processes/{w['to_approve'].pk}/invoice/", None, None, {}),
    ("executions-list", "get", lambda w: "/api/v1/billing/executions/", None, None, {}),
    (
        "execution-cancel",
        "post",
        lambda w: f"/api/v1/billing/executions/{w['running'].pk}/cancel/",
        None,
        "json",
        {"operador": 200, "aprovador": 403, "admin": 200},
    ),
    (
        "execution-retry",
        "post",
        lambda w: f"/api/v1/billing/executions/{w['cancelled'].pk}/retry/",
        None,
        "json",
        {"operador": 202, "aprovador": 403, "admin": 202},
    ),
    ("execution-logs", "get", lambda w: f"/api/v1/billing/executions/{w['cancelled'].pk}/logs/", None, None, {}),
    ("report-monthly", "get", lambda w: "/api/v1/billing/reports/monthly/?month=03/2025", None, None, {}),
]
DEFAULTS = {"operador": 200, "aprovador": 200, "admin": 200, "user": 403, "readonly": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "fmt", "expected"), CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(world, client_for, role, name, method, url, body, fmt, expected):
    from rest_framework.test import APIClient

    want = {**DEFAULTS, **expected}[role]
    user = make_user(role)
    api = client_for(user) if user else APIClient()
    target = url(world)
    before = snapshot()
    kwargs = {"format": fmt} if fmt else {}
    response = getattr(api, method)(target, body(world) if body else None, **kwargs)
    assert response.status_code == want, (name, role, getattr(response, "data", None))
    if want >= 400 or method == "get":
        assert snapshot() == before, f"{name} as {role} changed data"

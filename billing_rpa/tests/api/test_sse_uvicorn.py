"""The live log stream over real HTTP, served by uvicorn (ASGI) on a loopback port."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from billing_rpa.choices import ExecutionKind, ExecutionStatus
from billing_rpa.models import Execution, ExecutionLogLine
from billing_rpa.tests.factories import InvoiceProcessFactory
from exitus.tests.servers import uvicorn_on_loopback


@pytest.fixture
def asgi_server():
    """uvicorn serving ``exitus.asgi`` in a thread, on a loopback port."""
    from exitus.asgi import application

    with uvicorn_on_loopback(application) as base_url:
        yield base_url


def _line(execution, seq):
    return ExecutionLogLine.objects.create(
        execution=execution, seq=seq, timestamp=timezone.now() + timedelta(seconds=seq), message=f"linha {seq}"
    )


def _events(response):
    """Yield (kind, payload) per SSE block: ("log", id), ("end", data), ("heartbeat", None)."""
    block = []
    for line in response.iter_lines():
        if line:
            block.append(line)
            continue
        if not block:
            continue
        fields = dict(item.split(": ", 1) for item in block if ": " in item and not item.startswith(":"))
        if block[0].startswith(": heartbeat"):
            yield "heartbeat", None
        elif fields.get("event") == "log":
            yield "log", int(fields["id"])
        elif fields.get("event") == "end":
            yield "end", fields["data"]
        block = []


@pytest.mark.django_db(transaction=True)
def test_stream_resumes_from_last_event_id_and_closes_at_end(asgi_server, operador):
    process = InvoiceProcessFactory()
    execution = Execution.objects.create(process=process, kind=ExecutionKind.DOWNLOAD_FATURA)
    for seq in (1, 2, 3):
        _line(execution, seq)
    token = str(RefreshToken.for_user(operador).access_token)
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream", "Last-Event-ID": "1"}
    url = f"{asgi_server}/api/v1/billing/executions/{execution.pk}/logs/stream/"
    seen, heartbeats = [], 0
    with httpx.Client(timeout=10) as http, http.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        # While this stream is open the server still answers other requests (no pinned worker).
        others = [
            httpx.stream("GET", url, headers={**headers, "Last-Event-ID": "3"}, timeout=10).__enter__()
            for _ in range(3)
        ]
        json_headers = {"Authorization": headers["Authorization"]}
        assert httpx.get(f"{asgi_server}/api/v1/billing/carriers/", headers=json_headers, timeout=5).status_code == 200
        for other in others:
            other.close()
        for kind, value in _events(response):
            if kind == "log":
                seen.append(value)
                if value == 3:
                    _line(execution, 4)  # a new line arrives while the client listens
                if value == 4:
                    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.CONCLUIDO)
            elif kind == "heartbeat":
                heartbeats += 1
            elif kind == "end":
                assert '"status": "CONCLUIDO"' in value and '"last_seq": 4' in value
                break
    assert seen == [2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_stream_query_param_resume_and_auth(asgi_server, operador, user):
    process = InvoiceProcessFactory()
    execution = Execution.objects.create(
        process=process, kind=ExecutionKind.DOWNLOAD_FATURA, status=ExecutionStatus.FALHOU
    )
    for seq in (1, 2):
        _line(execution, seq)
    url = f"{asgi_server}/api/v1/billing/executions/{execution.pk}/logs/stream/?last_event_id=1"
    investor = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    assert httpx.get(url, headers=investor, timeout=5).status_code == 403
    assert httpx.get(url, timeout=5).status_code == 401
    staff = {"Authorization": f"Bearer {RefreshToken.for_user(operador).access_token}"}
    body = httpx.get(url, headers=staff, timeout=5).text
    assert "id: 1\n" not in body and "id: 2\n" in body and "event: end" in body

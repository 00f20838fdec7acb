"""The simulator honours the contract (an independent robot implementation must too)."""

import httpx
import pytest

from billing_rpa.rpa_client import RpaClient, RpaNotFound, RpaRetryableError, RpaTerminalError
from billing_rpa.simulator import Faults, RpaSimulator, Timing

from .conftest import SIM_TOKEN

DOWNLOAD = {
    "cnpj": "11222333000181",
    "razao": "ACME",
    "operadora": "VIVO",
    "nome_filtro": "",
    "unidade": "",
    "servico": "",
    "mes_ano": "03/2025",
    "login_portal": "l",
    "senha_portal": "s",
    "cpf": "",
    "url_portal": "",
    "configuracao_rpa": {},
    "idempotency_key": "k-1",
}


@pytest.fixture
def rpa(sim):
    with RpaClient(base_url=sim.url, token=SIM_TOKEN) as client:
        yield client


def test_health_and_auth(sim, rpa):
    assert rpa.health() == {"status": "ok"}
    assert httpx.get(f"{sim.url}/health").status_code == 401
    assert httpx.get(f"{sim.url}/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with RpaClient(base_url=sim.url, token="wrong") as bad, pytest.raises(RpaTerminalError) as info:
        bad.health()
    assert info.value.status_code == 401


def test_download_job_lifecycle(sim, rpa):
    sim.timing = Timing(queued_s=0.0, running_s=0.0)
    job_id = rpa.start_download("vivo", DOWNLOAD)
    assert rpa.start_download("VIVO", DOWNLOAD) == job_id  # same idempotency key, same job
    status = rpa.job_status(job_id)
    assert status.status == "completed" and status.error is None
    assert set(status.result) == {"url_fatura", "valor_fatura", "data_vencimento"}
    assert status.result["data_vencimento"] == "2025-04-10"
    pdf = rpa.fetch_file(status.result["url_fatura"], max_bytes=10**6)
    assert pdf.startswith(b"%PDF-")
    logs = rpa.job_logs(job_id)
    assert [entry.seq for entry in logs] == list(range(1, len(logs) + 1))
    assert rpa.job_logs(job_id, after=len(logs)) == []
    assert "senha" not in " ".join(entry.message for entry in logs).casefold()


def test_queued_then_running(sim, rpa):
    sim.timing = Timing(queued_s=5, running_s=5)
    job_id = rpa.start_download("VIVO", DOWNLOAD)
    assert rpa.job_status(job_id).status == "queued"
    sim.timing = Timing(queued_s=0, running_s=5)
    assert rpa.job_status(job_id).status == "running"


def test_errors(sim, rpa):
    with pytest.raises(RpaNotFound):
        rpa.start_download("NOPE", DOWNLOAD)
    with pytest.raises(RpaTerminalError) as info:
        rpa.start_download("VIVO", {**DOWNLOAD, "mes_ano": "2025-03"})
    assert info.value.status_code == 422
    with pytest.raises(RpaTerminalError):
        rpa.start_sat_upload({"cnpj": "1"})
    with pytest.raises(RpaNotFound):
        rpa.job_status("unknown")
    sim.faults.http_5xx = 1
    with pytest.raises(RpaRetryableError) as info:
        rpa.health()
    assert info.value.status_code == 503
    assert rpa.health()["status"] == "ok"


def test_connection_refused_is_retryable():
    with (
        RpaClient(base_url="http://127.0.0.1:9", token="x", connect_timeout=0.2) as client,
        pytest.raises(RpaRetryableError),
    ):
        client.health()


def test_token_never_sent_to_other_hosts(sim, rpa):
    from billing_rpa.rpa_client import _same_origin

    assert _same_origin(f"{sim.url}/files/x.pdf", sim.url)
    assert not _same_origin("http://127.0.0.2:9/x.pdf", sim.url)


def test_file_size_cap(sim, rpa):
    sim.timing = Timing(queued_s=0, running_s=0)
    job_id = rpa.start_download("VIVO", DOWNLOAD)
    url = rpa.job_status(job_id).result["url_fatura"]
    with pytest.raises(RpaTerminalError):
        rpa.fetch_file(url, max_bytes=10)


def test_runtime_fault_switch(sim):
    headers = {"Authorization": f"Bearer {SIM_TOKEN}"}
    answer = httpx.post(f"{sim.url}/_sim/faults", json={"business_failure": True}, headers=headers).json()
    assert answer["business_failure"] is True and sim.faults.business_failure


def test_fault_names():
    faults = Faults.from_names(["slow", "5xx", "never-finish"], slow_ms=10)
    assert (faults.slow_ms, faults.http_5xx, faults.never_finish) == (10, -1, True)
    with pytest.raises(ValueError):
        Faults.from_names(["bogus"])


def test_refuses_non_loopback():
    with pytest.raises(ValueError):
        RpaSimulator(host="0.0.0.0")


def sat_body(**values):
    """A SAT upload body (without url_arquivo and idempotency_key), from the download's fields."""
    body = {k: v for k, v in DOWNLOAD.items() if k != "mes_ano"}
    return {**body, "dados_sat": "", "nome_arquivo": "f.pdf", "data_vencimento": "2030-01-10", **values}


def test_sat_job_fetches_the_file_from_loopback_only(settings):
    with RpaSimulator(token=SIM_TOKEN, timing=Timing(0, 0)) as sim, RpaClient(base_url=sim.url, token=SIM_TOKEN) as rpa:
        sat = sat_body(valor_fatura="1.00")
        outside = rpa.start_sat_upload({**sat, "url_arquivo": "http://example.invalid/f.pdf", "idempotency_key": "s1"})
        assert "loopback" in rpa.job_status(outside).error
        job = rpa.start_download("VIVO", DOWNLOAD)
        pdf_url = rpa.job_status(job).result["url_fatura"]
        missing = rpa.start_sat_upload({**sat, "url_arquivo": pdf_url + "x", "idempotency_key": "s2"})
        assert rpa.job_status(missing).status == "failed"


def test_sat_job_that_cannot_fetch_its_pdf_logs_the_failure(settings):
    with RpaSimulator(token=SIM_TOKEN, timing=Timing(0, 0)) as sim, RpaClient(base_url=sim.url, token=SIM_TOKEN) as rpa:
        sat = sat_body(valor_fatura="9.90")
        job = rpa.start_sat_upload({**sat, "url_arquivo": f"{sim.url}/files/nada.pdf", "idempotency_key": "s3"})
        assert rpa.job_status(job).status == "failed"
        messages = [line.message for line in rpa.job_logs(job, after=0)]
        assert "Robô concluído com sucesso" not in messages and "Fatura registrada no SAT" not in messages
        assert messages[-1] == "Robô encerrado com falha" and "url_arquivo" in messages[-2]


def test_sat_job_refuses_empty_due_date_and_amount(settings):
    from billing_rpa.rpa_client import RpaTerminalError

    with RpaSimulator(token=SIM_TOKEN, timing=Timing(0, 0)) as sim, RpaClient(base_url=sim.url, token=SIM_TOKEN) as rpa:
        sat = sat_body(data_vencimento="", valor_fatura="")
        with pytest.raises(RpaTerminalError, match="data_vencimento"):
            rpa.start_sat_upload({**sat, "url_arquivo": f"{sim.url}/files/x.pdf", "idempotency_key": "s4"})

"""End-to-end flows against the RPA simulator over real HTTP on loopback (no mocks of our client)."""

import time
from decimal import Decimal

import pytest

from billing_rpa import services, storage
from billing_rpa.choices import ErrorKind, ExecutionKind, ExecutionStatus, ProcessStatus
from billing_rpa.models import Execution, ExecutionLogLine

from .conftest import drive


def _executions(process, kind=ExecutionKind.DOWNLOAD_FATURA):
    return list(Execution.objects.filter(process=process, kind=kind).order_by("attempt"))


def test_happy_path_download_approve_sat(sim, process, operador, aprovador, settings):
    execution = services.process_request_download(process=process, actor=operador)
    assert execution.status == ExecutionStatus.EXECUTANDO
    assert execution.input_data["senha_portal"] == "***"

    drive(process)

    execution.refresh_from_db()
    process.refresh_from_db()
    assert execution.status == ExecutionStatus.CONCLUIDO
    assert execution.rpa_job_id in sim.jobs
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    assert process.amount is not None and process.amount > Decimal("0")
    assert process.due_date.isoformat() == "2025-04-10"
    assert process.invoice_key == (
        f"invoices/{process.client_id}/2025-03/{process.uuid}/{process.invoice_sha256[:16]}.pdf"
    )
    with storage.open_invoice(process.invoice_key) as handle:
        assert handle.read().startswith(b"%PDF-")
    assert process.download_attempts == 1
    # The robot got the real password; we stored only the redacted one.
    robot_job = sim.jobs[execution.rpa_job_id]
    assert robot_job.payload["senha_portal"] == "senha-secreta-123"
    assert robot_job.payload["idempotency_key"] == str(execution.idempotency_key)
    seqs = list(ExecutionLogLine.objects.filter(execution=execution).values_list("seq", flat=True))
    assert seqs == list(range(1, len(robot_job.log_script) + 1))

    services.process_approve(process=process, actor=aprovador)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_ENVIO_SAT
    assert process.approved_by == aprovador and process.approved_at is not None

    sat = services.process_request_sat_upload(process=process, actor=operador)
    drive(process)
    sat.refresh_from_db()
    process.refresh_from_db()
    assert sat.status == ExecutionStatus.CONCLUIDO
    assert process.status == ProcessStatus.UPLOAD_REALIZADO
    assert process.sent_to_sat and process.sat_sent_at and process.sat_protocol.startswith("SAT-")
    payload = sim.jobs[sat.rpa_job_id].payload
    assert payload["valor_fatura"] == f"{process.amount:.2f}"
    assert payload["url_arquivo"].startswith(settings.BILLING_PUBLIC_BASE_URL)
    assert sat.input_data["url_arquivo"] != payload["url_arquivo"]  # the signed link is not stored


def test_business_failure_is_not_retried(sim, process, operador):
    sim.faults.business_failure = True
    services.process_request_download(process=process, actor=operador)
    drive(process)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.FALHOU
    assert only.error_kind == ErrorKind.BUSINESS
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD
    assert len(sim.robot_jobs()) == 1


def test_system_failure_retried_then_succeeds(sim, process, operador):
    sim.faults.system_failures = 1
    services.process_request_download(process=process, actor=operador)
    drive(process)
    first, second = _executions(process)
    assert (first.status, first.error_kind) == (ExecutionStatus.TENTANDO_NOVAMENTE, ErrorKind.SYSTEM)
    assert (second.status, second.attempt, second.auto_retries) == (ExecutionStatus.CONCLUIDO, 2, 1)
    assert first.idempotency_key != second.idempotency_key
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    assert process.download_attempts == 2


def test_system_failure_gives_up_after_max_attempts(sim, process, operador, settings, mailoutbox):
    settings.BILLING_RPA_MAX_ATTEMPTS = 3
    sim.faults.system_failures = -1
    services.process_request_download(process=process, actor=operador)
    drive(process)
    statuses = [e.status for e in _executions(process)]
    assert statuses == [ExecutionStatus.TENTANDO_NOVAMENTE, ExecutionStatus.TENTANDO_NOVAMENTE, ExecutionStatus.FALHOU]
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD
    assert len(sim.robot_jobs()) == 3


def test_never_finishing_job_times_out(sim, process, operador, settings):
    settings.BILLING_RPA_JOB_TIMEOUT_SECONDS = 0.3
    sim.faults.never_finish = True
    services.process_request_download(process=process, actor=operador)
    drive(process)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.TIMEOUT
    assert sim.jobs[only.rpa_job_id].cancelled  # best effort on the robot side


def test_non_pdf_invoice_is_a_system_failure(sim, process, operador, settings):
    settings.BILLING_RPA_MAX_ATTEMPTS = 2
    sim.faults.non_pdf = True
    services.process_request_download(process=process, actor=operador)
    drive(process)
    _first, second = _executions(process)
    assert second.status == ExecutionStatus.FALHOU
    assert "PDF" in second.error_data["error"]
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.invoice_key


def test_http_5xx_then_recovers_with_same_job(sim, process, operador):
    sim.faults.http_5xx = 2  # the POST and its first retry fail
    execution = services.process_request_download(process=process, actor=operador)
    drive(process)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CONCLUIDO
    assert execution.start_tries == 3
    assert len(sim.robot_jobs()) == 1


def test_unauthorized_fails_without_retry(sim, process, operador):
    sim.faults.unauthorized = True
    services.process_request_download(process=process, actor=operador)
    drive(process)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.FALHOU
    assert "401" in only.error_data["error"]
    assert sim.robot_jobs() == []


def test_slow_robot_hits_read_timeout_then_gives_up(sim, process, operador, settings):
    settings.RPA_API_READ_TIMEOUT = 0.1
    settings.BILLING_RPA_START_MAX_TRIES = 2
    settings.BILLING_RPA_MAX_ATTEMPTS = 1
    sim.faults.slow_ms = 300
    services.process_request_download(process=process, actor=operador)
    drive(process, timeout=8)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.FALHOU
    assert "tempo esgotado" in only.error_data["error"]
    # The robot did receive the POSTs (we timed out reading), but the key made them one job.
    time.sleep(0.5)
    assert len(sim.robot_jobs()) == 1


def test_garbage_status_is_retried_until_deadline(sim, process, operador, settings):
    settings.BILLING_RPA_JOB_TIMEOUT_SECONDS = 0.3
    services.process_request_download(process=process, actor=operador)
    sim.faults.garbage = True
    drive(process)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.TIMEOUT


def test_unknown_carrier_is_terminal(sim, operador):
    from .factories import BillingClientFactory, CarrierFactory, InvoiceProcessFactory

    unknown = CarrierFactory(code="NOPE", name="Nope")
    process = InvoiceProcessFactory(client=BillingClientFactory(carrier=unknown))
    services.process_request_download(process=process, actor=operador)
    drive(process)
    (only,) = _executions(process)
    assert only.status == ExecutionStatus.FALHOU and "404" in only.error_data["error"]


def test_crash_between_robot_post_and_commit_creates_no_second_job(sim, process, operador, monkeypatch):
    """A worker dies after the robot accepted the job but before we stored the job id."""
    execution = services.process_request_download(process=process, actor=operador)

    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr("billing_rpa.services.worker._store_job_id", crash)
    with pytest.raises(SystemExit):
        services.execution_start_now(execution.pk)
    monkeypatch.undo()
    assert len(sim.robot_jobs()) == 1
    # The task is redelivered (acks_late); its lease has expired.
    Execution.objects.filter(pk=execution.pk).update(next_poll_at=execution.created_at)
    from billing_rpa.tasks import start_execution

    assert start_execution.run(execution.pk)["outcome"] == "started"
    drive(process)
    assert len(sim.robot_jobs()) == 1
    assert Execution.objects.filter(process=process).count() == 1
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CONCLUIDO


def test_redelivered_start_task_is_a_noop(sim, process, operador):
    from billing_rpa.tasks import start_execution

    execution = services.process_request_download(process=process, actor=operador)
    assert start_execution.run(execution.pk)["outcome"] == "started"
    assert start_execution.run(execution.pk)["outcome"] == "noop"
    assert len(sim.robot_jobs()) == 1


def test_cancel_running_execution_cancels_robot_job(sim, process, operador):
    from billing_rpa.tasks import cancel_robot_job

    sim.faults.never_finish = True
    execution = services.process_request_download(process=process, actor=operador)
    services.execution_start_now(execution.pk)
    execution.refresh_from_db()
    services.execution_cancel(execution=execution, actor=operador)
    cancel_robot_job.run(execution.pk)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELADO
    assert sim.jobs[execution.rpa_job_id].cancelled
    # and a retry by hand starts attempt 2
    sim.faults.never_finish = False
    retry = services.execution_retry(execution=execution, actor=operador)
    assert retry.attempt == 2
    drive(process)
    retry.refresh_from_db()
    assert retry.status == ExecutionStatus.CONCLUIDO

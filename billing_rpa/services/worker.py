"""The worker side of a robot step: claim due executions, start the job, poll it, store its logs,
and finish it (completed, failed, retried, timed out).

Robot errors are never raised to Celery: a system error schedules a new attempt with backoff
(within ``BILLING_RPA_MAX_ATTEMPTS``), a business error or an exhausted budget fails the step
and tells the operators.
"""

import logging
import random
import time
import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .. import crypto, live, storage
from ..choices import ROBOT_KINDS, ErrorKind, ExecutionKind, ExecutionStatus, LogLevel, ProcessEvent
from ..models import Execution, ExecutionLogLine, InvoiceProcess
from ..notifications import notifications_resolve_step
from ..rpa_client import RpaClient, RpaNotFound, RpaRetryableError, RpaTerminalError, get_client, resolve_url
from .dispatch import _attempt_counter, _new_execution, _next_attempt
from .enqueue import notify_failure_after_commit
from .payload import build_payload, invoice_filename, missing_sat_values
from .transitions import InvalidTransition, _append_log, _finish_execution, _transition_process

logger = logging.getLogger(__name__)


def _backoff(n: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1) + U(0, base), capped."""
    base = settings.BILLING_RPA_RETRY_BASE_SECONDS
    return min(settings.BILLING_RPA_RETRY_MAX_SECONDS, base * 2 ** max(n - 1, 0) + random.uniform(0, base))


def _reschedule(execution_id, seconds, **updates) -> None:
    Execution.objects.filter(pk=execution_id, status=ExecutionStatus.EXECUTANDO).update(
        next_poll_at=timezone.now() + timedelta(seconds=seconds), **updates
    )


def executions_claim_due(*, limit, ids=None, unstarted_only=False) -> list[int]:
    """Lease due robot executions to this worker (``skip_locked``: concurrent pollers never share one)."""
    now = timezone.now()
    with transaction.atomic():
        queryset = Execution.objects.select_for_update(skip_locked=True).filter(
            status=ExecutionStatus.EXECUTANDO, kind__in=ROBOT_KINDS, next_poll_at__lte=now
        )
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
        if unstarted_only:
            queryset = queryset.filter(rpa_job_id="")
        claimed = list(queryset.order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])
        if claimed:
            lease = timedelta(seconds=settings.BILLING_RPA_CLAIM_LEASE_SECONDS)
            Execution.objects.filter(pk__in=claimed).update(next_poll_at=now + lease)
    return claimed


def execution_advance(execution_id, *, client: RpaClient) -> str:
    """One step for a claimed robot execution: start the job, or look at it. Returns what happened."""
    execution = Execution.objects.select_related("process__client__carrier").get(pk=execution_id)
    if execution.status != ExecutionStatus.EXECUTANDO:
        return "noop"
    if not execution.rpa_job_id:
        return _start_job(execution, client)
    return _poll_job(execution, client)


def execution_start_now(execution_id) -> str:
    """Called by the ``start_execution`` task: claim the execution if due and not started, and start it."""
    if not executions_claim_due(limit=1, ids=[execution_id], unstarted_only=True):
        return "noop"
    with get_client() as client:
        return execution_advance(execution_id, client=client)


def executions_poll_due(*, budget_seconds=None, batch=None) -> dict:
    """The poller: advance every due execution until none is due or the time budget is spent."""
    budget = settings.BILLING_RPA_POLL_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    batch = batch or settings.BILLING_RPA_POLL_BATCH
    stop_at = time.monotonic() + budget
    counts = Counter()
    with get_client() as client:
        while time.monotonic() < stop_at:
            claimed = executions_claim_due(limit=batch)
            if not claimed:
                break
            counts["claimed"] += len(claimed)
            for pk in claimed:
                try:
                    counts[execution_advance(pk, client=client)] += 1
                except Exception:
                    logger.exception("advancing execution %s failed", pk)
                    counts["errors"] += 1
    return dict(counts)


def _store_job_id(execution, job_id) -> bool:
    now = timezone.now()
    return bool(
        Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.EXECUTANDO, rpa_job_id="").update(
            rpa_job_id=job_id,
            started_at=now,
            deadline_at=now + timedelta(seconds=_job_timeout(execution)),
            next_poll_at=now + timedelta(seconds=settings.BILLING_RPA_POLL_INTERVAL_SECONDS),
            start_tries=F("start_tries") + 1,
            poll_failures=0,
            updated_at=now,
        )
    )


def _job_timeout(execution) -> int:
    config = execution.process.client.carrier.robot_config or {}
    try:
        return int(config.get("timeout_seconds") or settings.BILLING_RPA_JOB_TIMEOUT_SECONDS)
    except (TypeError, ValueError):
        return settings.BILLING_RPA_JOB_TIMEOUT_SECONDS


def _start_job(execution, client: RpaClient) -> str:
    process = execution.process
    try:
        if execution.kind == ExecutionKind.DOWNLOAD_FATURA:
            payload = build_payload(execution)
            job_id = client.start_download(process.client.carrier.code, payload)
        else:
            missing = missing_sat_values(process)
            if missing:
                message = _("Envio ao SAT recusado: faltam %(fields)s da fatura.") % {"fields": ", ".join(missing)}
                return _fail(execution, ErrorKind.BUSINESS, message, retry=False)
            payload = build_payload(execution, file_url=storage.robot_file_url(process))
            job_id = client.start_sat_upload(payload)
    except (RpaRetryableError, storage.StorageUnavailable) as exc:
        # Outcome unknown: the next try re-sends the same idempotency_key, so the robot
        # answers with the job it may already have created instead of starting another.
        tries = execution.start_tries + 1
        if tries >= settings.BILLING_RPA_START_MAX_TRIES:
            return _fail(execution, ErrorKind.SYSTEM, str(exc), retry=True)
        _reschedule(execution.pk, _backoff(tries), start_tries=tries)
        _append_log(execution.pk, _("Robô indisponível (%(error)s); nova tentativa agendada.") % {"error": exc})
        return "start_retry"
    except RpaTerminalError as exc:
        return _fail(execution, ErrorKind.SYSTEM, str(exc), retry=False)
    except crypto.CredentialDecryptError as exc:
        return _fail(execution, ErrorKind.SYSTEM, str(exc), retry=False)
    if _store_job_id(execution, job_id):
        _append_log(execution.pk, _("Job %(job)s aceito pelo robô.") % {"job": job_id})
        return "started"
    # Cancelled while we were talking to the robot: stop the job there too.
    if Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.CANCELADO).exists():
        Execution.objects.filter(pk=execution.pk, rpa_job_id="").update(rpa_job_id=job_id)
        _cancel_on_robot(client, job_id)
    return "noop"


def _cancel_on_robot(client, job_id) -> None:
    if not (job_id and settings.BILLING_RPA_CANCEL_ON_ROBOT):
        return
    try:
        client.cancel_job(job_id)
    except Exception as exc:  # noqa: BLE001 - best effort
        logger.info("robot cancel of job %s failed: %s", job_id, exc.__class__.__name__)


def _store_logs(execution, entries) -> None:
    if not entries:
        return
    now = timezone.now()
    lines = []
    for entry in entries:
        stamp = parse_datetime(entry.timestamp.replace("Z", "+00:00")) if entry.timestamp else None
        if stamp is not None and timezone.is_naive(stamp):
            stamp = timezone.make_aware(stamp, timezone.get_current_timezone())
        level = entry.level if entry.level in LogLevel.values else LogLevel.INFO
        lines.append(
            ExecutionLogLine(
                execution_id=execution.pk,
                seq=entry.seq,
                timestamp=stamp or now,
                level=level,
                message=entry.message[:10000],
            )
        )
    last = max(entry.seq for entry in entries)
    with transaction.atomic():
        ExecutionLogLine.objects.bulk_create(lines, ignore_conflicts=True)
        Execution.objects.filter(pk=execution.pk, last_log_seq__lt=last).update(last_log_seq=last)
        transaction.on_commit(lambda: live.publish(execution.pk))
    execution.last_log_seq = max(execution.last_log_seq, last)


def _poll_job(execution, client: RpaClient) -> str:
    job_id = execution.rpa_job_id
    try:
        status = client.job_status(job_id)
        _store_logs(execution, client.job_logs(job_id, after=execution.last_log_seq))
    except RpaNotFound as exc:
        return _fail(execution, ErrorKind.SYSTEM, _("O robô não conhece mais o job: %(e)s") % {"e": exc}, retry=True)
    except (RpaRetryableError, RpaTerminalError):
        # The job exists on the robot; keep looking (with backoff) until its deadline.
        if _past_deadline(execution):
            return _timeout(execution, client)
        failures = execution.poll_failures + 1
        _reschedule(execution.pk, min(_backoff(failures), 300), poll_failures=failures)
        return "poll_retry"
    if status.status in ("queued", "running"):
        if _past_deadline(execution):
            return _timeout(execution, client)
        _reschedule(execution.pk, settings.BILLING_RPA_POLL_INTERVAL_SECONDS, poll_failures=0)
        return "running"
    if status.status == "failed":
        kind = classify_robot_error(status.error, status.raw)
        return _fail(execution, kind, status.error or _("falha sem detalhes"), retry=kind == ErrorKind.SYSTEM)
    if execution.kind == ExecutionKind.DOWNLOAD_FATURA:
        return _complete_download(execution, status.result or {}, client)
    return _complete_sat(execution, status.result or {})


def _past_deadline(execution) -> bool:
    return execution.deadline_at is not None and timezone.now() >= execution.deadline_at


def _timeout(execution, client) -> str:
    message = _("O job não terminou no prazo (%(s)s s).") % {"s": _job_timeout(execution)}
    with transaction.atomic():
        if not _finish_execution(
            execution.pk, ExecutionStatus.TIMEOUT, error_kind=ErrorKind.SYSTEM, error_data={"error": message}
        ):
            return "noop"
        _append_log(execution.pk, message)
        notify_failure_after_commit(execution.pk)
    _cancel_on_robot(client, execution.rpa_job_id)
    return "timeout"


def _parse_download_result(result: dict):
    url = result.get("url_fatura")
    if not url or not isinstance(url, str):
        raise ValueError("url_fatura ausente")
    amount = Decimal(str(result.get("valor_fatura"))).quantize(Decimal("0.01"))
    if amount < 0:
        raise ValueError("valor_fatura negativo")
    due = date.fromisoformat(str(result.get("data_vencimento")))
    return url, amount, due


def _complete_download(execution, result: dict, client: RpaClient) -> str:
    try:
        url, amount, due = _parse_download_result(result)
    except (ValueError, InvalidOperation, TypeError) as exc:
        return _fail(execution, ErrorKind.SYSTEM, _("Resultado inválido do robô: %(e)s") % {"e": exc}, retry=True)
    absolute = resolve_url(url, client.base_url)
    try:
        content = client.fetch_file(absolute, max_bytes=settings.BILLING_INVOICE_MAX_BYTES)
    except RpaRetryableError as exc:
        return _retry_later(execution, str(exc))
    except RpaTerminalError as exc:
        return _fail(execution, ErrorKind.SYSTEM, str(exc), retry=True)
    if not storage.looks_like_pdf(content):
        return _fail(execution, ErrorKind.SYSTEM, _("O arquivo baixado não é um PDF."), retry=True)
    process = execution.process
    try:
        stored = storage.save_invoice(process, content)
    except storage.StorageUnavailable as exc:
        # Not the robot's fault: keep the finished job and try to store again (backoff)
        # until the job's deadline; the process stays as it was meanwhile.
        message = _("Armazenamento indisponível (%(e)s); nova tentativa agendada.") % {"e": exc}
        if _past_deadline(execution):
            return _fail(execution, ErrorKind.SYSTEM, message, retry=True)
        failures = execution.poll_failures + 1
        _reschedule(execution.pk, _backoff(failures), poll_failures=failures)
        if failures == 1 or failures % 10 == 0:
            _append_log(execution.pk, message)
        return "poll_retry"
    try:
        outcome = _record_download(execution, process, stored, result, absolute, due, amount)
    except BaseException:
        storage.discard_unreferenced(stored.key)  # the database write failed: no orphan file
        raise
    if outcome != "stored":
        storage.discard_unreferenced(stored.key)  # another attempt won, or the process moved on
        return "noop" if outcome == "noop" else "completed"
    return "completed"


def _record_download(execution, process, stored, result, absolute, due, amount) -> str:
    """The database side of a stored download: ``stored``, ``noop`` (finished elsewhere) or ``moved``."""
    with transaction.atomic():
        if not _finish_execution(
            execution.pk,
            ExecutionStatus.CONCLUIDO,
            output_data={**result, "sha256": stored.sha256, "size": stored.size},
            file_url=absolute[:1000],
        ):
            return "noop"
        try:
            with transaction.atomic():
                _transition_process(
                    process.pk,
                    ProcessEvent.INVOICE_DOWNLOADED,
                    invoice_key=stored.key,
                    invoice_sha256=stored.sha256,
                    invoice_size=stored.size,
                    invoice_filename=invoice_filename(process),
                    invoice_url=absolute[:1000],
                    due_date=due,
                    amount=amount,
                    manual_upload=False,
                )
        except InvalidTransition as exc:
            _append_log(execution.pk, _("Fatura baixada, mas o processo já havia avançado: %(e)s") % {"e": exc.message})
            return "moved"
        notifications_resolve_step(process_id=process.pk, kind=execution.kind, execution_id=execution.pk)
        _append_log(execution.pk, _("Fatura armazenada (%(size)s bytes).") % {"size": stored.size})
    return "stored"


def _complete_sat(execution, result: dict) -> str:
    protocol = str(result.get("protocolo") or "")[:120]
    now = timezone.now()
    with transaction.atomic():
        if not _finish_execution(execution.pk, ExecutionStatus.CONCLUIDO, output_data=result):
            return "noop"
        try:
            with transaction.atomic():
                _transition_process(
                    execution.process_id,
                    ProcessEvent.SAT_UPLOADED,
                    sent_to_sat=True,
                    sat_sent_at=now,
                    sat_protocol=protocol,
                )
        except InvalidTransition as exc:
            _append_log(
                execution.pk, _("Envio concluído, mas o processo já havia avançado: %(e)s") % {"e": exc.message}
            )
            return "completed"
        notifications_resolve_step(process_id=execution.process_id, kind=execution.kind, execution_id=execution.pk)
        _append_log(execution.pk, _("Fatura registrada no SAT, protocolo %(p)s.") % {"p": protocol or "-"})
    return "completed"


def _retry_later(execution, message) -> str:
    """A completed job whose file we could not fetch or store yet: look again later, up to a limit."""
    failures = execution.poll_failures + 1
    if failures >= settings.BILLING_RPA_START_MAX_TRIES:
        return _fail(execution, ErrorKind.SYSTEM, message, retry=True)
    _reschedule(execution.pk, _backoff(failures), poll_failures=failures)
    _append_log(execution.pk, message)
    return "poll_retry"


def _fail(execution, error_kind, message, *, retry: bool) -> str:
    """A failed attempt: a new attempt later for system errors (within budget), else FALHOU."""
    error = {"error": str(message)[:2000]}
    can_retry = (
        retry and error_kind == ErrorKind.SYSTEM and execution.auto_retries + 1 < settings.BILLING_RPA_MAX_ATTEMPTS
    )
    with transaction.atomic():
        if can_retry:
            if not _finish_execution(
                execution.pk, ExecutionStatus.TENTANDO_NOVAMENTE, error_kind=error_kind, error_data=error
            ):
                return "noop"
            process = InvoiceProcess.objects.select_related("client__carrier").get(pk=execution.process_id)
            delay = _backoff(execution.auto_retries + 1)
            retry_execution = _new_execution(
                process,
                execution.kind,
                attempt=_next_attempt(process.pk, execution.kind),
                start_at=timezone.now() + timedelta(seconds=delay),
                auto_retries=execution.auto_retries + 1,
            )
            retry_execution.save()
            counter = _attempt_counter(execution.kind)
            InvoiceProcess.objects.filter(pk=process.pk).update(**{counter: F(counter) + 1})
            _append_log(execution.pk, _("Falha de sistema; nova tentativa em %(s)d s.") % {"s": delay})
            return "retrying"
        if not _finish_execution(execution.pk, ExecutionStatus.FALHOU, error_kind=error_kind, error_data=error):
            return "noop"
        _append_log(execution.pk, str(message)[:500])
        notify_failure_after_commit(execution.pk)
    return "failed"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").casefold()


def classify_robot_error(error: str | None, raw: dict | None = None) -> str:
    """Business (do not retry) vs system (retry) for a failed job.

    The contract gives only an error string, so: an explicit ``error_kind``/``error_type``
    if the robot sends one, then a ``NEGOCIO:``/``SISTEMA:`` prefix, then the configured
    business patterns; anything else is a system error (retried, bounded).
    """
    raw = raw or {}
    explicit = _fold(str(raw.get("error_kind") or raw.get("error_type") or ""))
    if explicit:
        return ErrorKind.BUSINESS if explicit.startswith(("business", "negocio")) else ErrorKind.SYSTEM
    text = _fold(error or "").strip()
    if text.startswith(("sistema", "system")):
        return ErrorKind.SYSTEM
    if text.startswith(("negocio", "business")):
        return ErrorKind.BUSINESS
    if any(_fold(pattern) in text for pattern in settings.BILLING_RPA_BUSINESS_ERROR_PATTERNS):
        return ErrorKind.BUSINESS
    return ErrorKind.SYSTEM


def execution_cancel_on_robot(execution_id) -> bool:
    execution = Execution.objects.filter(pk=execution_id).first()
    if execution is None or not execution.rpa_job_id:
        return False
    with get_client() as client:
        _cancel_on_robot(client, execution.rpa_job_id)
    return True

"""Every write of billing_rpa: carriers, clients, month creation, robot steps, approval, SAT.

Views, admin actions, tasks and commands only call these functions. Each one validates,
writes inside ``transaction.atomic``, records an audit row when a person acted, and
queues follow-up work with ``transaction.on_commit``. Status changes go through
:func:`_transition_process` / :func:`_finish_execution`: compare-and-set updates that
allow only the transitions listed in ``choices``, so two workers or two clicks cannot
both win.
"""

import logging
import random
import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record, diff

from . import crypto, live, storage
from .choices import (
    EXECUTION_TRANSITIONS,
    KIND_SOURCE_STATUS,
    PROCESS_TRANSITIONS,
    ROBOT_KINDS,
    ErrorKind,
    ExecutionKind,
    ExecutionStatus,
    LogLevel,
    ProcessEvent,
    ProcessStatus,
)
from .models import BillingClient, Carrier, Execution, ExecutionLogLine, InvoiceProcess
from .rpa_client import RpaClient, RpaNotFound, RpaRetryableError, RpaTerminalError, get_client, resolve_url
from .validators import month_label, normalize_cnpj, normalize_cpf, parse_month

logger = logging.getLogger(__name__)

REDACTED = "***"


class InvalidTransition(ValidationError):
    """The object is not in a state that allows this action (the API answers 409)."""


# --- state machines: the only place statuses change ----------------------------


def _transition_process(process_id, event, **updates) -> None:
    """Move a process along ``event`` if (and only if) its current status allows it."""
    sources, target = PROCESS_TRANSITIONS[event]
    changed = InvoiceProcess.objects.filter(pk=process_id, status__in=sources).update(
        status=target, updated_at=timezone.now(), **updates
    )
    if changed != 1:
        current = InvoiceProcess.objects.filter(pk=process_id).values_list("status", flat=True).first()
        raise InvalidTransition(
            _("Ação não permitida: o processo está em %(status)s.")
            % {"status": ProcessStatus(current).label if current else "?"},
            code="invalid_transition",
        )


def _finish_execution(execution_id, status, **updates) -> bool:
    """Move a running execution to ``status``; False when it was no longer running."""
    if status not in EXECUTION_TRANSITIONS[ExecutionStatus.EXECUTANDO]:
        raise ValueError(f"illegal execution status {status}")
    now = timezone.now()
    changed = Execution.objects.filter(pk=execution_id, status=ExecutionStatus.EXECUTANDO).update(
        status=status, finished_at=now, updated_at=now, next_poll_at=None, **updates
    )
    if changed:
        transaction.on_commit(lambda: live.publish(execution_id))
    return bool(changed)


def _append_log(execution_id, message) -> None:
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M:%S")
    execution = Execution.objects.only("log_text").get(pk=execution_id)
    Execution.objects.filter(pk=execution_id).update(log_text=f"{execution.log_text}[{stamp}] {message}\n"[-20000:])


# --- carriers and clients ------------------------------------------------------

CARRIER_FIELDS = ("code", "name", "has_robot", "portal_url", "robot_class", "robot_config", "active")
CLIENT_FIELDS = (
    "legal_name",
    "sat_name",
    "cnpj",
    "carrier",
    "name_filter",
    "service",
    "sat_data",
    "unit",
    "portal_login",
    "cpf",
    "active",
)


def _json_value(value):
    if isinstance(value, Carrier | BillingClient):
        return value.pk
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _snapshot(obj, fields):
    return {name: _json_value(getattr(obj, name)) for name in fields}


@transaction.atomic
def carrier_save(*, carrier=None, data, actor, meta=NO_REQUEST) -> Carrier:
    """Create (``carrier=None``) or update a carrier."""
    creating = carrier is None or carrier.pk is None
    carrier = carrier or Carrier()
    # Compare with the stored row: the admin hands us an instance its form already changed.
    before = {} if creating else _snapshot(Carrier.objects.get(pk=carrier.pk), CARRIER_FIELDS)
    for name in CARRIER_FIELDS:
        if name in data:
            setattr(carrier, name, data[name])
    carrier.code = (carrier.code or "").strip().upper()
    carrier.full_clean()
    carrier.save()
    changes = diff(before, _snapshot(carrier, CARRIER_FIELDS))
    audit_record(
        actor=actor,
        action="billing.carrier.create" if creating else "billing.carrier.update",
        target=carrier,
        changes=changes,
        meta=meta,
    )
    return carrier


def client_unique_hash(*, cnpj, carrier_id, unit, service) -> str:
    import hashlib

    key = "|".join([cnpj, str(carrier_id), (unit or "").strip().casefold(), (service or "").strip().casefold()])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _clean_client(client: BillingClient) -> None:
    errors = {}
    try:
        client.cnpj = normalize_cnpj(client.cnpj)
    except ValidationError as exc:
        errors["cnpj"] = exc.messages
    try:
        client.cpf = normalize_cpf(client.cpf)
    except ValidationError as exc:
        errors["cpf"] = exc.messages
    for name in ("legal_name", "sat_name", "name_filter", "service", "unit", "portal_login"):
        setattr(client, name, (getattr(client, name) or "").strip())
    if errors:
        raise ValidationError(errors)
    client.unique_hash = client_unique_hash(
        cnpj=client.cnpj, carrier_id=client.carrier_id, unit=client.unit, service=client.service
    )
    client.full_clean(exclude=["unique_hash"])


@transaction.atomic
def client_save(*, client=None, data, portal_password=None, actor, meta=NO_REQUEST) -> BillingClient:
    """Create (``client=None``) or update a billing client.

    ``portal_password``: ``None`` keeps the stored one, ``""`` clears it, anything else
    replaces it (encrypted). It is never part of an audit row, a log or an answer.
    """
    creating = client is None or client.pk is None
    client = client or BillingClient()
    before = {} if creating else _snapshot(BillingClient.objects.get(pk=client.pk), CLIENT_FIELDS)
    for name in CLIENT_FIELDS:
        if name in data:
            setattr(client, name, data[name])
    _clean_client(client)
    password_changed = False
    if portal_password is not None:
        old = crypto.decrypt(client.portal_password_encrypted) if client.portal_password_encrypted else ""
        if portal_password != old:
            client.portal_password_encrypted = crypto.encrypt(portal_password)
            password_changed = True
    client.save()
    changes = diff(before, _snapshot(client, CLIENT_FIELDS))
    if password_changed:
        changes["portal_password"] = [REDACTED, REDACTED]
    if creating or changes:
        audit_record(
            actor=actor,
            action="billing.client.create" if creating else "billing.client.update",
            target=client,
            changes=changes,
            meta=meta,
        )
    return client


@transaction.atomic
def client_delete(*, client, actor, meta=NO_REQUEST) -> None:
    if client.processes.exists():
        raise InvalidTransition(
            _("Este cliente já tem processos: desative-o em vez de excluí-lo."), code="client_has_processes"
        )
    audit_record(actor=actor, action="billing.client.delete", target=client, meta=meta)
    client.delete()


def clients_rotate_keys(*, dry_run=False) -> dict:
    """Re-encrypt every stored portal password under the current (first) key."""
    rotated = failed = 0
    with transaction.atomic():
        for client in (
            BillingClient.objects.exclude(portal_password_encrypted="")
            .select_for_update()
            .only("pk", "portal_password_encrypted")
        ):
            try:
                token = crypto.rotate(client.portal_password_encrypted)
            except crypto.CredentialDecryptError:
                failed += 1
                continue
            if not dry_run:
                BillingClient.objects.filter(pk=client.pk).update(portal_password_encrypted=token)
            rotated += 1
    return {"rotated": rotated, "failed": failed}


# --- monthly processes ----------------------------------------------------------


def current_month() -> str:
    return month_label(timezone.localdate())


def process_create_month(*, month=None, actor=None, meta=NO_REQUEST) -> dict:
    """Create the process of ``month`` for every active client of an active carrier.

    Idempotent: existing processes are counted, never duplicated (unique client × month).
    """
    month = month or current_month()
    try:
        period = parse_month(month)
    except ValidationError as exc:
        raise ValidationError({"month": exc.messages}) from exc
    with transaction.atomic():
        active = BillingClient.objects.filter(active=True, carrier__active=True)
        total = active.count()
        missing = list(
            active.exclude(processes__month=month).order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)
        )
        before = InvoiceProcess.objects.filter(month=month).count()
        InvoiceProcess.objects.bulk_create(
            (InvoiceProcess(client_id=pk, month=month, period=period, auto_created=actor is None) for pk in missing),
            batch_size=2000,
            ignore_conflicts=True,
        )
        created = InvoiceProcess.objects.filter(month=month).count() - before
        if actor is not None:
            audit_record(
                actor=actor,
                action="billing.month.create",
                changes={"month": [None, month], "created": [None, created]},
                meta=meta,
            )
    return {"month": month, "created": created, "existing": total - created}


@transaction.atomic
def process_create(*, client, month, notes="", actor, meta=NO_REQUEST) -> InvoiceProcess:
    try:
        period = parse_month(month)
    except ValidationError as exc:
        raise ValidationError({"month": exc.messages}) from exc
    if InvoiceProcess.objects.filter(client=client, month=month).exists():
        raise ValidationError({"month": [_("Já existe um processo deste cliente para este mês.")]})
    process = InvoiceProcess.objects.create(client=client, month=month, period=period, notes=notes)
    audit_record(
        actor=actor, action="billing.process.create", target=process, changes={"month": [None, month]}, meta=meta
    )
    return process


# --- robot steps: request, dispatch, start, poll, finish -------------------------


def _lock_process(process_id) -> InvoiceProcess:
    return InvoiceProcess.objects.select_for_update().get(pk=process_id)


def _has_running(process_id) -> bool:
    return Execution.objects.filter(process_id=process_id, status=ExecutionStatus.EXECUTANDO).exists()


def _next_attempt(process_id, kind) -> int:
    current = Execution.objects.filter(process_id=process_id, kind=kind).aggregate(m=Max("attempt"))["m"]
    return (current or 0) + 1


def _attempt_counter(kind) -> str:
    return "download_attempts" if kind == ExecutionKind.DOWNLOAD_FATURA else "sat_attempts"


def _robot_class(process, kind) -> str:
    if kind == ExecutionKind.UPLOAD_SAT:
        return "sat"
    carrier = process.client.carrier
    return carrier.robot_class or carrier.code


def _check_robot_ready(process, kind) -> None:
    client = process.client
    if kind == ExecutionKind.DOWNLOAD_FATURA:
        if not client.active:
            raise InvalidTransition(_("Cliente inativo."), code="client_inactive")
        if not (client.carrier.active and client.carrier.has_robot):
            raise InvalidTransition(
                _("A operadora %(carrier)s não tem robô ativo: envie a fatura manualmente.")
                % {"carrier": client.carrier.code},
                code="no_robot",
            )
    elif not process.invoice_key:
        raise InvalidTransition(_("O processo não tem fatura armazenada."), code="no_invoice")


def _new_execution(process, kind, *, attempt, actor=None, meta=NO_REQUEST, start_at=None, auto_retries=0):
    execution = Execution(
        process=process,
        kind=kind,
        status=ExecutionStatus.EXECUTANDO,
        attempt=attempt,
        auto_retries=auto_retries,
        robot_class=_robot_class(process, kind),
        next_poll_at=start_at or timezone.now(),
        triggered_by=actor if getattr(actor, "is_authenticated", False) else None,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
    )
    execution.input_data = build_payload(execution, redacted=True)
    return execution


def _enqueue_starts(execution_ids) -> None:
    """Publish one ``start_execution`` per id on one broker connection.

    A broker failure is logged, not raised: the poller starts any due execution anyway.
    """
    if not execution_ids:
        return
    from exitus.celery import app

    from .tasks import start_execution

    try:
        with app.producer_or_acquire() as producer:
            for pk in execution_ids:
                start_execution.apply_async((pk,), producer=producer)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not enqueue %d robot starts (%s); the poller will start them", len(execution_ids), exc)


def _request_robot_step(*, process, kind, actor, meta, action) -> Execution:
    source = KIND_SOURCE_STATUS[kind]
    with transaction.atomic():
        process = _lock_process(process.pk)
        if process.status != source:
            raise InvalidTransition(
                _("Ação não permitida: o processo está em %(status)s.") % {"status": process.get_status_display()},
                code="invalid_transition",
            )
        _check_robot_ready(process, kind)
        if _has_running(process.pk):
            raise InvalidTransition(_("Já existe uma execução em andamento para este processo."), code="busy")
        execution = _new_execution(process, kind, attempt=_next_attempt(process.pk, kind), actor=actor, meta=meta)
        try:
            with transaction.atomic():
                execution.save()
        except IntegrityError as exc:
            raise InvalidTransition(_("Já existe uma execução em andamento para este processo."), code="busy") from exc
        counter = _attempt_counter(kind)
        InvoiceProcess.objects.filter(pk=process.pk).update(**{counter: F(counter) + 1})
        if getattr(actor, "is_authenticated", False):
            audit_record(
                actor=actor,
                action=action,
                target=process,
                changes={"execution": [None, execution.pk], "kind": [None, kind]},
                meta=meta,
            )
        transaction.on_commit(lambda: _enqueue_starts([execution.pk]))
    return execution


def process_request_download(*, process, actor=None, meta=NO_REQUEST) -> Execution:
    return _request_robot_step(
        process=process, kind=ExecutionKind.DOWNLOAD_FATURA, actor=actor, meta=meta, action="billing.process.download"
    )


def process_request_sat_upload(*, process, actor=None, meta=NO_REQUEST) -> Execution:
    return _request_robot_step(
        process=process, kind=ExecutionKind.UPLOAD_SAT, actor=actor, meta=meta, action="billing.process.send_to_sat"
    )


def _dispatch(queryset, kind, *, limit=None, chunk=500) -> dict:
    """Start ``kind`` for the ready processes in ``queryset`` (skipping ones another dispatcher holds)."""
    ids = list(queryset.order_by("period", "pk").values_list("pk", flat=True)[: limit or None])
    source, counter = KIND_SOURCE_STATUS[kind], _attempt_counter(kind)
    dispatched = 0
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            locked = list(
                InvoiceProcess.objects.select_for_update(skip_locked=True)
                .filter(pk__in=ids[start : start + chunk], status=source)
                .values_list("pk", flat=True)
            )
            busy = set(
                Execution.objects.filter(process_id__in=locked, status=ExecutionStatus.EXECUTANDO).values_list(
                    "process_id", flat=True
                )
            )
            ready = [pk for pk in locked if pk not in busy]
            attempts = dict(
                Execution.objects.filter(process_id__in=ready, kind=kind)
                .values("process_id")
                .annotate(m=Max("attempt"))
                .values_list("process_id", "m")
            )
            processes = InvoiceProcess.objects.filter(pk__in=ready).select_related("client__carrier")
            executions = [
                _new_execution(process, kind, attempt=attempts.get(process.pk, 0) + 1) for process in processes
            ]
            Execution.objects.bulk_create(executions, batch_size=1000)
            InvoiceProcess.objects.filter(pk__in=ready).update(**{counter: F(counter) + 1})
            created = [e.pk for e in executions]
            transaction.on_commit(lambda created=created: _enqueue_starts(created))
            dispatched += len(executions)
    return {"dispatched": dispatched, "skipped": len(ids) - dispatched}


def processes_dispatch_downloads(*, carrier=None, limit=None) -> dict:
    from .selectors import processes_ready_for_robot

    queryset = processes_ready_for_robot(kind=ExecutionKind.DOWNLOAD_FATURA, carrier=carrier)
    return _dispatch(queryset, ExecutionKind.DOWNLOAD_FATURA, limit=limit)


def processes_dispatch_sat(*, limit=None) -> dict:
    from .selectors import processes_ready_for_robot

    queryset = processes_ready_for_robot(kind=ExecutionKind.UPLOAD_SAT)
    return _dispatch(queryset, ExecutionKind.UPLOAD_SAT, limit=limit)


def build_payload(execution, *, redacted=False, file_url=None) -> dict:
    """The contract's body for this execution. ``redacted`` hides the password (for storage)."""
    process = execution.process
    client = process.client
    carrier = client.carrier
    common = {
        "cnpj": client.cnpj,
        "razao": client.legal_name,
        "operadora": carrier.code,
        "nome_filtro": client.name_filter,
        "unidade": client.unit,
        "servico": client.service,
    }
    if execution.kind == ExecutionKind.DOWNLOAD_FATURA:
        if redacted:
            password = REDACTED if client.portal_password_encrypted else ""
        else:
            password = crypto.decrypt(client.portal_password_encrypted)
        return {
            **common,
            "mes_ano": process.month,
            "login_portal": client.portal_login,
            "senha_portal": password,
            "cpf": client.cpf,
            "url_portal": carrier.portal_url,
            "configuracao_rpa": carrier.robot_config or {},
            "idempotency_key": str(execution.idempotency_key),
        }
    return {
        **common,
        "dados_sat": client.sat_data,
        "nome_arquivo": process.invoice_filename or invoice_filename(process),
        "data_vencimento": process.due_date.isoformat() if process.due_date else "",
        "valor_fatura": f"{process.amount:.2f}" if process.amount is not None else "",
        "url_arquivo": (file_url or "") if not redacted else "<URL assinada, temporária>",
        "idempotency_key": str(execution.idempotency_key),
    }


def invoice_filename(process) -> str:
    return f"fatura_{process.client.carrier.code}_{process.client.cnpj}_{process.period:%Y-%m}.pdf"


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
    import time

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
        transaction.on_commit(lambda: _notify_failure_later(execution.pk))
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
            return "completed"
        _append_log(execution.pk, _("Fatura armazenada (%(size)s bytes).") % {"size": stored.size})
    return "completed"


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
        transaction.on_commit(lambda: _notify_failure_later(execution.pk))
    return "failed"


def _notify_failure_later(execution_id) -> None:
    from .tasks import notify_execution_failed

    try:
        notify_execution_failed.delay(execution_id)
    except Exception as exc:  # noqa: BLE001 - the notification list is rebuilt by the periodic task
        logger.warning("could not enqueue failure notification: %s", exc.__class__.__name__)


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


# --- what people do ---------------------------------------------------------------


def process_upload_invoice(*, process, content: bytes, filename: str, actor, meta=NO_REQUEST) -> Execution:
    """Manual upload (Operador): a real PDF, within the size limit, stored under a process-unique key."""
    limit = settings.BILLING_INVOICE_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(
            {"file": [_("Arquivo maior que o limite de %(mb).1f MB.") % {"mb": limit / 1024 / 1024}]}, code="too_large"
        )
    if not content or not storage.looks_like_pdf(content):
        raise ValidationError({"file": [_("O arquivo não é um PDF válido.")]}, code="not_pdf")
    if process.status != ProcessStatus.AGUARDANDO_DOWNLOAD:
        raise InvalidTransition(
            _("Ação não permitida: o processo está em %(status)s.") % {"status": process.get_status_display()},
            code="invalid_transition",
        )
    if _has_running(process.pk):
        raise InvalidTransition(_("Já existe uma execução em andamento para este processo."), code="busy")
    stored = storage.save_invoice(process, content)  # StorageUnavailable: nothing changed
    original = PurePath(filename or "").name[:255] or invoice_filename(process)
    try:
        with transaction.atomic():
            process = _lock_process(process.pk)
            if _has_running(process.pk):
                raise InvalidTransition(_("Já existe uma execução em andamento para este processo."), code="busy")
            before = process.status
            _transition_process(
                process.pk,
                ProcessEvent.INVOICE_UPLOADED,
                invoice_key=stored.key,
                invoice_sha256=stored.sha256,
                invoice_size=stored.size,
                invoice_filename=original,
                invoice_url="",
                manual_upload=True,
            )
            now = timezone.now()
            execution = Execution.objects.create(
                process=process,
                kind=ExecutionKind.UPLOAD_MANUAL,
                status=ExecutionStatus.CONCLUIDO,
                attempt=_next_attempt(process.pk, ExecutionKind.UPLOAD_MANUAL),
                robot_class="",
                input_data={"nome_arquivo": original, "tamanho": stored.size},
                output_data={"sha256": stored.sha256, "key": stored.key},
                started_at=now,
                finished_at=now,
                triggered_by=actor,
                ip_address=meta.ip_address,
                user_agent=meta.user_agent,
            )
            audit_record(
                actor=actor,
                action="billing.process.upload_invoice",
                target=process,
                changes={
                    "status": [before, ProcessStatus.AGUARDANDO_APROVACAO],
                    "invoice_sha256": [process.invoice_sha256 or None, stored.sha256],
                },
                meta=meta,
            )
    except Exception:
        if stored.key != process.invoice_key:
            storage.delete_invoice(stored.key)
        raise
    return execution


def process_approve(*, process, actor, meta=NO_REQUEST) -> InvoiceProcess:
    """Aprovador: exactly once, even when two people click together (compare-and-set)."""
    now = timezone.now()
    with transaction.atomic():
        _transition_process(process.pk, ProcessEvent.APPROVED, approved_by=actor, approved_at=now)
        audit_record(
            actor=actor,
            action="billing.process.approve",
            target=process,
            changes={
                "status": [ProcessStatus.AGUARDANDO_APROVACAO, ProcessStatus.AGUARDANDO_ENVIO_SAT],
                "approved_by": [None, actor.pk],
            },
            meta=meta,
        )
    process.refresh_from_db()
    return process


def process_reject(*, process, reason, actor, meta=NO_REQUEST) -> InvoiceProcess:
    """Aprovador: the invoice is wrong; the process goes back to download."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Informe o motivo da recusa.")]})
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    with transaction.atomic():
        _transition_process(
            process.pk,
            ProcessEvent.REJECTED,
            notes=f"{process.notes}\n[{stamp}] {_('Fatura recusada')}: {reason}".strip(),
        )
        audit_record(
            actor=actor,
            action="billing.process.reject",
            target=process,
            changes={"status": [ProcessStatus.AGUARDANDO_APROVACAO, ProcessStatus.AGUARDANDO_DOWNLOAD]},
            meta=meta,
        )
    process.refresh_from_db()
    return process


def execution_cancel(*, execution, actor, meta=NO_REQUEST) -> Execution:
    with transaction.atomic():
        if not _finish_execution(
            execution.pk, ExecutionStatus.CANCELADO, error_data={"error": _("Cancelada por %(u)s") % {"u": actor}}
        ):
            raise InvalidTransition(_("Somente execuções em andamento podem ser canceladas."), code="not_running")
        audit_record(
            actor=actor,
            action="billing.execution.cancel",
            target=execution,
            changes={"status": [ExecutionStatus.EXECUTANDO, ExecutionStatus.CANCELADO]},
            meta=meta,
        )
        if execution.rpa_job_id:
            transaction.on_commit(lambda: _enqueue_robot_cancel(execution.pk))
    execution.refresh_from_db()
    return execution


def _enqueue_robot_cancel(execution_id) -> None:
    from .tasks import cancel_robot_job

    try:
        cancel_robot_job.delay(execution_id)
    except Exception as exc:  # noqa: BLE001 - best effort
        logger.warning("could not enqueue robot cancel: %s", exc.__class__.__name__)


def execution_cancel_on_robot(execution_id) -> bool:
    execution = Execution.objects.filter(pk=execution_id).first()
    if execution is None or not execution.rpa_job_id:
        return False
    with get_client() as client:
        _cancel_on_robot(client, execution.rpa_job_id)
    return True


def execution_retry(*, execution, actor, meta=NO_REQUEST) -> Execution:
    """Retry a failed, timed-out or cancelled robot step by hand (a new attempt)."""
    if execution.kind not in ROBOT_KINDS:
        raise InvalidTransition(_("Uploads manuais não são repetidos."), code="not_retryable")
    if execution.status not in (ExecutionStatus.FALHOU, ExecutionStatus.TIMEOUT, ExecutionStatus.CANCELADO):
        raise InvalidTransition(
            _("Só é possível repetir execuções que falharam, expiraram ou foram canceladas."), code="not_retryable"
        )
    latest = Execution.objects.filter(process_id=execution.process_id, kind=execution.kind).order_by("-attempt").first()
    if latest.pk != execution.pk:
        raise InvalidTransition(_("Já existe uma tentativa mais recente desta etapa."), code="not_latest")
    return _request_robot_step(
        process=execution.process, kind=execution.kind, actor=actor, meta=meta, action="billing.execution.retry"
    )


# --- CSV import of clients (the seed's importar_clientes_csv.py) -------------------

IMPORT_COLUMNS = {
    # CSV header -> model field
    "razao_social": "legal_name",
    "nome_sat": "sat_name",
    "cnpj": "cnpj",
    "operadora": "carrier",
    "filtro": "name_filter",
    "servico": "service",
    "dados_sat": "sat_data",
    "unidade": "unit",
    "login_portal": "portal_login",
    "senha_portal": "portal_password",
    "cpf": "cpf",
    "ativo": "active",
}
IMPORT_REQUIRED = ("razao_social", "cnpj", "operadora")
IMPORT_MAX_ROWS = 50_000
TRUE_WORDS = {"1", "true", "sim", "s", "yes", "y", "ativo", "x"}
FALSE_WORDS = {"0", "false", "nao", "não", "n", "no", "inativo"}


def _decode(raw) -> str:
    if isinstance(raw, str):
        return raw
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("Não foi possível ler o arquivo (use UTF-8).")]})


def _read_csv(raw) -> tuple[list[str], list[tuple[int, dict]]]:
    import csv
    import io

    text = _decode(raw)
    if not text.strip():
        raise ValidationError({"file": [_("Arquivo vazio.")]})
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [(h or "").strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = headers
    missing = [column for column in IMPORT_REQUIRED if column not in headers]
    if missing:
        raise ValidationError({"file": [_("Colunas obrigatórias ausentes: %(c)s") % {"c": ", ".join(missing)}]})
    rows = []
    for row in reader:
        if len(rows) >= IMPORT_MAX_ROWS:
            raise ValidationError({"file": [_("Arquivo com mais de %(n)d linhas.") % {"n": IMPORT_MAX_ROWS}]})
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return headers, rows


def _parse_bool(value: str, default=True):
    word = (value or "").strip().casefold()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError({"active": [_("Valor inválido para ativo: %(v)s") % {"v": value}]})


def _import_row(values: dict, carriers: dict, headers: list[str], actor, meta) -> tuple[str, BillingClient]:
    errors = {}
    data = {}
    for column, field_name in IMPORT_COLUMNS.items():
        if column in headers and field_name not in ("carrier", "portal_password", "active"):
            data[field_name] = values.get(column, "")
    for column in IMPORT_REQUIRED:
        if not values.get(column):
            errors.setdefault(IMPORT_COLUMNS[column], []).append(_("Campo obrigatório."))
    carrier = carriers.get(values.get("operadora", "").strip().upper())
    if values.get("operadora") and carrier is None:
        errors["carrier"] = [_("Operadora desconhecida: %(c)s") % {"c": values["operadora"]}]
    try:
        data["active"] = _parse_bool(values.get("ativo", ""))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cnpj = normalize_cnpj(values.get("cnpj", ""))
    except ValidationError as exc:
        if "cnpj" not in errors:
            errors["cnpj"] = exc.messages
        cnpj = ""
    if errors:
        raise ValidationError(errors)
    data["carrier"] = carrier
    unique_hash = client_unique_hash(
        cnpj=cnpj, carrier_id=carrier.pk, unit=data.get("unit", ""), service=data.get("service", "")
    )
    existing = BillingClient.objects.filter(unique_hash=unique_hash).first()
    password = values.get("senha_portal") or None  # empty cell keeps the stored password
    if existing is None:
        return "created", client_save(data=data, portal_password=password, actor=actor, meta=meta)
    before = (_snapshot(existing, CLIENT_FIELDS), existing.portal_password_encrypted)
    client = client_save(client=existing, data=data, portal_password=password, actor=actor, meta=meta)
    after = (_snapshot(client, CLIENT_FIELDS), client.portal_password_encrypted)
    return ("unchanged" if before == after else "updated"), client


def clients_import_csv(*, raw, dry_run=False, actor=None, meta=NO_REQUEST) -> dict:
    """Create or update clients from CSV (upsert on CNPJ × carrier × unit × service).

    Returns a per-row report; rows with errors are skipped, the others applied — unless
    ``dry_run``, which validates everything and writes nothing.
    """
    headers, rows = _read_csv(raw)
    carriers = {carrier.code.upper(): carrier for carrier in Carrier.objects.all()}
    report_rows = []
    counts = Counter({"created": 0, "updated": 0, "unchanged": 0, "error": 0})
    with transaction.atomic():
        for line, values in rows:
            entry = {"line": line, "cnpj": values.get("cnpj", ""), "status": "", "client_id": None, "errors": {}}
            try:
                with transaction.atomic():
                    entry["status"], client = _import_row(values, carriers, headers, actor, meta)
                    entry["client_id"] = client.pk if not dry_run else None
            except ValidationError as exc:
                entry["status"] = "error"
                entry["errors"] = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            counts[entry["status"]] += 1
            report_rows.append(entry)
        if dry_run:
            transaction.set_rollback(True)
    return {"dry_run": dry_run, "total": len(rows), "counts": dict(counts), "rows": report_rows}

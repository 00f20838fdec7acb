"""Dispatching robot steps: a person's request for one process, or the scheduled dispatch of many.

Each step is a new execution (``EXECUTANDO``, one attempt) whose ``start_execution`` task is
queued after commit. Whether a process may run a step at all is decided by the "robot ready"
and "already running" rules in ``selectors``, the same ones the scheduled dispatch filters on.
"""

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record

from .. import selectors
from ..choices import KIND_SOURCE_STATUS, ExecutionKind, ExecutionStatus
from ..models import Execution, InvoiceProcess
from .enqueue import start_executions_after_commit
from .payload import build_payload
from .transitions import InvalidTransition, _lock_process, _not_allowed


def _busy() -> InvalidTransition:
    return InvalidTransition(_("Já existe uma execução em andamento para este processo."), code="busy")


def _refuse_if_busy(process_id) -> None:
    """The "already running" rule, as a refusal: one step at a time per process."""
    if selectors.process_is_busy(process_id):
        raise _busy()


def _refuse_if_not_ready(process, kind) -> None:
    """The "robot ready" rule, as a refusal naming what is missing."""
    refusal = selectors.robot_not_ready(process, kind)
    if refusal is not None:
        code, message = refusal
        raise InvalidTransition(message, code=code)


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


def _request_robot_step(*, process, kind, actor, meta, action) -> Execution:
    source = KIND_SOURCE_STATUS[kind]
    with transaction.atomic():
        process = _lock_process(process.pk)
        if process.status != source:
            raise _not_allowed(process.get_status_display())
        _refuse_if_not_ready(process, kind)
        _refuse_if_busy(process.pk)
        execution = _new_execution(process, kind, attempt=_next_attempt(process.pk, kind), actor=actor, meta=meta)
        try:
            with transaction.atomic():
                execution.save()
        except IntegrityError as exc:
            raise _busy() from exc
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
        start_executions_after_commit([execution.pk])
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
                selectors.executions_running().filter(process_id__in=locked).values_list("process_id", flat=True)
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
            start_executions_after_commit([e.pk for e in executions])
            dispatched += len(executions)
    return {"dispatched": dispatched, "skipped": len(ids) - dispatched}


def processes_dispatch_downloads(*, carrier=None, limit=None) -> dict:
    queryset = selectors.processes_ready_for_robot(kind=ExecutionKind.DOWNLOAD_FATURA, carrier=carrier)
    return _dispatch(queryset, ExecutionKind.DOWNLOAD_FATURA, limit=limit)


def processes_dispatch_sat(*, limit=None) -> dict:
    queryset = selectors.processes_ready_for_robot(kind=ExecutionKind.UPLOAD_SAT)
    return _dispatch(queryset, ExecutionKind.UPLOAD_SAT, limit=limit)

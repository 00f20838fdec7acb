"""The state machines and row locks: the only place process and execution statuses change.

Status changes are compare-and-set updates that allow only the transitions listed in
``choices`` (``PROCESS_TRANSITIONS``, ``EXECUTION_TRANSITIONS``), so two workers or two
clicks cannot both win.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exitus.errors import Conflict

from .. import live
from ..choices import EXECUTION_TRANSITIONS, PROCESS_TRANSITIONS, ExecutionStatus, ProcessStatus
from ..models import Execution, InvoiceProcess


class InvalidTransition(ValidationError, Conflict):
    """The object is not in a state that allows this action (the API answers 409)."""


def _not_allowed(status_label) -> InvalidTransition:
    return InvalidTransition(
        _("Ação não permitida: o processo está em %(status)s.") % {"status": status_label},
        code="invalid_transition",
    )


def _lock_process(process_id) -> InvoiceProcess:
    return InvoiceProcess.objects.select_for_update().get(pk=process_id)


def _transition_process(process_id, event, **updates) -> None:
    """Move a process along ``event`` if (and only if) its current status allows it."""
    sources, target = PROCESS_TRANSITIONS[event]
    changed = InvoiceProcess.objects.filter(pk=process_id, status__in=sources).update(
        status=target, updated_at=timezone.now(), **updates
    )
    if changed != 1:
        current = InvoiceProcess.objects.filter(pk=process_id).values_list("status", flat=True).first()
        raise _not_allowed(ProcessStatus(current).label if current else "?")


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

"""What people do with a process: upload an invoice by hand, approve or reject it, cancel a
running step, retry a failed one. Each writes its audit row in the same transaction.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record

from .. import selectors, storage
from ..choices import ExecutionKind, ExecutionStatus, ProcessEvent, ProcessStatus
from ..models import Execution, InvoiceProcess
from ..notifications import notifications_resolve_step
from .dispatch import _next_attempt, _refuse_if_busy, _request_robot_step
from .enqueue import cancel_on_robot_after_commit
from .payload import invoice_filename
from .transitions import InvalidTransition, _finish_execution, _lock_process, _not_allowed, _transition_process


def _clean_invoice_values(due_date, amount) -> tuple[date, Decimal]:
    """The due date and amount of a manually uploaded invoice: both required (SAT needs them)."""
    errors = {}
    if not isinstance(due_date, date):
        errors["due_date"] = [_("Informe o vencimento da fatura (o SAT exige).")]
    try:
        amount = None if amount in (None, "") else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        errors["amount"] = [_("Informe o valor da fatura (o SAT exige).")]
    elif amount <= 0:
        errors["amount"] = [_("O valor da fatura deve ser maior que zero.")]
    elif amount.as_tuple().exponent < -settings.MONEY_DECIMAL_PLACES or abs(amount) >= Decimal(10) ** (
        settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES
    ):
        errors["amount"] = [_("Valor inválido (use até duas casas decimais).")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return due_date, amount


def process_upload_invoice(
    *, process, content: bytes, filename: str, due_date, amount, actor, meta=NO_REQUEST
) -> Execution:
    """Manual upload (Operador): a real PDF, within the size limit, stored under a process-unique key,
    with the invoice's due date and amount (the SAT robot never receives them empty)."""
    due_date, amount = _clean_invoice_values(due_date, amount)
    limit = settings.BILLING_INVOICE_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(
            {"file": [_("Arquivo maior que o limite de %(mb).1f MB.") % {"mb": limit / 1024 / 1024}]}, code="too_large"
        )
    if not content or not storage.looks_like_pdf(content):
        raise ValidationError({"file": [_("O arquivo não é um PDF válido.")]}, code="not_pdf")
    if process.status != ProcessStatus.AGUARDANDO_DOWNLOAD:
        raise _not_allowed(process.get_status_display())
    _refuse_if_busy(process.pk)
    stored = storage.save_invoice(process, content)  # StorageUnavailable: nothing changed
    original = PurePath(filename or "").name[:255] or invoice_filename(process)
    try:
        with transaction.atomic():
            process = _lock_process(process.pk)
            _refuse_if_busy(process.pk)
            before = process.status
            _transition_process(
                process.pk,
                ProcessEvent.INVOICE_UPLOADED,
                invoice_key=stored.key,
                invoice_sha256=stored.sha256,
                invoice_size=stored.size,
                invoice_filename=original,
                invoice_url="",
                due_date=due_date,
                amount=amount,
                manual_upload=True,
            )
            now = timezone.now()
            execution = Execution.objects.create(
                process=process,
                kind=ExecutionKind.UPLOAD_MANUAL,
                status=ExecutionStatus.CONCLUIDO,
                attempt=_next_attempt(process.pk, ExecutionKind.UPLOAD_MANUAL),
                robot_class="",
                input_data={
                    "nome_arquivo": original,
                    "tamanho": stored.size,
                    "data_vencimento": due_date.isoformat(),
                    "valor_fatura": f"{amount:.2f}",
                },
                output_data={"sha256": stored.sha256, "key": stored.key},
                started_at=now,
                finished_at=now,
                triggered_by=actor,
                ip_address=meta.ip_address,
                user_agent=meta.user_agent,
            )
            notifications_resolve_step(
                process_id=process.pk, kind=ExecutionKind.UPLOAD_MANUAL, execution_id=execution.pk
            )
            audit_record(
                actor=actor,
                action="billing.process.upload_invoice",
                target=process,
                changes={
                    "status": [before, ProcessStatus.AGUARDANDO_APROVACAO],
                    "invoice_sha256": [process.invoice_sha256 or None, stored.sha256],
                    "due_date": [None, due_date.isoformat()],
                    "amount": [None, f"{amount:.2f}"],
                },
                meta=meta,
            )
    except BaseException:
        storage.discard_unreferenced(stored.key)  # nothing points at it: no orphan file
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
            cancel_on_robot_after_commit(execution.pk)
    execution.refresh_from_db()
    return execution


def execution_retry(*, execution, actor, meta=NO_REQUEST) -> Execution:
    """Retry a failed, timed-out or cancelled robot step by hand (a new attempt)."""
    refusal = selectors.execution_retry_refusal(execution)
    if refusal is not None:
        code, message = refusal
        raise InvalidTransition(message, code=code)
    return _request_robot_step(
        process=execution.process, kind=execution.kind, actor=actor, meta=meta, action="billing.execution.retry"
    )


def process_retry_target(process) -> Execution | None:
    """The step a retry of ``process`` repeats (see :func:`selectors.process_retry_target`)."""
    return selectors.process_retry_target(process)

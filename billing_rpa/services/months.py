"""Month creation: the process of a month for every active client (idempotent), or for one client."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record

from ..models import BillingClient, InvoiceProcess
from ..validators import month_label, parse_month


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

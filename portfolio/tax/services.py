"""Writes of the tax part: stored assessments, filing a month, the rule table's cache version.

Filing keeps the figures as they were (``filed_data``); later recomputations never change them
and the API shows the differences instead.
"""

import uuid
from datetime import date

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_deleted, audit_record

from .. import invalidation
from . import selectors
from .jsonable import to_json
from .models import MonthlyAssessment, TaxOpeningBalance


def rules_changed() -> None:
    """Bump the cache version after an ADMIN edits the rule table (assessments are recomputed)."""
    transaction.on_commit(lambda: cache.set(selectors.RULES_KEY, uuid.uuid4().hex[:12], None))


def _summary_fields(payload: dict) -> dict:
    categories = payload["categories"]
    sales = sum(c["sales"] for c in categories.values())
    return {
        "sales_total": sales,
        "tax_due": payload["tax_due"],
        "darf_amount": payload["darf"]["amount"],
        "crypto_darf_amount": payload["crypto"]["darf"]["amount"],
        "due_date": payload["darf"]["due_date"],
    }


@transaction.atomic
def assessment_store(*, owner, month: date, payload: dict | None = None) -> MonthlyAssessment:
    """Upsert the stored copy of a month's current figures (admin list, filing differences)."""
    payload = payload or selectors.monthly_assessment(owner=owner, month=month)
    data = to_json({k: v for k, v in payload.items() if k != "filing"})
    row, _created = MonthlyAssessment.objects.select_for_update().get_or_create(owner=owner, month=month)
    for name, value in _summary_fields(payload).items():
        setattr(row, name, value)
    row.data = data
    row.computed_at = timezone.now()
    row.differs_from_filed = bool(row.is_filed and selectors.differences(row.filed_data, data))
    row.save()
    return row


@transaction.atomic
def month_file(*, owner, month: date, actor, paid_on: date | None = None, meta=NO_REQUEST) -> MonthlyAssessment:
    """The user declares the month filed (and the DARF paid on ``paid_on``): its figures are kept."""
    today = timezone.localdate()
    if month > today.replace(day=1):
        raise ValidationError({"month": [_("Só é possível marcar meses já iniciados.")]})
    if paid_on and paid_on > today:
        raise ValidationError({"paid_on": [_("A data de pagamento não pode estar no futuro.")]})
    payload = selectors.monthly_assessment(owner=owner, month=month)
    row = assessment_store(owner=owner, month=month, payload=payload)
    if row.is_filed:
        raise ValidationError({"month": [_("Este mês já está marcado como declarado.")]})
    row.filed_at = timezone.now()
    row.filed_by = actor if getattr(actor, "is_authenticated", False) else None
    row.paid_on = paid_on
    row.filed_data = row.data
    row.differs_from_filed = False
    row.save(update_fields=["filed_at", "filed_by", "paid_on", "filed_data", "differs_from_filed", "updated_at"])
    audit_record(
        actor=actor,
        action="portfolio.tax.file",
        target=row,
        changes={"filed": [False, True], "paid_on": [None, paid_on.isoformat() if paid_on else None]},
        meta=meta,
    )
    return row


@transaction.atomic
def month_unfile(*, owner, month: date, actor, meta=NO_REQUEST) -> MonthlyAssessment:
    """Undo a filing mark (e.g. to file a rectifying DARF): the month follows the current figures again."""
    row = MonthlyAssessment.objects.select_for_update().filter(owner=owner, month=month).first()
    if row is None or not row.is_filed:
        raise ValidationError({"month": [_("Este mês não está marcado como declarado.")]})
    row.filed_at = None
    row.filed_by = None
    row.paid_on = None
    row.filed_data = {}
    row.differs_from_filed = False
    row.save(update_fields=["filed_at", "filed_by", "paid_on", "filed_data", "differs_from_filed", "updated_at"])
    audit_record(actor=actor, action="portfolio.tax.unfile", target=row, changes={"filed": [True, False]}, meta=meta)
    return row


def assessments_refresh(*, month: date | None = None) -> dict:
    """Store the assessment of ``month`` (default: last month) for every user who sold in it. Idempotent."""
    from django.contrib.auth import get_user_model

    if month is None:
        first = timezone.localdate().replace(day=1)
        month = (first - timezone.timedelta(days=1)).replace(day=1)
    owners = get_user_model().objects.filter(pk__in=list(selectors.owners_with_sales(month=month)))
    counts = {"month": month.isoformat(), "users": 0, "differ_from_filed": 0}
    for owner in owners:
        row = assessment_store(owner=owner, month=month)
        counts["users"] += 1
        counts["differ_from_filed"] += int(row.differs_from_filed)
    return counts


OPENING_FIELDS = ("month", "common_loss", "day_trade_loss", "fii_loss", "irrf_credit", "notes")


@transaction.atomic
def tax_opening_save(*, owner, actor=None, meta=NO_REQUEST, **data) -> TaxOpeningBalance:
    """The user's tax opening balance (one per user): losses per basket and the year's unused IRRF,
    entering the assessment of ``month`` as its carry-in. Validated, audited."""
    errors = {}
    month = data.get("month")
    if month is None or month.day != 1:
        errors["month"] = [_("Informe o primeiro dia do mês (AAAA-MM).")]
    elif month > timezone.localdate().replace(day=1):
        errors["month"] = [_("O mês do saldo inicial não pode estar no futuro.")]
    for name in ("common_loss", "day_trade_loss", "fii_loss", "irrf_credit"):
        if data.get(name) is not None and data[name] < 0:
            errors[name] = [_("Informe um valor positivo (ou zero).")]
    if errors:
        raise ValidationError(errors)
    row = TaxOpeningBalance.objects.select_for_update().filter(owner=owner).first()
    creating = row is None
    row = row or TaxOpeningBalance(owner=owner)
    action = "portfolio.tax_opening.create" if creating else "portfolio.tax_opening.update"
    with audit_changes(row, OPENING_FIELDS, action=action, actor=actor, meta=meta, creating=creating):
        for name in OPENING_FIELDS:
            if name in data and data[name] is not None:
                setattr(row, name, data[name])
        row.save()
    transaction.on_commit(lambda: invalidation.owner_changed(owner.pk))
    return row


@transaction.atomic
def tax_opening_delete(*, owner, actor=None, meta=NO_REQUEST) -> None:
    row = TaxOpeningBalance.objects.select_for_update().filter(owner=owner).first()
    if row is None:
        return
    audit_deleted(row, OPENING_FIELDS, action="portfolio.tax_opening.delete", actor=actor, meta=meta)
    row.delete()
    transaction.on_commit(lambda: invalidation.owner_changed(owner.pk))

"""Proventos: what each holder receives is computed from the quantity held on the data com.

A :class:`DividendReceipt` per position that held the asset at the end of the data com
(point in time, from the position ledger): gross = quantity × value per share, tax = gross ×
withholding rate, net = gross − tax. Once the payment date is reached the receipt is *paid* and
its ``credito_provento`` cash movement exists; :func:`credit_due_dividends` (a daily task) pays
the ones whose date arrives. Back-dated trades and edits recompute the receipts they affect.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted

from .. import invalidation, ledger, market_data
from ..choices import CashKind, DividendKind, FxSource
from ..dates import dividend_cutoff, local_date, midday, out_of_range
from ..models import CashMovement, Dividend, DividendReceipt, Position, PositionEntry
from ..tax.selectors import rulebook

DIVIDEND_FIELDS = (
    "asset",
    "kind",
    "value_per_share",
    "data_com",
    "payment_date",
    "withholding_rate",
    "currency",
    "notes",
)


def _fx_for(dividend: Dividend) -> tuple[Decimal | None, str]:
    """``(BRL per unit, source)`` of the dividend's currency on the payment date (the PTAX, ``bcb``).

    ``(None, "")`` while no rate is known: the receipt keeps no rate (never 1.0), its BRL figures are
    left out of totals and listed as missing, and :func:`credit_due_dividends` fills it in later.
    """
    if dividend.currency == "BRL":
        return Decimal("1"), FxSource.NONE
    on = dividend.payment_date or dividend.data_com
    quote = market_data.fx_quote_on(currency=dividend.currency, on=on)
    return (quote.rate, quote.source or FxSource.LEGACY) if quote else (None, "")


def withholding(dividend: Dividend) -> tuple[Decimal, str]:
    """``(rate %, where it came from)`` of the tax withheld on ``dividend``.

    The rate recorded on the provento wins. A JCP without one is withheld at the dated table's
    ``jcp_rate`` on its payment date (Lei 9.249/1995, art. 9º, §2º): never a silent zero.
    """
    if dividend.withholding_rate is not None:
        return dividend.withholding_rate, "informada"
    if dividend.kind == DividendKind.JCP:
        on = dividend.payment_date or dividend.data_com
        row = rulebook().find("jcp_rate", on)
        if row is None:
            raise ValidationError(
                {"withholding_rate": [_("Sem alíquota de JCP na tabela de regras para esta data: informe-a.")]}
            )
        return row.value, f"tabela jcp_rate ({row.legal_basis})"[:120]
    return ledger.ZERO, ""


def _today() -> date:
    return timezone.localdate()


def amounts(dividend: Dividend, qty: Decimal, rate: Decimal | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """``(gross, tax, net)``: the cash credited is the net (gross − withheld), as the annual report shows."""
    if rate is None:
        rate, _source = withholding(dividend)
    gross = ledger.money(qty * dividend.value_per_share)
    tax = ledger.money(gross * rate / 100)
    return gross, tax, gross - tax


def recompute_receipts(dividend: Dividend, *, owner_id=None) -> dict:
    """Bring the receipts of ``dividend`` (optionally one owner's) in line with the holdings on the data com."""
    positions = Position.objects.filter(asset_id=dividend.asset_id)
    if owner_id is not None:
        positions = positions.filter(owner_id=owner_id)
    held = (
        PositionEntry.objects.filter(position=OuterRef("pk"), at__lt=dividend_cutoff(dividend.data_com))
        .order_by("-at", "-order", "-ref_id")
        .values("quantity")[:1]
    )
    rows = list(positions.annotate(held=Subquery(held)).values("pk", "owner_id", "broker_id", "portfolio_id", "held"))
    existing = {
        r.position_id: r
        for r in DividendReceipt.objects.filter(dividend=dividend, position_id__in=[row["pk"] for row in rows])
        .select_related("cash_movement")
        .order_by()
    }
    fx_rate, fx_source = _fx_for(dividend)
    rate, rate_source = withholding(dividend)
    pay = dividend.payment_date is not None and dividend.payment_date <= _today()
    counts = {"created": 0, "updated": 0, "deleted": 0}
    obsolete = []
    for row in rows:
        qty = row["held"] or ledger.ZERO
        gross, tax, net = amounts(dividend, qty, rate)
        receipt = existing.get(row["pk"])
        if qty <= 0 or gross <= 0:
            if receipt is not None:
                obsolete.append(receipt.pk)
            continue
        values = {
            "quantity": qty,
            "gross_amount": gross,
            "tax_amount": tax,
            "net_amount": net,
            "fx_rate": fx_rate,
            "fx_source": fx_source,
            "tax_rate": rate,
            "tax_rate_source": rate_source,
        }
        if receipt is None:
            receipt = DividendReceipt.objects.create(
                dividend=dividend, position_id=row["pk"], owner_id=row["owner_id"], paid=False, **values
            )
            counts["created"] += 1
        elif any(getattr(receipt, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(receipt, key, value)
            receipt.save(update_fields=[*values, "updated_at"])
            counts["updated"] += 1
        _settle(receipt, dividend, row, pay=pay)
    if obsolete:
        DividendReceipt.objects.filter(pk__in=obsolete).delete()
        counts["deleted"] = len(obsolete)
    return counts


def _settle(receipt: DividendReceipt, dividend: Dividend, row: dict, *, pay: bool) -> None:
    """Keep the receipt's cash credit in step: present (with the net amount) once paid, absent before."""
    movement = getattr(receipt, "cash_movement", None) if receipt.pk else None
    if not pay or receipt.net_amount <= 0:
        if movement is not None:
            movement.delete()
        if receipt.paid:
            receipt.paid = False
            receipt.save(update_fields=["paid", "updated_at"])
        return
    if movement is None:
        _credit(receipt, dividend, broker_id=row["broker_id"], portfolio_id=row["portfolio_id"])
    elif movement.amount != receipt.net_amount or movement.currency != dividend.currency:
        movement.amount = receipt.net_amount
        movement.currency = dividend.currency
        movement.date = midday(dividend.payment_date)
        movement.save(update_fields=["amount", "currency", "date", "updated_at"])
    if not receipt.paid:
        receipt.paid = True
        receipt.save(update_fields=["paid", "updated_at"])


def _credit(receipt, dividend, *, broker_id, portfolio_id) -> CashMovement:
    return CashMovement.objects.create(
        owner_id=receipt.owner_id,
        broker_id=broker_id,
        portfolio_id=portfolio_id,
        kind=CashKind.CREDITO_PROVENTO,
        amount=receipt.net_amount,
        currency=dividend.currency,
        date=midday(dividend.payment_date),
        description=f"{dividend.get_kind_display()} {dividend.asset.ticker} (data com {dividend.data_com:%d/%m/%Y})",
        dividend_receipt=receipt,
    )


def recompute_for_positions(*, asset_id, owner_id, since: datetime | None) -> None:
    """After a replay of ``owner × asset`` from ``since``: recompute the dividends it may have changed."""
    dividends = Dividend.objects.filter(asset_id=asset_id).select_related("asset")
    if since is not None:
        dividends = dividends.filter(data_com__gte=local_date(since))
    for dividend in dividends:
        recompute_receipts(dividend, owner_id=owner_id)


def _validate(data: dict, *, person: bool = False) -> None:
    """Field errors; ``person``: a person is typing it (API, admin) — an FX that cannot be known is
    refused there, while a loader's row is kept with its rate missing (listed, never 1.0)."""
    errors = {}
    if data["value_per_share"] is None or data["value_per_share"] <= 0:
        errors["value_per_share"] = [_("O valor por ação deve ser maior que zero.")]
    rate = data.get("withholding_rate")
    if rate is not None and (rate < 0 or rate > 100):
        errors["withholding_rate"] = [_("A alíquota deve estar entre 0 e 100.")]
    currency = (data.get("currency") or data["asset"].currency).upper()
    paid_on = data.get("payment_date")
    known_by_now = currency == "BRL" or not paid_on or paid_on > _today() or out_of_range(paid_on)
    if person and not known_by_now and market_data.fx_quote_on(currency=currency, on=paid_on) is None:
        errors["payment_date"] = [
            _(
                "Sem câmbio %(currency)s conhecido até %(date)s: cadastre a PTAX da data do pagamento "
                "antes de registrar o provento (nenhum valor é convertido por 1,0)."
            )
            % {"currency": currency, "date": paid_on.strftime("%d/%m/%Y")}
        ]
    if data.get("payment_date") and data["payment_date"] < data["data_com"]:
        errors["payment_date"] = [_("A data de pagamento não pode ser anterior à data com.")]
    for name in ("data_com", "payment_date"):
        if out_of_range(data.get(name)):
            errors[name] = [_("Data fora do intervalo aceito (1900–2199).")]
    if errors:
        raise ValidationError(errors)
    clash = Dividend.objects.filter(
        asset=data["asset"], kind=data["kind"], data_com=data["data_com"], value_per_share=data["value_per_share"]
    )
    if data.get("pk"):
        clash = clash.exclude(pk=data["pk"])
    if clash.exists():
        errors["data_com"] = [_("Este provento já está cadastrado.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def dividend_create(*, actor=None, meta=NO_REQUEST, **data) -> Dividend:
    if data.get("withholding_rate") is None:
        # Only a JCP falls back to the dated table; other proventos are recorded without withholding.
        data["withholding_rate"] = None if data.get("kind") == DividendKind.JCP else ledger.ZERO
    data.setdefault("currency", data["asset"].currency)
    data["currency"] = (data["currency"] or data["asset"].currency).upper()
    _validate(data, person=actor is not None)
    dividend = Dividend.objects.create(**data)
    recompute_receipts(dividend)
    audit_created(dividend, DIVIDEND_FIELDS, action="portfolio.dividend.create", actor=actor, meta=meta)
    invalidation.everyone_changed()
    return dividend


@transaction.atomic
def dividend_update(*, dividend: Dividend, actor=None, meta=NO_REQUEST, **data) -> Dividend:
    dividend = Dividend.objects.select_for_update().select_related("asset").get(pk=dividend.pk)
    merged = {field: data.get(field, getattr(dividend, field)) for field in DIVIDEND_FIELDS}
    merged["currency"] = (merged["currency"] or merged["asset"].currency).upper()
    _validate({**merged, "pk": dividend.pk}, person=actor is not None)
    asset_changed = merged["asset"].pk != dividend.asset_id
    with audit_changes(dividend, DIVIDEND_FIELDS, action="portfolio.dividend.update", actor=actor, meta=meta):
        for field, value in merged.items():
            setattr(dividend, field, value)
        dividend.save()
    if asset_changed:
        dividend.receipts.all().delete()
    recompute_receipts(dividend)
    invalidation.everyone_changed()
    return dividend


@transaction.atomic
def dividend_delete(*, dividend: Dividend, actor=None, meta=NO_REQUEST) -> None:
    audit_deleted(dividend, DIVIDEND_FIELDS, action="portfolio.dividend.delete", actor=actor, meta=meta)
    dividend.delete()  # receipts and their cash credits go with it
    invalidation.everyone_changed()


def _fill_unknown_fx() -> int:
    """Foreign receipts computed before their FX rate was known (stored without one): fill it in."""
    filled = 0
    pending = (
        DividendReceipt.objects.filter(fx_rate__isnull=True)
        .exclude(dividend__currency="BRL")
        .select_related("dividend")
    )
    for receipt in pending:
        rate, source = _fx_for(receipt.dividend)
        if rate is not None:
            DividendReceipt.objects.filter(pk=receipt.pk).update(
                fx_rate=rate, fx_source=source, updated_at=timezone.now()
            )
            filled += 1
    return filled


def credit_due_dividends(*, today: date | None = None, batch_size: int = 500) -> dict:
    """Pay every unpaid receipt whose payment date has arrived. Idempotent: paid ones are skipped.

    Each batch commits on its own; rows another worker holds are skipped (``skip_locked``) and
    picked up by the next run.
    """
    today = today or _today()
    counts = {"receipts_paid": 0, "cash_movements_created": 0, "fx_rates_filled": _fill_unknown_fx()}
    while True:
        with transaction.atomic():
            batch = list(
                DividendReceipt.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(paid=False, dividend__payment_date__lte=today)
                .select_related("dividend__asset", "position")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return counts
            owners = set()
            for receipt in batch:
                dividend = receipt.dividend
                if receipt.net_amount > 0 and not CashMovement.objects.filter(dividend_receipt=receipt).exists():
                    _credit(
                        receipt,
                        dividend,
                        broker_id=receipt.position.broker_id,
                        portfolio_id=receipt.position.portfolio_id,
                    )
                    counts["cash_movements_created"] += 1
                owners.add(receipt.owner_id)
            DividendReceipt.objects.filter(pk__in=[r.pk for r in batch]).update(paid=True, updated_at=timezone.now())
            counts["receipts_paid"] += len(batch)
            for owner_id in owners:
                invalidation.owner_changed(owner_id)

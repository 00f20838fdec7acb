"""Trades: validate, store with their derived totals and cash movement, and move the position.

Recording a trade dated after everything its position has seen appends it (constant work);
anything else — a back-dated trade, an edit, a deletion — replays that owner × asset from the
earliest moment involved. Either way a sale beyond what was held at that moment at that broker
is refused and nothing is written (the whole service is one atomic block).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted
from exitus import calendars

from .. import ledger, market_data
from ..choices import ACQUISITION_KINDS, CashKind, CorporateEventKind, FxSource, Market, TransactionKind
from ..dates import as_moment, local_date, out_of_range
from ..models import Asset, CashMovement, CorporateEvent, Transaction
from . import positions

COST_FIELDS = ("brokerage_fee", "settlement_fee", "emoluments", "other_costs", "withheld_tax")
INPUT_FIELDS = (
    "portfolio",
    "broker",
    "asset",
    "kind",
    "trade_date",
    "quantity",
    "unit_price",
    *COST_FIELDS,
    "currency",
    "fx_rate",
    "notes",
)
TRANSACTION_KINDS = frozenset(TransactionKind.values)
# Leave room under the money columns' precision for sums of many trades.
MAX_AMOUNT = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES - 3)
CASH_KIND_BY_TRADE = {
    TransactionKind.COMPRA: CashKind.COMPRA,
    TransactionKind.SUBSCRICAO: CashKind.COMPRA,
    TransactionKind.VENDA: CashKind.VENDA,
    TransactionKind.AMORTIZACAO: CashKind.CREDITO_PROVENTO,
}


@dataclass
class TradeInput:
    """A trade as typed or imported, before it is stored."""

    portfolio: object
    broker: object
    asset: Asset
    kind: str
    trade_date: datetime
    quantity: Decimal
    unit_price: Decimal
    brokerage_fee: Decimal = ledger.ZERO
    settlement_fee: Decimal = ledger.ZERO
    emoluments: Decimal = ledger.ZERO
    other_costs: Decimal = ledger.ZERO
    withheld_tax: Decimal = ledger.ZERO
    currency: str = ""
    fx_rate: Decimal | None = None
    notes: str = ""
    fx_source: str = ""
    import_hash: str = ""
    source_file: str = ""
    warnings: list = field(default_factory=list)


def totals(*, kind, quantity, unit_price, costs) -> tuple[Decimal, Decimal, Decimal]:
    """``(gross, total costs, net)``: net = gross + costs for acquisitions, gross − costs otherwise."""
    gross = ledger.money(quantity * unit_price)
    total_costs = sum((ledger.money(c) for c in costs), ledger.ZERO)
    net = gross + total_costs if kind in ACQUISITION_KINDS else gross - total_costs
    return gross, total_costs, net


def trade_warnings(asset: Asset, moment: datetime) -> list[str]:
    """Non-blocking remarks: a B3 asset traded on a weekend or a B3 holiday."""
    day = local_date(moment)
    if asset.market == Market.BR and not calendars.is_b3_trading_day(day):
        if day.weekday() >= 5:
            return [_("%(date)s é fim de semana: a B3 não abre.") % {"date": date_format(day, "SHORT_DATE_FORMAT")}]
        name = calendars.b3_holidays(day.year).get(day, _("feriado"))
        return [
            _("%(date)s é feriado na B3 (%(name)s).") % {"date": date_format(day, "SHORT_DATE_FORMAT"), "name": name}
        ]
    if asset.market != Market.GLOBAL and day.weekday() >= 5:
        return [_("%(date)s é fim de semana.") % {"date": date_format(day, "SHORT_DATE_FORMAT")}]
    return []


def check_trade(data: TradeInput, *, now: datetime | None = None, events=None, warn=trade_warnings) -> dict:
    """Field errors of a trade that need no position (positions are checked when applied).

    ``events``: the asset's ticker changes and delistings, when the caller already has them.
    Fills ``currency`` and ``fx_rate`` defaults and the weekend/holiday ``warnings``.
    """
    errors: dict[str, list] = {}
    now = now or timezone.now()
    if data.kind not in TRANSACTION_KINDS:
        errors["kind"] = [_("Tipo de operação inválido.")]
    if data.quantity is None or data.quantity <= 0:
        errors["quantity"] = [_("A quantidade deve ser maior que zero.")]
    if data.unit_price is None or data.unit_price <= 0:
        errors["unit_price"] = [_("O preço deve ser maior que zero.")]
    for name in COST_FIELDS:
        value = getattr(data, name)
        if value is None:
            setattr(data, name, ledger.ZERO)
        elif value < 0:
            errors[name] = [_("Custos e impostos não podem ser negativos.")]
    if data.trade_date is None:
        errors["trade_date"] = [_("Informe a data do negócio.")]
    elif out_of_range(data.trade_date.date() if isinstance(data.trade_date, datetime) else data.trade_date):
        errors["trade_date"] = [_("Data fora do intervalo aceito (1900–2199).")]
    else:
        data.trade_date = as_moment(data.trade_date)
        if data.trade_date > now:
            errors["trade_date"] = [_("A data do negócio não pode estar no futuro.")]
    asset = data.asset
    data.currency = (data.currency or asset.currency).upper()
    if data.currency != asset.currency:
        errors["currency"] = [
            _("A moeda da operação deve ser a do ativo (%(currency)s).") % {"currency": asset.currency}
        ]
    if data.fx_rate is None:
        data.fx_rate, data.fx_source = _default_fx(data.currency, data.trade_date)
        if data.fx_rate is None and "trade_date" not in errors:
            errors["fx_rate"] = [_("Sem câmbio conhecido para %(currency)s: informe-o.") % {"currency": data.currency}]
    elif data.fx_rate <= 0:
        errors["fx_rate"] = [_("O câmbio deve ser maior que zero.")]
    else:
        data.fx_source = FxSource.NONE if data.currency == "BRL" else (data.fx_source or FxSource.INFORMED)
    if not errors:
        _check_asset_dates(data, errors, events)
    if not errors:
        _gross, _costs, net = totals(
            kind=data.kind,
            quantity=data.quantity,
            unit_price=data.unit_price,
            costs=[getattr(data, n) for n in COST_FIELDS[:-1]],
        )
        if data.kind not in ACQUISITION_KINDS and net - data.withheld_tax < 0:
            errors["brokerage_fee"] = [_("Custos e impostos maiores que o valor da operação.")]
        if abs(net) > MAX_AMOUNT:
            errors["quantity"] = [_("Valor da operação grande demais.")]
        data.warnings = warn(asset, data.trade_date)
    return errors


def _default_fx(currency: str, moment: datetime | None) -> tuple[Decimal | None, str]:
    """``(rate, source)``: 1 for BRL, else the stored rate of the trade date (the PTAX, source ``bcb``)."""
    if currency == "BRL":
        return Decimal("1"), FxSource.NONE
    if moment is None:
        return None, ""
    quote = market_data.fx_quote_on(currency=currency, on=local_date(moment))
    return (quote.rate, quote.source or FxSource.LEGACY) if quote else (None, "")


def _check_asset_dates(data: TradeInput, errors: dict, events) -> None:
    asset, day = data.asset, local_date(data.trade_date)
    if events is None:
        events = CorporateEvent.objects.filter(
            asset=asset, kind__in=[CorporateEventKind.MUDANCA_TICKER, CorporateEventKind.DESLISTAGEM]
        ).select_related("new_asset")
    for event in events:
        if event.kind == CorporateEventKind.MUDANCA_TICKER and day >= event.event_date:
            errors["asset"] = [
                _("%(old)s passou a se chamar %(new)s em %(date)s: registre a operação com o novo ticker.")
                % {
                    "old": asset.ticker,
                    "new": event.new_asset.ticker,
                    "date": date_format(event.event_date, "SHORT_DATE_FORMAT"),
                }
            ]
            return
    if asset.delisted and asset.delisted_at and day >= asset.delisted_at and data.kind in ACQUISITION_KINDS:
        errors["asset"] = [
            _("%(ticker)s foi deslistado em %(date)s: não aceita novas compras.")
            % {"ticker": asset.ticker, "date": date_format(asset.delisted_at, "SHORT_DATE_FORMAT")}
        ]


def transaction_values(data: TradeInput, owner_id) -> dict:
    """A trade's column values (attnames), derived totals included."""
    gross, costs, net = totals(
        kind=data.kind,
        quantity=data.quantity,
        unit_price=data.unit_price,
        costs=[data.brokerage_fee, data.settlement_fee, data.emoluments, data.other_costs],
    )
    return {
        "owner_id": owner_id,
        "portfolio_id": data.portfolio.pk,
        "broker_id": data.broker.pk,
        "asset_id": data.asset.pk,
        "kind": data.kind,
        "trade_date": data.trade_date,
        "quantity": ledger.quantity(data.quantity),
        "unit_price": ledger.price(data.unit_price),
        "brokerage_fee": ledger.money(data.brokerage_fee),
        "settlement_fee": ledger.money(data.settlement_fee),
        "emoluments": ledger.money(data.emoluments),
        "other_costs": ledger.money(data.other_costs),
        "withheld_tax": ledger.money(data.withheld_tax),
        "currency": data.currency,
        "fx_rate": data.fx_rate,
        "fx_source": str(data.fx_source or ""),
        "notes": data.notes or "",
        "import_hash": data.import_hash or "",
        "source_file": data.source_file or "",
        "gross_amount": gross,
        "total_costs": costs,
        "net_amount": net,
    }


def build(data: TradeInput, owner_id) -> Transaction:
    """An unsaved ``Transaction`` with its derived totals."""
    tx = Transaction(**transaction_values(data, owner_id))
    tx.portfolio, tx.broker, tx.asset = data.portfolio, data.broker, data.asset
    return tx


@lru_cache(maxsize=64)
def _kind_label(kind: str, language: str) -> str:
    return str(TransactionKind(kind).label)


def cash_values(tx, *, ticker: str) -> dict | None:
    """The column values of a trade's own cash movement: buys take money out, sales and
    amortizations bring it in (net of costs and withheld tax). ``None`` when nothing moves."""
    amount = -tx.net_amount if tx.kind in ACQUISITION_KINDS else tx.net_amount - tx.withheld_tax
    if amount == 0:
        return None
    return {
        "owner_id": tx.owner_id,
        "broker_id": tx.broker_id,
        "destination_broker_id": None,
        "portfolio_id": tx.portfolio_id,
        "kind": CASH_KIND_BY_TRADE[tx.kind],
        "amount": amount,
        "currency": tx.currency,
        "date": tx.trade_date,
        "description": f"{_kind_label(tx.kind, translation.get_language())} {tx.quantity.normalize():f} {ticker}",
        "transaction_id": tx.pk,
        "dividend_receipt_id": None,
    }


def cash_for(tx: Transaction) -> CashMovement | None:
    """The trade's own cash movement, unsaved."""
    values = cash_values(tx, ticker=tx.asset.ticker)
    return CashMovement(**values) if values else None


def _sync_cash(tx: Transaction) -> None:
    wanted = cash_for(tx)
    current = CashMovement.objects.filter(transaction=tx).first()
    if wanted is None:
        if current is not None:
            current.delete()
        return
    if current is None:
        wanted.save()
        return
    for name in ("broker_id", "portfolio_id", "kind", "amount", "currency", "date", "description"):
        setattr(current, name, getattr(wanted, name))
    current.save()


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def transaction_create(*, data: TradeInput, actor=None, meta=NO_REQUEST) -> Transaction:
    """Record one trade. Returns it with ``.warnings`` (weekend/holiday remarks)."""
    _raise(check_trade(data))
    owner_id = data.portfolio.owner_id
    check = positions.lock_for_trade(
        owner_id=owner_id,
        portfolio_id=data.portfolio.pk,
        broker_id=data.broker.pk,
        asset_id=data.asset.pk,
        moment=data.trade_date,
    )
    tx = build(data, owner_id)
    if check.can_append and tx.kind not in ACQUISITION_KINDS and tx.quantity > check.position.quantity:
        # Refuse before writing anything (the atomic block would undo it anyway).
        raise positions.insufficient_error(
            tx, ledger.InsufficientQuantity(requested=tx.quantity, available=check.position.quantity)
        )
    tx.save(force_insert=True)
    movement = cash_for(tx)
    if movement is not None:
        movement.save(force_insert=True)
    if check.can_append:
        positions.append_trade(check, tx)
    else:
        positions.replay(owner_id=owner_id, asset_id=tx.asset_id, since=tx.trade_date)
    audit_created(tx, INPUT_FIELDS, action="portfolio.transaction.create", actor=actor, meta=meta)
    tx.warnings = data.warnings
    return tx


@transaction.atomic
def transaction_update(*, tx: Transaction, changes: dict, actor=None, meta=NO_REQUEST) -> Transaction:
    """Change a recorded trade; replays the owner × asset (both assets if it moved) from the earliest date."""
    tx = Transaction.objects.select_for_update().select_related("portfolio", "broker", "asset").get(pk=tx.pk)
    old_asset_id, old_moment = tx.asset_id, tx.trade_date
    current = {name: getattr(tx, name) for name in INPUT_FIELDS}
    changes = {k: v for k, v in changes.items() if k != "fx_source"}  # derived from the rate given
    merged = {**current, **changes}
    if "asset" in changes and "currency" not in changes:
        merged["currency"] = ""
    if ("currency" in changes or "asset" in changes) and "fx_rate" not in changes:
        merged["fx_rate"] = None  # the default for the new currency
    keep_source = merged["fx_rate"] is not None and "fx_rate" not in changes
    data = TradeInput(
        **merged,
        import_hash=tx.import_hash,
        source_file=tx.source_file,
        fx_source=tx.fx_source if keep_source else "",
    )
    if data.portfolio.owner_id != tx.owner_id:
        raise ValidationError({"portfolio": [_("A carteira deve ser do mesmo dono da operação.")]})
    _raise(check_trade(data))
    fresh = build(data, tx.owner_id)
    with audit_changes(tx, INPUT_FIELDS, action="portfolio.transaction.update", actor=actor, meta=meta):
        for name in (*INPUT_FIELDS, "gross_amount", "total_costs", "net_amount"):
            setattr(tx, name, getattr(fresh, name))
        tx.save()
    _sync_cash(tx)
    pending: dict = {}
    positions.merge_since(pending, tx.owner_id, old_asset_id, min(old_moment, tx.trade_date))
    positions.merge_since(pending, tx.owner_id, tx.asset_id, min(old_moment, tx.trade_date))
    positions.replay_many(pending)
    tx.warnings = data.warnings
    return tx


@transaction.atomic
def transaction_delete(*, tx: Transaction, actor=None, meta=NO_REQUEST) -> None:
    """Delete a trade (and its cash movement); replays its owner × asset from its date."""
    transactions_delete(ids=[tx.pk], actor=actor, meta=meta)


@transaction.atomic
def transactions_delete(*, ids, actor=None, meta=NO_REQUEST) -> int:
    rows = list(Transaction.objects.select_for_update().filter(pk__in=list(ids)).select_related("asset"))
    pending: dict = {}
    for tx in rows:
        positions.merge_since(pending, tx.owner_id, tx.asset_id, tx.trade_date)
        audit_deleted(tx, INPUT_FIELDS, action="portfolio.transaction.delete", actor=actor, meta=meta)
    Transaction.objects.filter(pk__in=[tx.pk for tx in rows]).delete()
    positions.replay_many(pending)
    return len(rows)

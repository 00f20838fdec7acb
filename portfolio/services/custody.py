"""Opening balances, custody transfers between brokers and leilões de frações.

None of them is a purchase or a sale typed by the user; each enters the position ledger at its
moment and replays the owner × asset from there (``positions.replay``), so a refused replay (a
transfer beyond what the source broker held, a fraction that is not there) writes nothing.

- **Opening balance** (``OpeningPosition``): a position brought from elsewhere as of a date, with
  quantity and average cost (no fake trades). Enters at 00:00 of that day, before events and trades.
- **Custody transfer** (``CustodyTransfer``, portabilidade): shares leave one broker's position at
  its average cost and arrive at the other's with that cost; the taxpayer's preço médio (the
  consolidated one the tax uses) does not change. Validated against the source broker's quantity
  at that moment. Recognised by the B3 movimentação import ("Transferência - Liquidação" of custody).
- **Leilão de frações** (``FractionSale``): the fraction a grupamento/bonificação left leaves with
  its cash, a realized result assessed like a sale; a cash credit is created.

Another engineer builds reconciliation and brokerage notes on top of these: keep them plain.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted

from .. import invalidation, ledger, market_data
from ..choices import CashKind, CorporateEventKind, FxSource, whole_units
from ..dates import as_moment, local_date, out_of_range, start_of_day
from ..models import (
    CashMovement,
    CorporateEvent,
    CustodyTransfer,
    FractionSale,
    OpeningPosition,
    Position,
    Transaction,
)
from ..selectors import quantity_held_at
from . import positions


def _check_owner(portfolio, owner_id, errors) -> None:
    if portfolio is not None and owner_id is not None and portfolio.owner_id != owner_id:
        errors["portfolio"] = [_("Carteira não encontrada.")]


# --- opening balances -------------------------------------------------------------------------

OPENING_FIELDS = ("portfolio", "broker", "asset", "as_of", "quantity", "average_cost", "cost_basis_brl", "notes")


def _check_opening(data: dict, *, pk=None) -> None:
    errors: dict[str, list] = {}
    asset = data["asset"]
    if data.get("as_of") is None or out_of_range(data["as_of"]):
        errors["as_of"] = [_("Informe a data do saldo (1900–2199).")]
    elif data["as_of"] > timezone.localdate():
        errors["as_of"] = [_("A data do saldo não pode estar no futuro.")]
    if data.get("quantity") is None or data["quantity"] <= 0:
        errors["quantity"] = [_("A quantidade deve ser maior que zero.")]
    if data.get("average_cost") is None or data["average_cost"] < 0:
        errors["average_cost"] = [_("Informe o preço médio (zero ou mais).")]
    if asset.currency != "BRL" and data.get("cost_basis_brl") is None:
        errors["cost_basis_brl"] = [
            _("Ativo em %(currency)s: informe o custo total em reais (nenhuma conversão é suposta).")
            % {"currency": asset.currency}
        ]
    elif data.get("cost_basis_brl") is not None and data["cost_basis_brl"] < 0:
        errors["cost_basis_brl"] = [_("O custo em reais não pode ser negativo.")]
    if errors:
        raise ValidationError(errors)
    clash = OpeningPosition.objects.filter(portfolio=data["portfolio"], broker=data["broker"], asset=asset)
    if pk:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        errors["asset"] = [_("Já existe saldo inicial deste ativo nesta corretora e carteira.")]
    earlier = Transaction.objects.filter(
        portfolio=data["portfolio"], broker=data["broker"], asset=asset, trade_date__lt=start_of_day(data["as_of"])
    )
    if earlier.exists():
        errors["as_of"] = [
            _("Há operações desta posição antes desta data: o saldo inicial deve ser anterior a todas elas.")
        ]
    if errors:
        raise ValidationError(errors)


def _opening_fill(opening: OpeningPosition, data: dict) -> None:
    for name in OPENING_FIELDS:
        setattr(opening, name, data.get(name, "" if name == "notes" else None))
    opening.quantity = ledger.quantity(opening.quantity)
    opening.average_cost = ledger.price(opening.average_cost)
    opening.cost_basis = ledger.money(opening.quantity * opening.average_cost)
    if opening.asset.currency == "BRL" or opening.cost_basis_brl is None:
        opening.cost_basis_brl = opening.cost_basis
    opening.cost_basis_brl = ledger.money(opening.cost_basis_brl)


@transaction.atomic
def opening_position_create(*, owner, actor=None, meta=NO_REQUEST, **data) -> OpeningPosition:
    """An opening balance of one position (``portfolio``, ``broker``, ``asset``) as of ``as_of``."""
    errors: dict = {}
    _check_owner(data.get("portfolio"), owner.pk, errors)
    if errors:
        raise ValidationError(errors)
    _check_opening(data)
    opening = OpeningPosition(owner=owner)
    _opening_fill(opening, data)
    opening.save()
    positions.replay(owner_id=owner.pk, asset_id=opening.asset_id, since=start_of_day(opening.as_of))
    audit_created(opening, OPENING_FIELDS, action="portfolio.opening.create", actor=actor, meta=meta)
    return opening


@transaction.atomic
def opening_position_update(*, opening: OpeningPosition, actor=None, meta=NO_REQUEST, **changes) -> OpeningPosition:
    opening = OpeningPosition.objects.select_for_update().select_related("asset").get(pk=opening.pk)
    old_asset, old_day = opening.asset_id, opening.as_of
    merged = {name: changes.get(name, getattr(opening, name)) for name in OPENING_FIELDS}
    if "asset" in changes and "cost_basis_brl" not in changes:
        merged["cost_basis_brl"] = None
    errors: dict = {}
    _check_owner(merged["portfolio"], opening.owner_id, errors)
    if errors:
        raise ValidationError(errors)
    _check_opening(merged, pk=opening.pk)
    with audit_changes(opening, OPENING_FIELDS, action="portfolio.opening.update", actor=actor, meta=meta):
        _opening_fill(opening, merged)
        opening.save()
    since = start_of_day(min(old_day, opening.as_of))
    pending: dict = {}
    positions.merge_since(pending, opening.owner_id, old_asset, since)
    positions.merge_since(pending, opening.owner_id, opening.asset_id, since)
    positions.replay_many(pending)
    return opening


@transaction.atomic
def opening_position_delete(*, opening: OpeningPosition, actor=None, meta=NO_REQUEST) -> None:
    """Remove an opening balance; refused (nothing written) if a later sale depended on it."""
    opening = OpeningPosition.objects.select_for_update().get(pk=opening.pk)
    audit_deleted(opening, OPENING_FIELDS, action="portfolio.opening.delete", actor=actor, meta=meta)
    owner_id, asset_id, day = opening.owner_id, opening.asset_id, opening.as_of
    opening.delete()
    positions.replay(owner_id=owner_id, asset_id=asset_id, since=start_of_day(day))


# --- custody transfers --------------------------------------------------------------------------

TRANSFER_FIELDS = ("portfolio", "asset", "from_broker", "to_broker", "date", "quantity", "notes")


def _check_transfer(data: dict) -> None:
    errors: dict[str, list] = {}
    if data.get("date") is None:
        errors["date"] = [_("Informe a data da transferência.")]
    else:
        data["date"] = as_moment(data["date"])
        if out_of_range(local_date(data["date"])):
            errors["date"] = [_("Data fora do intervalo aceito (1900–2199).")]
        elif data["date"] > timezone.now():
            errors["date"] = [_("A data da transferência não pode estar no futuro.")]
    if data.get("quantity") is None or data["quantity"] <= 0:
        errors["quantity"] = [_("A quantidade deve ser maior que zero.")]
    source, target = data.get("from_broker"), data.get("to_broker")
    if source is not None and target is not None and source.pk == target.pk:
        errors["to_broker"] = [_("A corretora de destino deve ser diferente da de origem.")]
    if errors:
        raise ValidationError(errors)


def _transfer_fill(item: CustodyTransfer, data: dict) -> None:
    for name in TRANSFER_FIELDS:
        setattr(item, name, data.get(name, "" if name == "notes" else None))
    item.quantity = ledger.quantity(item.quantity)


@transaction.atomic
def custody_transfer_create(*, owner, actor=None, meta=NO_REQUEST, import_hash="", source_file="", **data):
    """Move ``quantity`` of ``asset`` from ``from_broker`` to ``to_broker`` (same portfolio).

    Neither a sale nor a purchase: the consolidated preço médio is unchanged. Refused (``quantity``)
    when the source broker did not hold that much at ``date``.
    """
    errors: dict = {}
    _check_owner(data.get("portfolio"), owner.pk, errors)
    if errors:
        raise ValidationError(errors)
    _check_transfer(data)
    item = CustodyTransfer(owner=owner, import_hash=import_hash, source_file=source_file)
    _transfer_fill(item, data)
    item.save()
    positions.replay(owner_id=owner.pk, asset_id=item.asset_id, since=item.date)
    audit_created(item, TRANSFER_FIELDS, action="portfolio.custody_transfer.create", actor=actor, meta=meta)
    return item


@transaction.atomic
def custody_transfer_update(*, item: CustodyTransfer, actor=None, meta=NO_REQUEST, **changes) -> CustodyTransfer:
    item = CustodyTransfer.objects.select_for_update().get(pk=item.pk)
    old_asset, old_date = item.asset_id, item.date
    merged = {name: changes.get(name, getattr(item, name)) for name in TRANSFER_FIELDS}
    errors: dict = {}
    _check_owner(merged["portfolio"], item.owner_id, errors)
    if errors:
        raise ValidationError(errors)
    _check_transfer(merged)
    with audit_changes(item, TRANSFER_FIELDS, action="portfolio.custody_transfer.update", actor=actor, meta=meta):
        _transfer_fill(item, merged)
        item.save()
    pending: dict = {}
    positions.merge_since(pending, item.owner_id, old_asset, min(old_date, item.date))
    positions.merge_since(pending, item.owner_id, item.asset_id, min(old_date, item.date))
    positions.replay_many(pending)
    return item


@transaction.atomic
def custody_transfer_delete(*, item: CustodyTransfer, actor=None, meta=NO_REQUEST) -> None:
    item = CustodyTransfer.objects.select_for_update().get(pk=item.pk)
    audit_deleted(item, TRANSFER_FIELDS, action="portfolio.custody_transfer.delete", actor=actor, meta=meta)
    owner_id, asset_id, moment = item.owner_id, item.asset_id, item.date
    item.delete()
    positions.replay(owner_id=owner_id, asset_id=asset_id, since=moment)


# --- leilão de frações ---------------------------------------------------------------------------

FRACTION_FIELDS = ("portfolio", "broker", "asset", "event", "date", "quantity", "amount", "fx_rate", "notes")


def pending_fraction(*, portfolio, broker, asset, moment) -> Decimal:
    """The fraction of the position at ``moment`` (zero for assets traded in fractions)."""
    if not whole_units(asset_type=asset.asset_type, market=asset.market):
        return ledger.ZERO
    position = Position.objects.filter(portfolio=portfolio, broker=broker, asset=asset).first()
    if position is None:
        return ledger.ZERO
    held = quantity_held_at(position_ids=[position.pk], moment=moment).get(position.pk, ledger.ZERO)
    return held - int(held)


def _fraction_event(asset, moment):
    return (
        CorporateEvent.objects.filter(
            asset=asset,
            kind__in=[CorporateEventKind.GRUPAMENTO, CorporateEventKind.BONIFICACAO],
            event_date__lte=local_date(moment),
        )
        .order_by("-event_date", "-pk")
        .first()
    )


@transaction.atomic
def fraction_sale_create(*, owner, actor=None, meta=NO_REQUEST, **data) -> FractionSale:
    """Record the cash of a leilão de frações at one broker: the pending fraction leaves like a sale.

    ``quantity`` defaults to the fraction the position holds at ``date``; ``event`` to the last
    grupamento/bonificação before it. A foreign asset's FX defaults to the PTAX of the date.
    """
    errors: dict[str, list] = {}
    _check_owner(data.get("portfolio"), owner.pk, errors)
    asset = data["asset"]
    moment = data.get("date")
    if moment is None:
        errors["date"] = [_("Informe a data do crédito do leilão.")]
    else:
        moment = data["date"] = as_moment(moment)
        if out_of_range(local_date(moment)) or moment > timezone.now():
            errors["date"] = [_("Data inválida (no futuro ou fora de 1900–2199).")]
    if data.get("amount") is None or data["amount"] < 0:
        errors["amount"] = [_("Informe o valor recebido no leilão.")]
    if errors:
        raise ValidationError(errors)
    fraction = pending_fraction(portfolio=data["portfolio"], broker=data["broker"], asset=asset, moment=moment)
    quantity = data.get("quantity") or fraction
    if fraction <= 0:
        errors["quantity"] = [_("Esta posição não tem fração pendente nesta data.")]
    elif quantity != fraction:
        errors["quantity"] = [
            _("A fração pendente nesta data é %(fraction)s.") % {"fraction": f"{fraction.normalize():f}"}
        ]
    fx_rate, fx_source = data.get("fx_rate"), FxSource.INFORMED
    if asset.currency == "BRL":
        fx_rate, fx_source = Decimal(1), FxSource.NONE
    elif fx_rate is None:
        quote = market_data.fx_quote_on(currency=asset.currency, on=local_date(moment))
        if quote is None:
            errors["fx_rate"] = [_("Sem câmbio conhecido para %(c)s: informe-o.") % {"c": asset.currency}]
        else:
            fx_rate, fx_source = quote.rate, quote.source
    if errors:
        raise ValidationError(errors)
    item = FractionSale(
        owner=owner,
        portfolio=data["portfolio"],
        broker=data["broker"],
        asset=asset,
        event=data.get("event") or _fraction_event(asset, moment),
        date=moment,
        quantity=quantity,
        amount=ledger.money(data["amount"]),
        currency=asset.currency,
        fx_rate=fx_rate,
        fx_source=fx_source,
        notes=data.get("notes") or "",
    )
    item.save()
    if item.amount > 0:
        CashMovement.objects.create(
            owner_id=owner.pk,
            broker=item.broker,
            portfolio=item.portfolio,
            kind=CashKind.VENDA,
            amount=item.amount,
            currency=item.currency,
            date=item.date,
            description=f"Leilão de frações {asset.ticker} ({quantity.normalize():f})",
            fraction_sale=item,
        )
    positions.replay(owner_id=owner.pk, asset_id=asset.pk, since=item.date)
    audit_created(item, FRACTION_FIELDS, action="portfolio.fraction_sale.create", actor=actor, meta=meta)
    return item


@transaction.atomic
def fraction_sale_delete(*, item: FractionSale, actor=None, meta=NO_REQUEST) -> None:
    item = FractionSale.objects.select_for_update().get(pk=item.pk)
    audit_deleted(item, FRACTION_FIELDS, action="portfolio.fraction_sale.delete", actor=actor, meta=meta)
    owner_id, asset_id, moment = item.owner_id, item.asset_id, item.date
    item.delete()  # its cash credit goes with it
    positions.replay(owner_id=owner_id, asset_id=asset_id, since=moment)
    invalidation.owner_changed(owner_id)

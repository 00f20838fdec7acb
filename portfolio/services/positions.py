"""Positions are derived from trades and corporate events, kept incrementally.

- A trade dated after everything its position has seen is *appended*: one locked position row,
  one ledger row, one update — a constant number of queries whatever the history length.
- Anything else (a back-dated trade, an edit or a deletion, a corporate event) *replays* one
  owner × asset from the affected moment: the ledger gives the state just before it, and only
  the trades and events from that moment on are applied again.
- :func:`rebuild` replays from the beginning (the ``rebuild_positions`` command). Both paths use
  the same step functions (``portfolio.ledger``) so they always agree.

Nothing here checks who is asking: callers (the other services) do.
"""

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import bulk, invalidation, ledger, market_data
from ..choices import ACQUISITION_KINDS, CorporateEventKind, TransactionKind
from ..dates import local_date, start_of_day
from ..models import (
    CorporateEvent,
    CustodyTransfer,
    Dividend,
    FractionSale,
    OpeningPosition,
    Position,
    PositionEntry,
    Transaction,
)
from ..tax.selectors import rulebook

STATE_FIELDS = (
    "quantity",
    "average_cost",
    "cost_basis",
    "cost_basis_brl",
    "realized_pnl",
    "realized_pnl_brl",
    "first_trade_date",
    "last_trade_date",
)
QUANTITY_EVENT_KINDS = (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO, CorporateEventKind.BONIFICACAO)
MOVING_EVENT_KINDS = (*QUANTITY_EVENT_KINDS, CorporateEventKind.MUDANCA_TICKER)


def state_of(obj) -> ledger.State:
    """The ledger state stored on a ``Position`` or a ``PositionEntry``."""
    return ledger.State(
        quantity=obj.quantity,
        average_cost=obj.average_cost,
        cost_basis=obj.cost_basis,
        cost_basis_brl=obj.cost_basis_brl,
        realized_pnl=obj.realized_pnl,
        realized_pnl_brl=obj.realized_pnl_brl,
        first_trade_date=obj.first_trade_date,
        last_trade_date=obj.last_trade_date,
    )


def _store_state(position: Position, state: ledger.State) -> None:
    for field in STATE_FIELDS:
        setattr(position, field, getattr(state, field))


def event_moment(event: CorporateEvent) -> datetime:
    return start_of_day(event.event_date)


def events_moving_positions(asset_id):
    """Events that change the positions of ``asset_id``: its own, and ticker changes into it."""
    return CorporateEvent.objects.filter(
        Q(asset_id=asset_id, kind__in=MOVING_EVENT_KINDS)
        | Q(new_asset_id=asset_id, kind=CorporateEventKind.MUDANCA_TICKER)
    )


def trade_step(state: ledger.State, tx: Transaction) -> tuple[ledger.State, ledger.Change]:
    """Apply one transaction. Raises ``ledger.InsufficientQuantity`` for a sale beyond holdings."""
    net_brl = ledger.money(tx.net_amount * tx.fx_rate)
    if tx.kind in ACQUISITION_KINDS:
        return ledger.acquire(state, qty=tx.quantity, cost=tx.net_amount, cost_brl=net_brl, at=tx.trade_date)
    if tx.kind == TransactionKind.VENDA:
        return ledger.dispose(state, qty=tx.quantity, net=tx.net_amount, net_brl=net_brl, at=tx.trade_date)
    return ledger.amortize(state, qty=tx.quantity, net=tx.net_amount, net_brl=net_brl, at=tx.trade_date)


def event_step(state: ledger.State, event: CorporateEvent, *, fx_rate) -> tuple[ledger.State, ledger.Change] | None:
    """Apply one corporate event to a position of its asset; ``None`` when it changes nothing."""
    if state.quantity <= 0:
        return None
    if event.kind in (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO):
        return ledger.rescale(state, ratio_from=event.ratio_from, ratio_to=event.ratio_to)
    if event.kind == CorporateEventKind.BONIFICACAO:
        return ledger.bonus(
            state,
            ratio_from=event.ratio_from,
            ratio_to=event.ratio_to,
            assigned_cost=event.assigned_cost or ledger.ZERO,
            fx_rate=fx_rate,
        )
    if event.kind == CorporateEventKind.MUDANCA_TICKER:
        return ledger.move_out(state)
    return None


ENTRY_COLUMNS = (
    "position_id",
    "at",
    "order",
    "ref_id",
    "transaction_id",
    "event_id",
    "opening_id",
    "transfer_id",
    "fraction_sale_id",
    "quantity_delta",
    "cost_basis_delta",
    "cost_basis_brl_delta",
    "realized_pnl_delta",
    "realized_pnl_brl_delta",
    "quantity",
    "average_cost",
    "cost_basis",
    "cost_basis_brl",
    "realized_pnl",
    "realized_pnl_brl",
    "first_trade_date",
    "last_trade_date",
)


def _entry_values(
    position_id,
    state,
    change,
    *,
    at,
    order,
    ref_id,
    transaction_id=None,
    event_id=None,
    opening_id=None,
    transfer_id=None,
    fraction_sale_id=None,
) -> tuple:
    """One ledger row, in ``ENTRY_COLUMNS`` order."""
    return (
        position_id,
        at,
        order,
        ref_id,
        transaction_id,
        event_id,
        opening_id,
        transfer_id,
        fraction_sale_id,
        change.quantity_delta,
        change.cost_basis_delta,
        change.cost_basis_brl_delta,
        change.realized_pnl_delta,
        change.realized_pnl_brl_delta,
        state.quantity,
        state.average_cost,
        state.cost_basis,
        state.cost_basis_brl,
        state.realized_pnl,
        state.realized_pnl_brl,
        state.first_trade_date,
        state.last_trade_date,
    )


TradeRow = namedtuple("TradeRow", "pk portfolio_id broker_id kind trade_date quantity net_amount fx_rate")


class InsufficientHoldings(ValidationError):
    """A sale (or amortization) beyond what its position held at that moment; knows which trade."""

    def __init__(self, message, *, transaction_id):
        super().__init__({"quantity": [message]}, code="insufficient_quantity")
        self.transaction_id = transaction_id


def insufficient_error(tx: Transaction, exc: ledger.InsufficientQuantity) -> InsufficientHoldings:
    message = _(
        "Quantidade insuficiente: %(kind)s de %(qty)s %(ticker)s em %(date)s na %(broker)s, "
        "mas a posição nessa data era de %(available)s."
    ) % {
        "kind": tx.get_kind_display().lower(),
        "qty": f"{exc.requested.normalize():f}",
        "ticker": tx.asset.ticker,
        "date": date_format(local_date(tx.trade_date), "SHORT_DATE_FORMAT"),
        "broker": tx.broker.name,
        "available": f"{exc.available.normalize():f}",
    }
    return InsufficientHoldings(message, transaction_id=tx.pk)


# --- the incremental path ----------------------------------------------------------------


@dataclass
class AppendCheck:
    position: Position
    can_append: bool
    dividends_after: bool


def lock_for_trade(*, owner_id, portfolio_id, broker_id, asset_id, moment: datetime) -> AppendCheck:
    """Lock (creating if needed) the position a trade at ``moment`` touches, and say if it can be appended.

    One query besides the get-or-create: the lock, and whether the position has ledger rows after
    ``moment``, events still to come for the asset, or dividends whose data com is on/after it.
    """
    Position.objects.get_or_create(
        portfolio_id=portfolio_id, broker_id=broker_id, asset_id=asset_id, defaults={"owner_id": owner_id}
    )
    day = local_date(moment)
    position = (
        Position.objects.select_for_update(of=("self",))
        .filter(portfolio_id=portfolio_id, broker_id=broker_id, asset_id=asset_id)
        .annotate(
            later_entries=Exists(PositionEntry.objects.filter(position=OuterRef("pk"), at__gt=moment)),
            later_events=Exists(events_moving_positions(asset_id).filter(event_date__gt=day)),
            later_dividends=Exists(Dividend.objects.filter(asset_id=asset_id, data_com__gte=day)),
            opening_after=Exists(
                OpeningPosition.objects.filter(
                    portfolio_id=portfolio_id, broker_id=broker_id, asset_id=asset_id, as_of__gt=day
                )
            ),
        )
        .get()
    )
    if position.opening_after:
        raise ValidationError(
            {
                "trade_date": [
                    _(
                        "Esta posição tem saldo inicial em data posterior: operações anteriores a ele já "
                        "estão no saldo (registre só o que veio depois)."
                    )
                ]
            }
        )
    return AppendCheck(
        position=position,
        can_append=not (position.later_entries or position.later_events),
        dividends_after=position.later_dividends,
    )


def append_trade(check: AppendCheck, tx: Transaction) -> None:
    """Apply a saved trade to its locked position (``check.can_append`` must be true)."""
    position = check.position
    try:
        state, change = trade_step(state_of(position), tx)
    except ledger.InsufficientQuantity as exc:
        raise insufficient_error(tx, exc) from exc
    values = _entry_values(
        position.pk,
        state,
        change,
        at=tx.trade_date,
        order=PositionEntry.ORDER_TRADE,
        ref_id=tx.pk,
        transaction_id=tx.pk,
    )
    PositionEntry(**dict(zip(ENTRY_COLUMNS, values, strict=True))).save(force_insert=True)
    _store_state(position, state)
    position.save(update_fields=[*STATE_FIELDS, "updated_at"])
    if check.dividends_after:
        from .dividends import recompute_for_positions

        recompute_for_positions(asset_id=tx.asset_id, owner_id=tx.owner_id, since=tx.trade_date)
    invalidation.owner_changed(tx.owner_id)


# --- the replay path ------------------------------------------------------------------------

MAX_TICKER_CHAIN = 20


def replay(*, owner_id, asset_id, since: datetime | None, _depth=0, _seen=None) -> None:
    """Recompute every position of ``owner × asset`` from ``since`` (``None``: from the start).

    Follows ticker changes into the new asset. Raises ``ValidationError`` (the caller's atomic
    block then rolls everything back) when a sale would exceed what was held at its moment.
    """
    if _depth > MAX_TICKER_CHAIN:
        raise ValidationError(_("Cadeia de mudanças de ticker longa demais (ciclo?)."))
    seen = _seen if _seen is not None else set()
    seen.add((owner_id, asset_id))
    # Lock first, then read: a trade appended concurrently either committed before (and is read)
    # or waits for these locks.
    positions = list(
        Position.objects.select_for_update(of=("self",)).filter(owner_id=owner_id, asset_id=asset_id).order_by("pk")
    )
    transactions = Transaction.objects.filter(owner_id=owner_id, asset_id=asset_id)
    if since is not None:
        transactions = transactions.filter(trade_date__gte=since)
    transactions = [TradeRow(*row) for row in transactions.order_by("trade_date", "pk").values_list(*TradeRow._fields)]
    by_key = {(p.portfolio_id, p.broker_id): p for p in positions}

    def position_for(key):
        if key not in by_key:
            position, _created = Position.objects.get_or_create(
                portfolio_id=key[0], broker_id=key[1], asset_id=asset_id, defaults={"owner_id": owner_id}
            )
            by_key[key] = position
            positions.append(position)
            states[position.pk] = ledger.State()
        return by_key[key]

    start_entries = _last_entries_before(positions, since)
    stale = PositionEntry.objects.filter(position__in=[p.pk for p in positions])
    if since is not None:
        stale = stale.filter(at__gte=since)
    stale.delete()
    states = {p.pk: state_of(start_entries[p.pk]) if p.pk in start_entries else ledger.State() for p in positions}

    events = events_moving_positions(asset_id).select_related("asset").order_by("event_date", "pk")
    if since is not None:
        events = events.filter(event_date__gte=local_date(since))
    timeline = [(tx.trade_date, PositionEntry.ORDER_TRADE, tx.pk, tx) for tx in transactions]
    timeline += [(event_moment(ev), PositionEntry.ORDER_EVENT, ev.pk, ev) for ev in events]
    timeline += _custody_items(owner_id, asset_id, since)
    if since is not None:
        timeline = [item for item in timeline if item[0] >= since]
    timeline.sort(key=lambda item: item[:3])

    new_entries = []
    touched = set()
    fx_cache = {}

    def record(position, state, change, at, order, ref_id, **source):
        states[position.pk] = state
        touched.add(position.pk)
        new_entries.append(_entry_values(position.pk, state, change, at=at, order=order, ref_id=ref_id, **source))

    for at, order, ref_id, item in timeline:
        if order == PositionEntry.ORDER_TRADE:
            position = position_for((item.portfolio_id, item.broker_id))
            try:
                state, change = trade_step(states[position.pk], item)
            except ledger.InsufficientQuantity as exc:
                full = Transaction.objects.select_related("asset", "broker").get(pk=item.pk)
                raise insufficient_error(full, exc) from exc
            record(position, state, change, at, order, ref_id, transaction_id=item.pk)
        elif order == PositionEntry.ORDER_OPENING:
            position = position_for((item.portfolio_id, item.broker_id))
            state, change = ledger.acquire(
                states[position.pk], qty=item.quantity, cost=item.cost_basis, cost_brl=item.cost_basis_brl, at=at
            )
            record(position, state, change, at, order, ref_id, opening_id=item.pk)
        elif order == PositionEntry.ORDER_TRANSFER:
            source = position_for((item.portfolio_id, item.from_broker_id))
            try:
                state, change = ledger.transfer_out(states[source.pk], qty=item.quantity)
            except ledger.InsufficientQuantity as exc:
                raise _transfer_error(item, exc) from exc
            record(source, state, change, at, order, ref_id, transfer_id=item.pk)
            target = position_for((item.portfolio_id, item.to_broker_id))
            state, arrived = ledger.move_in(
                states[target.pk],
                qty=item.quantity,
                cost=-change.cost_basis_delta,
                cost_brl=-change.cost_basis_brl_delta,
                first_trade_date=states[source.pk].first_trade_date or at,
            )
            record(target, state, arrived, at, order, ref_id, transfer_id=item.pk)
        elif order == PositionEntry.ORDER_FRACTION:
            position = position_for((item.portfolio_id, item.broker_id))
            try:
                state, change = fraction_step(states[position.pk], item)
            except ledger.InsufficientQuantity as exc:
                raise ValidationError({"quantity": [_("A posição não tem essa fração nesta data.")]}) from exc
            record(position, state, change, at, order, ref_id, fraction_sale_id=item.pk)
        elif item.asset_id == asset_id:
            fx_rate = _event_fx(item, fx_cache)
            for position in list(positions):
                step = event_step(states[position.pk], item, fx_rate=fx_rate)
                if step is not None:
                    record(position, *step, at, order, ref_id, event_id=item.pk)
        else:
            for out in _moved_out(item, owner_id):
                position = position_for((out.position.portfolio_id, out.position.broker_id))
                state, change = ledger.move_in(
                    states[position.pk],
                    qty=-out.quantity_delta,
                    cost=-out.cost_basis_delta,
                    cost_brl=-out.cost_basis_brl_delta,
                    first_trade_date=out.first_trade_date,
                )
                record(position, state, change, at, order, ref_id, event_id=item.pk)

    bulk.insert_rows(PositionEntry, ENTRY_COLUMNS, new_entries)
    empty = [p.pk for p in positions if p.pk not in touched and p.pk not in start_entries]
    keep = [p for p in positions if p.pk not in empty]
    now = timezone.now()
    for p in keep:
        _store_state(p, states[p.pk])
        p.updated_at = now
    Position.objects.bulk_update(keep, [*STATE_FIELDS, "updated_at"], batch_size=500)
    if empty:
        Position.objects.filter(pk__in=empty).delete()

    from .dividends import recompute_for_positions

    recompute_for_positions(asset_id=asset_id, owner_id=owner_id, since=since)
    invalidation.owner_changed(owner_id)

    outgoing = CorporateEvent.objects.filter(asset_id=asset_id, kind=CorporateEventKind.MUDANCA_TICKER)
    if since is not None:
        outgoing = outgoing.filter(event_date__gte=local_date(since))
    for event in outgoing.order_by("event_date", "pk"):
        target = (owner_id, event.new_asset_id)
        if since is None:
            if target in seen:
                continue
            replay(owner_id=owner_id, asset_id=event.new_asset_id, since=None, _depth=_depth + 1, _seen=seen)
        else:
            # From the source's own ``since``, not the event's moment: when the event itself was
            # moved later, the target still holds the move-in recorded at the old date.
            replay(
                owner_id=owner_id,
                asset_id=event.new_asset_id,
                since=min(since, event_moment(event)),
                _depth=_depth + 1,
                _seen=seen,
            )


def _last_entries_before(positions, since) -> dict:
    """``{position_id: the last ledger row before since}`` in one query."""
    if since is None or not positions:
        return {}
    last = (
        PositionEntry.objects.filter(position=OuterRef("pk"), at__lt=since)
        .order_by("-at", "-order", "-ref_id")
        .values("pk")[:1]
    )
    ids = (
        Position.objects.filter(pk__in=[p.pk for p in positions])
        .annotate(start=Subquery(last))
        .values_list("start", flat=True)
    )
    return {e.position_id: e for e in PositionEntry.objects.filter(pk__in=[i for i in ids if i])}


def _moved_out(event: CorporateEvent, owner_id):
    return PositionEntry.objects.filter(event=event, position__owner_id=owner_id, quantity_delta__lt=0)


def _event_fx(event: CorporateEvent, cache: dict) -> Decimal:
    """BRL per unit of the asset's currency on the event date (a bonificação's cost in reais).

    Never 1.0 by default: without a known rate the replay is refused (the event service refuses
    such an event up front; this only happens if the rate was removed afterwards).
    """
    currency = event.asset.currency
    if currency == "BRL" or event.kind != CorporateEventKind.BONIFICACAO or not event.assigned_cost:
        return Decimal("1")
    key = (currency, event.event_date)
    if key not in cache:
        cache[key] = market_data.fx_rate_on(currency=currency, on=event.event_date)
    if cache[key] is None:
        raise ValidationError(
            {
                "event_date": [
                    _("Sem câmbio %(currency)s para %(date)s: cadastre a PTAX da data antes desta bonificação.")
                    % {"currency": currency, "date": date_format(event.event_date, "SHORT_DATE_FORMAT")}
                ]
            }
        )
    return cache[key]


def fraction_step(state: ledger.State, item) -> tuple[ledger.State, ledger.Change]:
    """A leilão de frações at one broker: the fraction leaves for its cash, like a sale.

    From a bonificação (and while ``fraction_cost_assigned`` is 1 in the rule table) the fraction
    leaves at the custo atribuído; otherwise at the average cost.
    """
    net_brl = ledger.money(item.amount * item.fx_rate)
    cost = cost_brl = None
    if item.assigned_cost is not None:
        cost = ledger.money(item.quantity * item.assigned_cost)
        cost_brl = ledger.money(item.quantity * item.assigned_cost * item.event_fx_rate)
    return ledger.dispose(
        state, qty=item.quantity, net=item.amount, net_brl=net_brl, at=item.date, cost=cost, cost_brl=cost_brl
    )


def fraction_cost_rule(event, on) -> bool:
    """Whether a fraction of ``event`` leaves at its custo atribuído (the dated rule table decides)."""
    if event is None or event.kind != CorporateEventKind.BONIFICACAO:
        return False
    return rulebook().get("fraction_cost_assigned", on, default=ledger.ZERO) == 1


def _custody_items(owner_id, asset_id, since) -> list:
    """Opening balances, custody transfers and leilões de frações of ``owner × asset`` on the time line."""
    items = []
    openings = OpeningPosition.objects.filter(owner_id=owner_id, asset_id=asset_id)
    transfers = CustodyTransfer.objects.filter(owner_id=owner_id, asset_id=asset_id)
    fractions = FractionSale.objects.filter(owner_id=owner_id, asset_id=asset_id).select_related("event__asset")
    if since is not None:
        openings = openings.filter(as_of__gte=local_date(since))
        transfers = transfers.filter(date__gte=since)
        fractions = fractions.filter(date__gte=since)
    items += [(start_of_day(o.as_of), PositionEntry.ORDER_OPENING, o.pk, o) for o in openings]
    items += [(t.date, PositionEntry.ORDER_TRANSFER, t.pk, t) for t in transfers]
    fx_cache: dict = {}
    for f in fractions:
        use_assigned = fraction_cost_rule(f.event, local_date(f.date))
        f.assigned_cost = f.event.assigned_cost if use_assigned else None
        f.event_fx_rate = _event_fx(f.event, fx_cache) if use_assigned else Decimal("1")
        items.append((f.date, PositionEntry.ORDER_FRACTION, f.pk, f))
    return items


def _transfer_error(item, exc: ledger.InsufficientQuantity) -> ValidationError:
    return ValidationError(
        {
            "quantity": [
                _(
                    "Quantidade insuficiente na corretora de origem: transferência de %(qty)s em %(date)s, "
                    "mas a posição nessa data era de %(available)s."
                )
                % {
                    "qty": f"{exc.requested.normalize():f}",
                    "date": date_format(local_date(item.date), "SHORT_DATE_FORMAT"),
                    "available": f"{exc.available.normalize():f}",
                }
            ]
        },
        code="insufficient_quantity",
    )


def rebuild(*, owner_id=None, asset_id=None, progress=None) -> int:
    """Replay every owner × asset (optionally one owner and/or one asset) from the start.

    Returns the number of owner × asset pairs replayed. Assets that receive a ticker change are
    replayed after the assets they come from (the cascade replays them).
    """
    trades = Transaction.objects.all()
    held = Position.objects.all()
    if owner_id is not None:
        trades, held = trades.filter(owner_id=owner_id), held.filter(owner_id=owner_id)
    if asset_id is not None:
        trades, held = trades.filter(asset_id=asset_id), held.filter(asset_id=asset_id)
    openings = OpeningPosition.objects.all()
    if owner_id is not None:
        openings = openings.filter(owner_id=owner_id)
    if asset_id is not None:
        openings = openings.filter(asset_id=asset_id)
    todo = (
        set(trades.values_list("owner_id", "asset_id").distinct())
        | set(held.values_list("owner_id", "asset_id").distinct())
        | set(openings.values_list("owner_id", "asset_id").distinct())
    )
    seen: set = set()
    for done, (owner, asset) in enumerate(_sources_first(todo), start=1):
        if (owner, asset) not in seen:
            with transaction.atomic():  # one owner × asset at a time: short locks, steady progress
                replay(owner_id=owner, asset_id=asset, since=None, _seen=seen)
        if progress:
            progress(done, len(todo))
    return len(todo)


def replay_many(pairs: dict) -> None:
    """Replay several ``{(owner_id, asset_id): since}`` at once (imports, bulk deletions)."""
    for key in _sources_first(pairs):
        replay(owner_id=key[0], asset_id=key[1], since=pairs[key])


def _sources_first(pairs):
    targets = set(
        CorporateEvent.objects.filter(kind=CorporateEventKind.MUDANCA_TICKER).values_list("new_asset_id", flat=True)
    )
    return sorted(pairs, key=lambda pair: (pair[1] in targets, pair))


def merge_since(pairs: dict, owner_id, asset_id, moment) -> None:
    """Record that ``owner × asset`` must be replayed from ``moment`` (keeping the earliest)."""
    key = (owner_id, asset_id)
    current = pairs.get(key, moment)
    pairs[key] = min(current, moment)

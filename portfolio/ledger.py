"""Preço médio arithmetic, as the Receita Federal computes it. Pure functions: no database.

A position's state moves through trades and corporate events:

- acquisition (compra, subscrição): quantity and cost grow by what was paid, fees included;
  the average is the new cost over the new quantity;
- sale (venda): quantity falls, the average is unchanged, the cost falls by ``average × quantity
  sold`` (the whole remaining cost when the position closes) and the realized P&L is the net
  sale minus that cost;
- amortização: capital returned without shares leaving; the cost falls by what came back
  (never below zero, any excess is a gain);
- split / grupamento: quantity changes by ``ratio_to / ratio_from``, the cost does not;
- bonificação: ``ratio_to`` new shares for every ``ratio_from`` held, each at the custo atribuído;
- ticker change: the state moves whole to the new asset.

Rounding: money to the cent, averages to 8 places, quantities to 10, half up.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
PRICE_STEP = Decimal("0.00000001")
QUANTITY_STEP = Decimal("0.0000000001")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def price(value) -> Decimal:
    return Decimal(value).quantize(PRICE_STEP, rounding=ROUND_HALF_UP)


def quantity(value) -> Decimal:
    return Decimal(value).quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)


class InsufficientQuantity(Exception):
    """A disposal asks for more than the position holds at that moment."""

    def __init__(self, *, requested, available):
        super().__init__(f"requested {requested}, available {available}")
        self.requested = requested
        self.available = available


@dataclass(frozen=True)
class State:
    quantity: Decimal = ZERO
    average_cost: Decimal = ZERO
    cost_basis: Decimal = ZERO
    cost_basis_brl: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    realized_pnl_brl: Decimal = ZERO
    first_trade_date: datetime | None = None
    last_trade_date: datetime | None = None


@dataclass(frozen=True)
class Change:
    """What one step did, kept on the ledger row next to the state after it."""

    quantity_delta: Decimal = ZERO
    cost_basis_delta: Decimal = ZERO
    cost_basis_brl_delta: Decimal = ZERO
    realized_pnl_delta: Decimal = ZERO
    realized_pnl_brl_delta: Decimal = ZERO


def _average(cost: Decimal, qty: Decimal) -> Decimal:
    return price(cost / qty) if qty > 0 else ZERO


def _leaving_cost(state: State, qty: Decimal) -> tuple[Decimal, Decimal]:
    """The cost (asset currency, BRL) that leaves with ``qty`` at the average: all of it when the
    position closes, so nothing is left over by rounding."""
    if qty == state.quantity:
        return state.cost_basis, state.cost_basis_brl
    removed = min(money(state.average_cost * qty), state.cost_basis)
    removed_brl = min(money(state.cost_basis_brl * qty / state.quantity), state.cost_basis_brl)
    return removed, removed_brl


def _dates(state: State, at: datetime) -> tuple:
    """``(first, last)`` trade dates once ``at`` is seen."""
    first = state.first_trade_date if state.first_trade_date and state.first_trade_date <= at else at
    last = state.last_trade_date if state.last_trade_date and state.last_trade_date >= at else at
    return first, last


def _touch_dates(state: State, at: datetime) -> dict:
    first = state.first_trade_date if state.first_trade_date and state.first_trade_date <= at else at
    last = state.last_trade_date if state.last_trade_date and state.last_trade_date >= at else at
    return {"first_trade_date": first, "last_trade_date": last}


def acquire(state: State, *, qty: Decimal, cost: Decimal, cost_brl: Decimal, at: datetime) -> tuple[State, Change]:
    """Buy or subscribe ``qty`` for ``cost`` (price × quantity + fees, already to the cent)."""
    new_qty = quantity(state.quantity + qty)
    new_cost = state.cost_basis + cost
    first, last = _dates(state, at)
    new = State(  # built directly, not with replace(): this is the tax replay's hot path
        new_qty,
        _average(new_cost, new_qty),
        new_cost,
        state.cost_basis_brl + cost_brl,
        state.realized_pnl,
        state.realized_pnl_brl,
        first,
        last,
    )
    return new, Change(quantity_delta=qty, cost_basis_delta=cost, cost_basis_brl_delta=cost_brl)


def dispose(
    state: State,
    *,
    qty: Decimal,
    net: Decimal,
    net_brl: Decimal,
    at: datetime,
    cost: Decimal | None = None,
    cost_brl: Decimal | None = None,
) -> tuple[State, Change]:
    """Sell ``qty`` for ``net`` (gross − fees). Average unchanged; realized = net − average × qty.

    ``cost``/``cost_brl``: the cost that leaves when a rule fixes it (a bonificação's fraction sold at
    auction leaves at its custo atribuído); never more than the position's cost. The average of what
    remains is then the remaining cost over the remaining quantity.
    """
    if qty > state.quantity:
        raise InsufficientQuantity(requested=qty, available=state.quantity)
    if cost is not None and qty != state.quantity:
        removed = min(cost, state.cost_basis)
        removed_brl = min(cost_brl if cost_brl is not None else cost, state.cost_basis_brl)
    else:
        removed, removed_brl = _leaving_cost(state, qty)
    new_qty = quantity(state.quantity - qty)
    realized, realized_brl = net - removed, net_brl - removed_brl
    first, last = _dates(state, at)
    if new_qty:
        average = state.average_cost if cost is None else _average(state.cost_basis - removed, new_qty)
        remaining, remaining_brl = state.cost_basis - removed, state.cost_basis_brl - removed_brl
    else:
        average = remaining = remaining_brl = ZERO
    new = State(
        new_qty,
        average,
        remaining,
        remaining_brl,
        state.realized_pnl + realized,
        state.realized_pnl_brl + realized_brl,
        first,
        last,
    )
    change = Change(
        quantity_delta=-qty,
        cost_basis_delta=-removed,
        cost_basis_brl_delta=-removed_brl,
        realized_pnl_delta=realized,
        realized_pnl_brl_delta=realized_brl,
    )
    return new, change


def amortize(state: State, *, qty: Decimal, net: Decimal, net_brl: Decimal, at: datetime) -> tuple[State, Change]:
    """Capital returned on ``qty`` units: the cost of those units falls by ``net``; any excess is a gain."""
    if qty > state.quantity or state.quantity == 0:
        raise InsufficientQuantity(requested=qty, available=state.quantity)
    units_cost = state.cost_basis if qty == state.quantity else money(state.average_cost * qty)
    reduction = min(units_cost, net)
    reduction_brl = money(state.cost_basis_brl * reduction / state.cost_basis) if state.cost_basis else ZERO
    reduction_brl = min(reduction_brl, state.cost_basis_brl)
    new_cost = state.cost_basis - reduction
    realized, realized_brl = net - reduction, net_brl - reduction_brl
    new = replace(
        state,
        cost_basis=new_cost,
        cost_basis_brl=state.cost_basis_brl - reduction_brl,
        average_cost=_average(new_cost, state.quantity),
        realized_pnl=state.realized_pnl + realized,
        realized_pnl_brl=state.realized_pnl_brl + realized_brl,
        **_touch_dates(state, at),
    )
    change = Change(
        cost_basis_delta=-reduction,
        cost_basis_brl_delta=-reduction_brl,
        realized_pnl_delta=realized,
        realized_pnl_brl_delta=realized_brl,
    )
    return new, change


def rescale(state: State, *, ratio_from: Decimal, ratio_to: Decimal) -> tuple[State, Change]:
    """Split or grupamento: every ``ratio_from`` shares become ``ratio_to``. The cost is unchanged."""
    new_qty = quantity(state.quantity * ratio_to / ratio_from)
    new = replace(state, quantity=new_qty, average_cost=_average(state.cost_basis, new_qty))
    return new, Change(quantity_delta=new_qty - state.quantity)


def bonus(
    state: State, *, ratio_from: Decimal, ratio_to: Decimal, assigned_cost: Decimal, fx_rate: Decimal
) -> tuple[State, Change]:
    """Bonificação: ``ratio_to`` new shares for every ``ratio_from`` held, each costing ``assigned_cost``."""
    added = quantity(state.quantity * ratio_to / ratio_from)
    cost = money(added * assigned_cost)
    cost_brl = money(added * assigned_cost * fx_rate)
    new_qty = state.quantity + added
    new_cost = state.cost_basis + cost
    new = replace(
        state,
        quantity=new_qty,
        cost_basis=new_cost,
        cost_basis_brl=state.cost_basis_brl + cost_brl,
        average_cost=_average(new_cost, new_qty),
    )
    return new, Change(quantity_delta=added, cost_basis_delta=cost, cost_basis_brl_delta=cost_brl)


def move_out(state: State) -> tuple[State, Change]:
    """Ticker change, old side: everything leaves; the realized P&L stays where it was made."""
    new = replace(state, quantity=ZERO, average_cost=ZERO, cost_basis=ZERO, cost_basis_brl=ZERO)
    change = Change(
        quantity_delta=-state.quantity,
        cost_basis_delta=-state.cost_basis,
        cost_basis_brl_delta=-state.cost_basis_brl,
    )
    return new, change


def move_in(
    state: State, *, qty: Decimal, cost: Decimal, cost_brl: Decimal, first_trade_date: datetime | None
) -> tuple[State, Change]:
    """Ticker change, new side: the old position's quantity and cost arrive unchanged."""
    new_qty = state.quantity + qty
    new_cost = state.cost_basis + cost
    first = state.first_trade_date
    if first_trade_date and (first is None or first_trade_date < first):
        first = first_trade_date
    new = replace(
        state,
        quantity=new_qty,
        cost_basis=new_cost,
        cost_basis_brl=state.cost_basis_brl + cost_brl,
        average_cost=_average(new_cost, new_qty),
        first_trade_date=first,
    )
    return new, Change(quantity_delta=qty, cost_basis_delta=cost, cost_basis_brl_delta=cost_brl)


def transfer_out(state: State, *, qty: Decimal) -> tuple[State, Change]:
    """Custody transfer, source side: ``qty`` leaves at the average cost; no result (not a sale)."""
    if qty > state.quantity:
        raise InsufficientQuantity(requested=qty, available=state.quantity)
    removed, removed_brl = _leaving_cost(state, qty)
    new_qty = quantity(state.quantity - qty)
    new = replace(
        state,
        quantity=new_qty,
        cost_basis=state.cost_basis - removed if new_qty else ZERO,
        cost_basis_brl=state.cost_basis_brl - removed_brl if new_qty else ZERO,
        average_cost=state.average_cost if new_qty else ZERO,
    )
    change = Change(quantity_delta=-qty, cost_basis_delta=-removed, cost_basis_brl_delta=-removed_brl)
    return new, change

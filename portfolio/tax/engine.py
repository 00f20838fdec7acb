"""Brazilian income tax on investments, as pure functions (no database, no clock).

``portfolio.tax.selectors`` loads a user's trades, corporate events and dividend receipts into
the plain records below and calls:

1. :func:`replay` — every asset of the user consolidated across portfolios and brokers, at the
   Receita's preço médio (the arithmetic of ``portfolio.ledger``), splitting each day's trades
   at one broker into day trade (bought and sold the same day at the same broker) and common
   operations. It yields every disposal with its cost *at the date of the sale*, and the
   holdings (per broker) at the checkpoint dates the annual report needs.
2. :func:`assess_months` — the monthly assessment: categories, exemptions, loss baskets, IRRF
   credits, DARF 6015 (renda variável) and 4600 (criptoativos) with the R$ 10 minimum carried.
3. :func:`assess_foreign_year` — the annual regime of Lei 14.754/2023 for assets held abroad.
4. :func:`incomes_of_year` — dividends, JCP and FII income for the annual report.

Every number of the law comes from the :class:`~portfolio.tax.rules.RuleBook` (the dated table).
Money is ``Decimal`` rounded to the cent, half up (``portfolio.ledger.money``).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from exitus import calendars

from .. import ledger
from ..choices import CorporateEventKind
from .choices import Basket, Category, RuleKey
from .rules import RuleBook

ZERO = Decimal("0.00")
money = ledger.money

# BDRs trade on B3 with a four-letter root and 31–35 or 39 (ETF BDRs): AAPL34, IVVB39...
BDR_TICKER = re.compile(r"^[A-Z0-9]{4}3[1-59]$")
FIXED_INCOME_TYPES = {"cdb", "lci_lca", "tesouro_direto", "debenture", "bond"}
FOREIGN_TYPES = {"stock", "reit", "bond", "etf", "etf_intl", "stock_intl", "acao", "outro", "unit"}
ACQUISITIONS = {"compra", "subscricao"}
# Categories whose operations go to the monthly DARF 6015, and their basket when not day trade.
SWING_BASKET = {Category.ACOES: Basket.COMMON, Category.ETF: Basket.COMMON, Category.BDR: Basket.COMMON}
MONTHLY_CATEGORIES = {Category.ACOES, Category.ETF, Category.BDR, Category.FII}
DAY_TRADE_CATEGORIES = {Category.ACOES, Category.ETF, Category.BDR, Category.FII}
BASKET_RATE = {
    Basket.COMMON: RuleKey.COMMON_RATE,
    Basket.DAY_TRADE: RuleKey.DAY_TRADE_RATE,
    Basket.FII: RuleKey.FII_RATE,
}


def category_of(*, asset_type: str, market: str, ticker: str) -> str:
    """The tax category of an asset from its type, market and ticker."""
    if asset_type == "cripto":
        return Category.CRIPTO
    if market != "BR":
        return Category.EXTERIOR if asset_type in FOREIGN_TYPES else Category.OUTRO
    if asset_type in FIXED_INCOME_TYPES:
        return Category.RENDA_FIXA
    if BDR_TICKER.match(ticker or ""):
        return Category.BDR
    if asset_type in ("acao", "unit"):
        return Category.ACOES
    if asset_type == "fii":
        return Category.FII
    if asset_type == "etf":
        return Category.ETF
    if asset_type in ("stock", "stock_intl", "etf_intl", "reit"):
        return Category.BDR  # foreign exposure bought on B3 is a BDR
    return Category.OUTRO


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def darf_due_date(month: date) -> date:
    """Last business day (national and B3 holidays) of the month after ``month``."""
    following = next_month(month)
    return calendars.last_business_day_of_month(following.year, following.month)


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetInfo:
    id: int
    ticker: str
    asset_type: str
    market: str
    currency: str = "BRL"
    name: str = ""
    cnpj: str = ""

    def __post_init__(self):
        category = category_of(asset_type=self.asset_type, market=self.market, ticker=self.ticker)
        object.__setattr__(self, "category", category)


@dataclass(frozen=True)
class Trade:
    id: int
    asset_id: int
    broker_id: int
    kind: str
    at: datetime
    day: date
    quantity: Decimal
    gross: Decimal
    net: Decimal
    withheld_tax: Decimal = ZERO
    fx_rate: Decimal = Decimal("1")

    @property
    def net_brl(self) -> Decimal:
        return self.net if self.fx_rate == 1 else money(self.net * self.fx_rate)

    @property
    def gross_brl(self) -> Decimal:
        return self.gross if self.fx_rate == 1 else money(self.gross * self.fx_rate)


@dataclass(frozen=True)
class Event:
    id: int
    asset_id: int
    kind: str
    day: date
    ratio_from: Decimal | None = None
    ratio_to: Decimal | None = None
    assigned_cost: Decimal | None = None
    new_asset_id: int | None = None
    fx_rate: Decimal = Decimal("1")


@dataclass(frozen=True)
class Income:
    """A dividend receipt (paid): gross, tax withheld and net in the asset's currency."""

    asset_id: int
    kind: str
    day: date
    gross: Decimal
    tax: Decimal
    net: Decimal
    fx_rate: Decimal = Decimal("1")
    broker_id: int | None = None


# --- step 1: the consolidated replay -----------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """One disposal (or the day-trade part of a day at one broker), in BRL."""

    asset_id: int
    broker_id: int
    day: date
    category: str
    day_trade: bool
    quantity: Decimal
    gross: Decimal
    net: Decimal
    cost: Decimal
    result: Decimal
    withheld: Decimal = ZERO
    trade_ids: tuple = ()

    @property
    def month(self) -> date:
        return first_of_month(self.day)


@dataclass
class Holding:
    state: ledger.State = field(default_factory=ledger.State)
    by_broker: dict = field(default_factory=dict)  # broker_id -> quantity


@dataclass
class ReplayResult:
    sales: list
    checkpoints: dict  # date -> {asset_id: Holding (copied)}


@dataclass(frozen=True)
class _Op:
    """A trade, or the aggregated residual of a day at one broker after its day-trade part."""

    kind: str
    at: datetime
    broker_id: int
    quantity: Decimal
    gross_brl: Decimal
    net: Decimal
    net_brl: Decimal
    withheld: Decimal
    trade_ids: tuple


def _copy(holding: Holding) -> Holding:
    return Holding(state=holding.state, by_broker=dict(holding.by_broker))


def replay(*, assets: dict, trades, events, checkpoints=()) -> ReplayResult:
    """Replay a user's history; ``checkpoints`` are dates whose end-of-day holdings are kept."""
    by_day = defaultdict(lambda: defaultdict(list))  # day -> asset -> [Trade]
    for tx in trades:
        by_day[tx.day][tx.asset_id].append(tx)
    events_by_day = defaultdict(list)
    for ev in events:
        events_by_day[ev.day].append(ev)
    holdings: dict[int, Holding] = defaultdict(Holding)
    sales: list[Sale] = []
    kept: dict = {}
    pending = sorted(set(checkpoints))
    for day in sorted(set(by_day) | set(events_by_day)):
        while pending and pending[0] < day:
            kept[pending.pop(0)] = {a: _copy(h) for a, h in holdings.items() if h.state.quantity > 0}
        for ev in sorted(events_by_day.get(day, ()), key=lambda e: e.id):
            _apply_event(holdings, ev)
        for asset_id in sorted(by_day.get(day, {})):
            info = assets[asset_id]
            _apply_day(holdings[asset_id], info, day, by_day[day][asset_id], sales)
    for day in pending:
        kept[day] = {a: _copy(h) for a, h in holdings.items() if h.state.quantity > 0}
    return ReplayResult(sales=sales, checkpoints=kept)


def _apply_event(holdings, ev: Event) -> None:
    holding = holdings.get(ev.asset_id)
    if holding is None or holding.state.quantity <= 0:
        return
    if ev.kind in (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO):
        holding.state, _change = ledger.rescale(holding.state, ratio_from=ev.ratio_from, ratio_to=ev.ratio_to)
        holding.by_broker = {b: ledger.quantity(q * ev.ratio_to / ev.ratio_from) for b, q in holding.by_broker.items()}
    elif ev.kind == CorporateEventKind.BONIFICACAO:
        holding.state, _change = ledger.bonus(
            holding.state,
            ratio_from=ev.ratio_from,
            ratio_to=ev.ratio_to,
            assigned_cost=ev.assigned_cost or ZERO,
            fx_rate=ev.fx_rate,
        )
        holding.by_broker = {
            b: q + ledger.quantity(q * ev.ratio_to / ev.ratio_from) for b, q in holding.by_broker.items()
        }
    elif ev.kind == CorporateEventKind.MUDANCA_TICKER and ev.new_asset_id:
        target = holdings[ev.new_asset_id]
        old = holding.state
        target.state, _change = ledger.move_in(
            target.state,
            qty=old.quantity,
            cost=old.cost_basis,
            cost_brl=old.cost_basis_brl,
            first_trade_date=old.first_trade_date,
        )
        for broker_id, qty in holding.by_broker.items():
            target.by_broker[broker_id] = target.by_broker.get(broker_id, ZERO) + qty
        holding.state, _change = ledger.move_out(old)
        holding.by_broker = {}


def _apply_day(holding: Holding, info: AssetInfo, day: date, txs, sales: list) -> None:
    category = info.category
    if len(txs) == 1:  # the common case: one trade of the asset that day
        _apply_op(holding, info, category, day, _single(txs[0]), sales)
        return
    ops: list[_Op] = []
    by_broker = defaultdict(list)
    for tx in sorted(txs, key=lambda t: (t.at, t.id)):
        by_broker[tx.broker_id].append(tx)
    for broker_id, group in by_broker.items():
        buys = [t for t in group if t.kind in ACQUISITIONS]
        sells = [t for t in group if t.kind == "venda"]
        bought = sum((t.quantity for t in buys), ZERO)
        sold = sum((t.quantity for t in sells), ZERO)
        if category in DAY_TRADE_CATEGORIES and bought > 0 and sold > 0:
            ops.extend(_day_trade(category, info, day, broker_id, group, buys, sells, bought, sold, sales))
        else:
            ops.extend(_single(t) for t in group)
    for op in sorted(ops, key=lambda o: (o.at, o.kind != "compra")):
        _apply_op(holding, info, category, day, op, sales)


def _single(tx: Trade) -> _Op:
    return _Op(
        kind="compra" if tx.kind in ACQUISITIONS else tx.kind,
        at=tx.at,
        broker_id=tx.broker_id,
        quantity=tx.quantity,
        gross_brl=tx.gross_brl,
        net=tx.net,
        net_brl=tx.net_brl,
        withheld=tx.withheld_tax,
        trade_ids=(tx.id,),
    )


def _day_trade(category, info, day, broker_id, group, buys, sells, bought, sold, sales) -> list[_Op]:
    """Split a broker-day into its day-trade part (a Sale) and the residual that moves the position.

    Day trade quantity = min(bought, sold). Its cost is the day's average purchase (fees included)
    and its sale value the day's average sale (fees deducted), both pro rata; it never enters the
    position (IN RFB 1.585/2015, art. 65). What remains is one purchase or one sale at those averages.
    """
    traded = min(bought, sold)
    buy_net, buy_net_brl = sum((t.net for t in buys), ZERO), sum((t.net_brl for t in buys), ZERO)
    sell_net, sell_net_brl = sum((t.net for t in sells), ZERO), sum((t.net_brl for t in sells), ZERO)
    sell_gross_brl = sum((t.gross_brl for t in sells), ZERO)
    dt_cost = money(buy_net_brl * traded / bought)
    dt_net = money(sell_net_brl * traded / sold)
    dt_gross = money(sell_gross_brl * traded / sold)
    withheld = sum((t.withheld_tax for t in sells), ZERO)
    sales.append(
        Sale(
            asset_id=info.id,
            broker_id=broker_id,
            day=day,
            category=category,
            day_trade=True,
            quantity=traded,
            gross=dt_gross,
            net=dt_net,
            cost=dt_cost,
            result=dt_net - dt_cost,
            withheld=withheld,
            trade_ids=tuple(t.id for t in group),
        )
    )
    others = [t for t in group if t.kind not in ACQUISITIONS and t.kind != "venda"]
    ops = [_single(t) for t in others]
    first_at = group[0].at
    if bought > traded:
        ops.append(
            _Op(
                kind="compra",
                at=first_at,
                broker_id=broker_id,
                quantity=bought - traded,
                gross_brl=ZERO,
                net=buy_net - money(buy_net * traded / bought),
                net_brl=buy_net_brl - dt_cost,
                withheld=ZERO,
                trade_ids=tuple(t.id for t in buys),
            )
        )
    elif sold > traded:
        ops.append(
            _Op(
                kind="venda",
                at=first_at,
                broker_id=broker_id,
                quantity=sold - traded,
                gross_brl=sell_gross_brl - dt_gross,
                net=sell_net - money(sell_net * traded / sold),
                net_brl=sell_net_brl - dt_net,
                withheld=ZERO,
                trade_ids=tuple(t.id for t in sells),
            )
        )
    return ops


def _apply_op(holding: Holding, info: AssetInfo, category, day, op: _Op, sales: list) -> None:
    before = holding.state
    brokers = holding.by_broker
    if op.kind == "compra":
        holding.state, _change = ledger.acquire(before, qty=op.quantity, cost=op.net, cost_brl=op.net_brl, at=op.at)
        brokers[op.broker_id] = brokers.get(op.broker_id, ZERO) + op.quantity
        return
    if op.kind == "venda":
        holding.state, change = ledger.dispose(before, qty=op.quantity, net=op.net, net_brl=op.net_brl, at=op.at)
        brokers[op.broker_id] = max(ZERO, brokers.get(op.broker_id, ZERO) - op.quantity)
        gross = op.gross_brl
    else:  # amortização: capital returned; only what exceeds the cost is a result
        holding.state, change = ledger.amortize(before, qty=op.quantity, net=op.net, net_brl=op.net_brl, at=op.at)
        gross = ZERO
    if not brokers.get(op.broker_id):
        brokers.pop(op.broker_id, None)
    sales.append(
        Sale(
            asset_id=info.id,
            broker_id=op.broker_id,
            day=day,
            category=category,
            day_trade=False,
            quantity=op.quantity if op.kind == "venda" else ZERO,
            gross=gross,
            net=op.net_brl,
            cost=-change.cost_basis_brl_delta,
            result=change.realized_pnl_brl_delta,
            withheld=op.withheld,
            trade_ids=op.trade_ids,
        )
    )


# --- step 2: the monthly assessment ------------------------------------------------------------


@dataclass
class Carry:
    """What one month hands to the next."""

    losses: dict = field(default_factory=lambda: {b.value: ZERO for b in Basket})
    irrf: Decimal = ZERO
    darf_residual: Decimal = ZERO
    crypto_residual: Decimal = ZERO


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def _category_figures(sales) -> dict:
    gains = _sum(s.result for s in sales if s.result > 0)
    losses = _sum(-s.result for s in sales if s.result < 0)
    return {
        "sales": _sum(s.gross for s in sales),
        "gains": gains,
        "losses": losses,
        "result": gains - losses,
        "operations": len(sales),
    }


def _irrf(sales, rules: RuleBook, month: date) -> tuple[dict, list]:
    """IRRF per note (broker × day): the recorded value when the note has one, else the legal estimate."""
    notes = defaultdict(list)
    for s in sales:
        if s.category in MONTHLY_CATEGORIES:
            notes[(s.broker_id, s.day, s.day_trade)].append(s)
    common_rate = rules.rate(RuleKey.IRRF_COMMON_RATE, month)
    minimum = rules.get(RuleKey.IRRF_COMMON_MINIMUM, month)
    dt_rate = rules.rate(RuleKey.IRRF_DAY_TRADE_RATE, month)
    totals = {"common": ZERO, "day_trade": ZERO}
    detail = []
    for (broker_id, day, day_trade), group in sorted(notes.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        recorded = _sum(s.withheld for s in group)
        if day_trade:
            estimate = money(max(ZERO, _sum(s.result for s in group)) * dt_rate)
        else:
            estimate = money(_sum(s.gross for s in group) * common_rate)
            estimate = estimate if estimate > minimum else ZERO
        value = recorded if recorded > 0 else estimate
        totals["day_trade" if day_trade else "common"] += value
        if value:
            detail.append(
                {
                    "broker_id": broker_id,
                    "date": day,
                    "day_trade": day_trade,
                    "amount": value,
                    "source": "informado" if recorded > 0 else "estimado",
                }
            )
    return totals, detail


def progressive_tax(gain: Decimal, brackets) -> Decimal:
    """Capital-gain tax on ``gain`` by brackets ``[(upper limit | None, rate), ...]``."""
    tax, lower = ZERO, ZERO
    for limit, rate in brackets:
        if gain <= lower:
            break
        upper = gain if limit is None else min(gain, limit)
        tax += (upper - lower) * rate
        if limit is None:
            break
        lower = limit
    return money(tax)


def _basket(result: Decimal, loss_in: Decimal, rate: Decimal) -> dict:
    if result > 0:
        compensated = min(result, loss_in)
        taxable = result - compensated
        loss_out = loss_in - compensated
    else:
        compensated, taxable, loss_out = ZERO, ZERO, loss_in - result
    return {
        "result": result,
        "loss_in": loss_in,
        "compensated": compensated,
        "taxable": taxable,
        "loss_out": loss_out,
        "rate": rate * 100,
        "tax": money(taxable * rate),
    }


def assess_month(month: date, sales, rules: RuleBook, carry: Carry) -> tuple[dict, Carry]:
    """One month. ``sales`` are that month's; ``carry`` what the previous month left."""
    by = defaultdict(list)
    for s in sales:
        by[(s.category, s.day_trade)].append(s)
    figures = {
        "acoes": _category_figures(by[(Category.ACOES, False)]),
        "etf": _category_figures(by[(Category.ETF, False)]),
        "bdr": _category_figures(by[(Category.BDR, False)]),
        "fii": _category_figures(by[(Category.FII, False)] + by[(Category.FII, True)]),
        "day_trade": _category_figures(
            by[(Category.ACOES, True)] + by[(Category.ETF, True)] + by[(Category.BDR, True)]
        ),
        "cripto": _category_figures(by[(Category.CRIPTO, False)] + by[(Category.CRIPTO, True)]),
    }
    threshold = rules.get(RuleKey.COMMON_EXEMPTION_SALES, month)
    acoes = figures["acoes"]
    exempt = acoes["sales"] <= threshold
    exempt_gain = acoes["result"] if exempt and acoes["result"] > 0 else ZERO
    acoes_taxable = ZERO if exempt_gain else acoes["result"]
    results = {
        Basket.COMMON: acoes_taxable + figures["etf"]["result"] + figures["bdr"]["result"],
        Basket.DAY_TRADE: figures["day_trade"]["result"],
        Basket.FII: figures["fii"]["result"],
    }
    baskets = {}
    new = Carry(losses=dict(carry.losses))
    for basket, result in results.items():
        row = _basket(result, carry.losses[basket.value], rules.rate(BASKET_RATE[basket], month))
        baskets[basket.value] = row
        new.losses[basket.value] = row["loss_out"]
    tax_due = _sum(b["tax"] for b in baskets.values())

    irrf_month, irrf_detail = _irrf(sales, rules, month)
    available = irrf_month["common"] + irrf_month["day_trade"] + carry.irrf
    used = min(available, tax_due)
    new.irrf = available - used
    after_irrf = tax_due - used
    minimum = rules.get(RuleKey.DARF_MINIMUM, month)
    payable = after_irrf + carry.darf_residual
    darf = payable if payable >= minimum else ZERO
    new.darf_residual = ZERO if darf else payable

    crypto = figures["cripto"]
    crypto_limit = rules.get(RuleKey.CRYPTO_EXEMPTION_SALES, month)
    crypto_exempt = crypto["sales"] <= crypto_limit
    crypto_tax = ZERO if crypto_exempt else progressive_tax(crypto["gains"], rules.gcap_brackets(month))
    crypto_payable = crypto_tax + carry.crypto_residual
    crypto_darf = crypto_payable if crypto_payable >= minimum else ZERO
    new.crypto_residual = ZERO if crypto_darf else crypto_payable

    due = darf_due_date(month)
    result = {
        "month": month,
        "categories": figures,
        "exemption": {
            "limit": threshold,
            "acoes_sales": acoes["sales"],
            "exempt": exempt,
            "exempt_gain": exempt_gain,
        },
        "baskets": baskets,
        "tax_due": tax_due,
        "irrf": {
            "common": irrf_month["common"],
            "day_trade": irrf_month["day_trade"],
            "credit_in": carry.irrf,
            "used": used,
            "credit_out": new.irrf,
            "notes": irrf_detail,
        },
        "tax_after_irrf": after_irrf,
        "darf": {
            "code": "6015",
            "residual_in": carry.darf_residual,
            "amount": darf,
            "residual_out": new.darf_residual,
            "minimum": minimum,
            "due_date": due,
        },
        "crypto": {
            "sales": crypto["sales"],
            "gains": crypto["gains"],
            "losses": crypto["losses"],
            "limit": crypto_limit,
            "exempt": crypto_exempt,
            "exempt_gain": crypto["gains"] if crypto_exempt else ZERO,
            "tax": crypto_tax,
            "darf": {
                "code": "4600",
                "residual_in": carry.crypto_residual,
                "amount": crypto_darf,
                "residual_out": new.crypto_residual,
                "due_date": due,
            },
        },
    }
    return result, new


def assess_months(sales, rules: RuleBook, *, until: date, since: date | None = None) -> list[dict]:
    """Every month from the first sale (or ``since``) to ``until`` (a month), with the carries chained."""
    monthly = defaultdict(list)
    for s in sales:
        if s.category in MONTHLY_CATEGORIES or s.category == Category.CRIPTO:
            monthly[s.month].append(s)
    start = min([*monthly, until]) if since is None else min([*monthly, since])
    month, carry, rows = first_of_month(start), Carry(), []
    while month <= until:
        row, carry = assess_month(month, monthly.get(month, []), rules, carry)
        rows.append(row)
        month = next_month(month)
    return rows


# --- late payment (information) --------------------------------------------------------------


def late_payment(*, amount: Decimal, due: date, paid_on: date, rules: RuleBook, selic_monthly: dict) -> dict:
    """Fine (0.33 %/day up to 20 %) and Selic interest of a DARF paid after its due date.

    Interest: the Selic of each month after the due month until the month before payment, plus 1 %
    in the payment month (Lei 9.430/1996, art. 61 §3); ``selic_monthly`` maps month → % of that month.
    """
    if paid_on <= due or amount <= 0:
        return {
            "days_late": 0,
            "fine": ZERO,
            "fine_rate": ZERO,
            "interest": ZERO,
            "interest_rate": ZERO,
            "total": amount,
        }
    days = (paid_on - due).days
    fine_rate = min(rules.get(RuleKey.LATE_FINE_DAILY, due) * days, rules.get(RuleKey.LATE_FINE_CAP, due))
    interest_rate = ZERO
    month = next_month(first_of_month(due))
    pay_month = first_of_month(paid_on)
    missing = []
    while month < pay_month:
        if month in selic_monthly:
            interest_rate += selic_monthly[month]
        else:
            missing.append(month)
        month = next_month(month)
    interest_rate += rules.get(RuleKey.LATE_INTEREST_LAST_MONTH, due)
    fine = money(amount * fine_rate / 100)
    interest = money(amount * interest_rate / 100)
    return {
        "days_late": days,
        "fine_rate": fine_rate,
        "fine": fine,
        "interest_rate": interest_rate,
        "interest": interest,
        "total": amount + fine + interest,
        "selic_missing_months": missing,
    }


# --- step 3: foreign assets, annual regime (Lei 14.754/2023) --------------------------------


def assess_foreign_year(*, year: int, sales, incomes, rules: RuleBook, loss_in: Decimal = ZERO) -> dict:
    """Gains on sales and income of assets held abroad, in BRL, taxed once a year.

    Gains and income of the year are summed (losses offset within the regime), earlier losses
    carried; the tax paid abroad on income is a credit limited to the Brazilian tax on that income.
    """
    day = date(year, 12, 31)
    applies = rules.has(RuleKey.FOREIGN_RATE, day)
    rate = rules.rate(RuleKey.FOREIGN_RATE, day) if applies else ZERO
    year_sales = [s for s in sales if s.category == Category.EXTERIOR and s.day.year == year]
    gains = _sum(s.result for s in year_sales if s.result > 0)
    losses = _sum(-s.result for s in year_sales if s.result < 0)
    income_rows = [i for i in incomes if i.day.year == year]
    income_brl = _sum(money(i.gross * i.fx_rate) for i in income_rows)
    foreign_tax = _sum(money(i.tax * i.fx_rate) for i in income_rows)
    total = gains - losses + income_brl
    row = _basket(total, loss_in, rate)
    credit = min(foreign_tax, money(income_brl * rate), row["tax"])
    return {
        "year": year,
        "applies": applies,
        "sales": _sum(s.gross for s in year_sales),
        "gains": gains,
        "losses": losses,
        "income": income_brl,
        "foreign_tax_paid": foreign_tax,
        "result": total,
        "loss_in": loss_in,
        "compensated": row["compensated"],
        "taxable": row["taxable"],
        "loss_out": row["loss_out"] if applies else ZERO,
        "rate": row["rate"],
        "tax": row["tax"],
        "credit": credit,
        "tax_due": row["tax"] - credit,
        "operations": list(year_sales),
    }


# --- step 4: dividends, JCP, FII income --------------------------------------------------------


def incomes_of_year(*, year: int, incomes, assets: dict, rules: RuleBook) -> dict:
    """Domestic income of the year grouped as the DIRPF asks (BRL)."""
    exempt_dividends = defaultdict(lambda: ZERO)
    fii_income = defaultdict(lambda: ZERO)
    jcp = defaultdict(lambda: {"gross": ZERO, "tax": ZERO, "net": ZERO})
    others = defaultdict(lambda: ZERO)
    per_payer_month = defaultdict(lambda: {"gross": ZERO, "tax": ZERO})
    for inc in incomes:
        if inc.day.year != year:
            continue
        info = assets[inc.asset_id]
        gross, tax = money(inc.gross * inc.fx_rate), money(inc.tax * inc.fx_rate)
        if info.category == Category.EXTERIOR:
            continue
        if inc.kind in ("dividendo", "bonificacao_dinheiro"):
            exempt_dividends[inc.asset_id] += gross - tax
            key = (info.cnpj or f"asset:{info.id}", first_of_month(inc.day))
            per_payer_month[key]["gross"] += gross
            per_payer_month[key]["tax"] += tax
        elif inc.kind == "jcp":
            if tax == 0 and rules.has(RuleKey.JCP_RATE, inc.day):
                tax = money(gross * rules.rate(RuleKey.JCP_RATE, inc.day))
            jcp[inc.asset_id]["gross"] += gross
            jcp[inc.asset_id]["tax"] += tax
            jcp[inc.asset_id]["net"] += gross - tax
        elif inc.kind == "rendimento" and info.category == Category.FII:
            if rules.get(RuleKey.FII_INCOME_EXEMPT, inc.day, default=ZERO) == 1:
                fii_income[inc.asset_id] += gross - tax
            else:
                others[inc.asset_id] += gross - tax
        else:
            others[inc.asset_id] += gross - tax
    withholding = []
    for (payer, month), values in sorted(per_payer_month.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        limit = rules.get(RuleKey.DIVIDEND_MONTHLY_THRESHOLD, month, default=ZERO)
        rate = (
            rules.rate(RuleKey.DIVIDEND_WITHHOLDING_RATE, month)
            if rules.has(RuleKey.DIVIDEND_WITHHOLDING_RATE, month)
            else ZERO
        )
        if rate and limit and values["gross"] > limit:
            withholding.append(
                {
                    "payer": payer,
                    "month": month,
                    "gross": values["gross"],
                    "expected_tax": money(values["gross"] * rate),
                    "recorded_tax": values["tax"],
                }
            )
    return {
        "dividends": dict(exempt_dividends),
        "fii_income": dict(fii_income),
        "jcp": {k: dict(v) for k, v in jcp.items()},
        "others": dict(others),
        "dividend_withholding": withholding,
    }


def foreign_incomes(incomes, assets: dict) -> list:
    return [i for i in incomes if assets[i.asset_id].category == Category.EXTERIOR]

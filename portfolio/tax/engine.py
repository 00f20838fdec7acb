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
from datetime import date, datetime, timedelta
from decimal import Decimal

from exitus import calendars

from .. import ledger
from ..choices import PTAX_SOURCES, CorporateEventKind
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
SWING_BASKET = {
    Category.ACOES: Basket.COMMON,
    Category.UNITS: Basket.COMMON,
    Category.ETF: Basket.COMMON,
    Category.BDR: Basket.COMMON,
}
MONTHLY_CATEGORIES = {Category.ACOES, Category.UNITS, Category.ETF, Category.BDR, Category.FII}
DAY_TRADE_CATEGORIES = {Category.ACOES, Category.UNITS, Category.ETF, Category.BDR, Category.FII}
# Sales the monthly DARF does not assess, and why (listed in the month, never a silent zero).
NOT_ASSESSED_REASONS = {
    Category.RENDA_FIXA: "Renda fixa: imposto retido na fonte pelo emissor/administrador (não entra no DARF mensal).",
    Category.ETF_RENDA_FIXA: (
        "ETF de renda fixa: tributado na fonte pelo administrador (Lei 13.043/2014, art. 2º); não entra no DARF mensal."
    ),
    Category.EXTERIOR: "Aplicação no exterior: apuração anual na declaração (Lei 14.754/2023), no informe anual.",
    Category.OUTRO: (
        "Tipo de ativo sem categoria fiscal (direito de subscrição, recibo, tipo novo...): não apurado. "
        "Revise o cadastro do ativo para que a venda seja apurada."
    ),
}
BASKET_RATE = {
    Basket.COMMON: RuleKey.COMMON_RATE,
    Basket.DAY_TRADE: RuleKey.DAY_TRADE_RATE,
    Basket.FII: RuleKey.FII_RATE,
}


def category_of(*, asset_type: str, market: str, ticker: str, asset_class: str = "") -> str:
    """The tax category of an asset from its type, class, market and ticker."""
    if asset_type == "cripto":
        return Category.CRIPTO
    if market != "BR":
        return Category.EXTERIOR if asset_type in FOREIGN_TYPES else Category.OUTRO
    if asset_type in FIXED_INCOME_TYPES:
        return Category.RENDA_FIXA
    if BDR_TICKER.match(ticker or ""):
        return Category.BDR
    if asset_type == "acao":
        return Category.ACOES
    if asset_type == "unit":
        return Category.UNITS
    if asset_type == "fii":
        return Category.FII
    if asset_type == "etf":
        # A fixed-income ETF (Lei 13.043/2014, art. 2º) is taxed at source, not in the monthly DARF.
        return Category.ETF_RENDA_FIXA if asset_class == "renda_fixa" else Category.ETF
    if asset_type in ("stock", "stock_intl", "etf_intl", "reit"):
        return Category.BDR  # foreign exposure bought on B3 is a BDR
    return Category.OUTRO


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def last_of_month(day: date) -> date:
    return next_month(first_of_month(day)) - timedelta(days=1)


def darf_due_date(month: date) -> date:
    """Last business day (national and B3 holidays) of the month after ``month``."""
    following = next_month(month)
    return calendars.last_business_day_of_month(following.year, following.month)


# --- inputs -----------------------------------------------------------------------------------


class MissingFx(LookupError):
    """A figure in a foreign currency has no FX rate for its date (never converted at 1.0)."""

    def __init__(self, *, currency, on, what=""):
        super().__init__(f"Sem câmbio {currency} em {on:%d/%m/%Y} ({what}).")
        self.currency, self.on, self.what = currency, on, what


@dataclass(frozen=True)
class AssetInfo:
    id: int
    ticker: str
    asset_type: str
    market: str
    currency: str = "BRL"
    name: str = ""
    cnpj: str = ""
    asset_class: str = ""

    def __post_init__(self):
        category = category_of(
            asset_type=self.asset_type, market=self.market, ticker=self.ticker, asset_class=self.asset_class
        )
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
    fx_source: str = ""

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
    fx_rate: Decimal | None = Decimal("1")  # None: no rate known for the payment date
    broker_id: int | None = None


# --- step 1: the consolidated replay -----------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """An opening balance (history kept elsewhere) of one broker position: enters at 00:00 of ``day``."""

    id: int
    asset_id: int
    broker_id: int
    day: date
    at: datetime
    quantity: Decimal
    cost: Decimal  # in the asset's currency
    cost_brl: Decimal


@dataclass(frozen=True)
class Transfer:
    """A custody transfer between brokers: neither a sale nor a purchase (the average is kept)."""

    id: int
    asset_id: int
    from_broker_id: int
    to_broker_id: int
    day: date
    at: datetime
    quantity: Decimal


@dataclass(frozen=True)
class FractionSale:
    """The leilão de frações: the fraction a grupamento/bonificação left leaves for cash, like a sale.

    ``assigned_cost`` (per share, asset currency) is set when the fraction came from a bonificação and
    the rule table says its cost is the custo atribuído; otherwise it leaves at the average cost.
    """

    id: int
    asset_id: int
    broker_id: int
    day: date
    at: datetime
    quantity: Decimal
    amount: Decimal  # cash received, asset currency
    fx_rate: Decimal = Decimal("1")
    assigned_cost: Decimal | None = None
    event_fx_rate: Decimal = Decimal("1")
    event_id: int | None = None


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
    kind: str = "venda"  # venda | amortizacao | fracao
    fx_source: str = ""

    @property
    def month(self) -> date:
        return first_of_month(self.day)

    @property
    def fees(self) -> Decimal:
        return self.gross - self.net if self.kind == "venda" else ZERO

    @property
    def average_cost(self) -> Decimal:
        """The average cost (BRL) that left with this sale."""
        return ledger.price(self.cost / self.quantity) if self.quantity else ZERO


@dataclass
class Holding:
    state: ledger.State = field(default_factory=ledger.State)
    by_broker: dict = field(default_factory=dict)  # broker_id -> quantity


@dataclass
class ReplayResult:
    sales: list
    checkpoints: dict  # date -> {asset_id: Holding (copied)}
    holdings: dict = field(default_factory=dict)  # asset_id -> Holding at the end
    steps: list = field(default_factory=list)  # traced assets: every step with the state after it
    bonuses: list = field(default_factory=list)  # bonificações received: DIRPF line 18
    snapshots: dict = field(default_factory=dict)  # date -> {asset_id: Holding (copied)}, closed included


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
    fx_source: str = ""


def _copy(holding: Holding) -> Holding:
    return Holding(state=holding.state, by_broker=dict(holding.by_broker))


class _Tracer:
    """Records every step of the traced assets (the consolidated ledger's explanation)."""

    def __init__(self, assets):
        self.assets = set(assets or ())
        self.steps: list = []

    def __call__(self, asset_id, holding: Holding, *, kind, at, day, refs, broker_id=None, change=None, sale=None):
        if not self.assets or asset_id not in self.assets:
            return
        change = change or ledger.Change()
        state = holding.state
        self.steps.append(
            {
                "asset_id": asset_id,
                "kind": kind,
                "at": at,
                "date": day,
                "refs": refs,
                "broker_id": broker_id,
                "quantity_delta": change.quantity_delta,
                "cost_basis_delta": change.cost_basis_delta,
                "cost_basis_brl_delta": change.cost_basis_brl_delta,
                "realized_pnl_brl_delta": change.realized_pnl_brl_delta,
                "quantity": state.quantity,
                "average_cost": state.average_cost,
                "cost_basis": state.cost_basis,
                "cost_basis_brl": state.cost_basis_brl,
                "realized_pnl": state.realized_pnl,
                "realized_pnl_brl": state.realized_pnl_brl,
                "sale": sale,
            }
        )


def replay(
    *,
    assets: dict,
    trades,
    events,
    checkpoints=(),
    openings=(),
    transfers=(),
    fraction_sales=(),
    rules: RuleBook | None = None,
    trace=(),
    snapshots=(),
    initial: dict | None = None,
) -> ReplayResult:
    """Replay a user's history; ``checkpoints`` are dates whose end-of-day holdings are kept.

    ``snapshots``: dates whose end-of-day holdings are kept whole, closed positions included (what a
    later replay needs to resume there: ``initial``, with only the records dated after it).

    Per day: opening balances (00:00), then corporate events (00:00), then each asset's trades
    (split into day trade and common operations per broker), custody transfers and leilões de
    frações. ``trace``: asset ids whose every step is recorded in ``steps`` (the ledger explanation).
    """
    by_day = defaultdict(lambda: defaultdict(list))  # day -> asset -> [Trade]
    for tx in trades:
        by_day[tx.day][tx.asset_id].append(tx)
    others = defaultdict(lambda: defaultdict(list))  # day -> asset -> [Transfer | FractionSale]
    for item in (*transfers, *fraction_sales):
        others[item.day][item.asset_id].append(item)
    events_by_day = defaultdict(list)
    for ev in events:
        events_by_day[ev.day].append(ev)
    openings_by_day = defaultdict(list)
    for op in openings:
        openings_by_day[op.day].append(op)
    holdings: dict[int, Holding] = defaultdict(Holding)
    for asset_id, holding in (initial or {}).items():
        holdings[asset_id] = _copy(holding)
    sales: list[Sale] = []
    bonuses: list = []
    whole: dict = {}  # date -> every holding at the end of it (checkpoints and snapshots alike)
    tracer = _Tracer(trace)
    pending = sorted(set(checkpoints) | set(snapshots))
    for day in sorted(set(by_day) | set(events_by_day) | set(others) | set(openings_by_day)):
        while pending and pending[0] < day:
            whole[pending.pop(0)] = {a: _copy(h) for a, h in holdings.items()}
        for op in sorted(openings_by_day.get(day, ()), key=lambda o: o.id):
            _apply_opening(holdings[op.asset_id], op, tracer)
        for ev in sorted(events_by_day.get(day, ()), key=lambda e: e.id):
            _apply_event(holdings, ev, tracer, bonuses)
        for asset_id in sorted(set(by_day.get(day, {})) | set(others.get(day, {}))):
            info = assets[asset_id]
            holding = holdings[asset_id]
            if asset_id in by_day.get(day, {}):
                _apply_day(holding, info, day, by_day[day][asset_id], sales, rules, tracer)
            for item in sorted(others.get(day, {}).get(asset_id, ()), key=lambda i: (i.at, i.id)):
                if isinstance(item, Transfer):
                    _apply_transfer(holding, item, tracer)
                else:
                    _apply_fraction_sale(holding, info, item, sales, tracer)
    for day in pending:
        whole[day] = {a: _copy(h) for a, h in holdings.items()}
    return ReplayResult(
        sales=sales,
        checkpoints={d: {a: h for a, h in whole[d].items() if h.state.quantity > 0} for d in checkpoints},
        holdings=dict(holdings),
        steps=tracer.steps,
        bonuses=bonuses,
        snapshots={d: whole[d] for d in snapshots},
    )


def _take(brokers: dict, broker_id, qty) -> None:
    """Custody leaves ``broker_id`` (an emptied broker is dropped)."""
    brokers[broker_id] = brokers.get(broker_id, ZERO) - qty
    if brokers[broker_id] <= 0:
        brokers.pop(broker_id)


def _apply_opening(holding: Holding, op: Opening, tracer) -> None:
    holding.state, change = ledger.acquire(holding.state, qty=op.quantity, cost=op.cost, cost_brl=op.cost_brl, at=op.at)
    holding.by_broker[op.broker_id] = holding.by_broker.get(op.broker_id, ZERO) + op.quantity
    tracer(
        op.asset_id,
        holding,
        kind="saldo_inicial",
        at=op.at,
        day=op.day,
        refs=(op.id,),
        broker_id=op.broker_id,
        change=change,
    )


def _apply_transfer(holding: Holding, item: Transfer, tracer) -> None:
    """Custody moves between brokers; the taxpayer's quantity, cost and average do not change."""
    brokers = holding.by_broker
    _take(brokers, item.from_broker_id, item.quantity)
    brokers[item.to_broker_id] = brokers.get(item.to_broker_id, ZERO) + item.quantity
    tracer(
        item.asset_id,
        holding,
        kind="transferencia",
        at=item.at,
        day=item.day,
        refs=(item.id,),
        broker_id=item.from_broker_id,
    )


def _apply_fraction_sale(holding: Holding, info, item: FractionSale, sales: list, tracer) -> None:
    net_brl = money(item.amount * item.fx_rate)
    cost = cost_brl = None
    if item.assigned_cost is not None:
        cost = money(item.quantity * item.assigned_cost)
        cost_brl = money(item.quantity * item.assigned_cost * item.event_fx_rate)
    holding.state, change = ledger.dispose(
        holding.state, qty=item.quantity, net=item.amount, net_brl=net_brl, at=item.at, cost=cost, cost_brl=cost_brl
    )
    _take(holding.by_broker, item.broker_id, item.quantity)
    sale = Sale(
        asset_id=info.id,
        broker_id=item.broker_id,
        day=item.day,
        category=info.category,
        day_trade=False,
        quantity=item.quantity,
        gross=net_brl,
        net=net_brl,
        cost=-change.cost_basis_brl_delta,
        result=change.realized_pnl_brl_delta,
        trade_ids=(item.id,),
        kind="fracao",
    )
    sales.append(sale)
    tracer(
        info.id,
        holding,
        kind="leilao_fracoes",
        at=item.at,
        day=item.day,
        refs=(item.id,),
        broker_id=item.broker_id,
        change=change,
        sale=sale,
    )


def _apply_event(holdings, ev: Event, tracer, bonuses=None) -> None:
    holding = holdings.get(ev.asset_id)
    if holding is None or holding.state.quantity <= 0:
        return
    change = None
    if ev.kind in (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO):
        holding.state, change = ledger.rescale(holding.state, ratio_from=ev.ratio_from, ratio_to=ev.ratio_to)
        holding.by_broker = {b: ledger.quantity(q * ev.ratio_to / ev.ratio_from) for b, q in holding.by_broker.items()}
    elif ev.kind == CorporateEventKind.BONIFICACAO:
        holding.state, change = ledger.bonus(
            holding.state,
            ratio_from=ev.ratio_from,
            ratio_to=ev.ratio_to,
            assigned_cost=ev.assigned_cost or ZERO,
            fx_rate=ev.fx_rate,
        )
        holding.by_broker = {
            b: q + ledger.quantity(q * ev.ratio_to / ev.ratio_from) for b, q in holding.by_broker.items()
        }
        if bonuses is not None:
            bonuses.append(
                {
                    "asset_id": ev.asset_id,
                    "date": ev.day,
                    "quantity": change.quantity_delta,
                    "cost_brl": change.cost_basis_brl_delta,
                }
            )
    elif ev.kind == CorporateEventKind.MUDANCA_TICKER and ev.new_asset_id:
        target = holdings[ev.new_asset_id]
        old = holding.state
        target.state, change_in = ledger.move_in(
            target.state,
            qty=old.quantity,
            cost=old.cost_basis,
            cost_brl=old.cost_basis_brl,
            first_trade_date=old.first_trade_date,
        )
        for broker_id, qty in holding.by_broker.items():
            target.by_broker[broker_id] = target.by_broker.get(broker_id, ZERO) + qty
        holding.state, change = ledger.move_out(old)
        holding.by_broker = {}
        tracer(
            ev.new_asset_id, target, kind="mudanca_ticker_entrada", at=None, day=ev.day, refs=(ev.id,), change=change_in
        )
    tracer(ev.asset_id, holding, kind=str(ev.kind), at=None, day=ev.day, refs=(ev.id,), change=change)


def _apply_day(holding: Holding, info: AssetInfo, day: date, txs, sales: list, rules=None, tracer=None) -> None:
    category = info.category
    if len(txs) == 1:  # the common case: one trade of the asset that day
        _apply_op(holding, info, category, day, _single(txs[0]), sales, tracer)
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
            ops.extend(
                _day_trade(
                    category, info, day, broker_id, group, buys, sells, bought, sold, sales, rules, tracer, holding
                )
            )
        else:
            ops.extend(_single(t) for t in group)
    for op in sorted(ops, key=lambda o: (o.at, o.kind != "compra")):
        _apply_op(holding, info, category, day, op, sales, tracer)


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
        fx_source=tx.fx_source,
    )


def split_withheld(recorded: Decimal, *, dt_result: Decimal, dt_value: Decimal, swing_value: Decimal, on: date, rules):
    """The IRRF recorded on a note's sales split between its day-trade and common parts.

    In proportion to what the law has each part withhold (1 % of the day-trade gain, 0,005 % of the
    common sales value); by sale value when neither is due or no table is given. Never counted twice:
    the two parts add up to ``recorded`` exactly.
    """
    if recorded <= 0:
        return ZERO, ZERO
    dt_weight = swing_weight = ZERO
    if rules is not None and rules.has(RuleKey.IRRF_DAY_TRADE_RATE, on) and rules.has(RuleKey.IRRF_COMMON_RATE, on):
        dt_weight = max(ZERO, dt_result) * rules.rate(RuleKey.IRRF_DAY_TRADE_RATE, on)
        swing_weight = swing_value * rules.rate(RuleKey.IRRF_COMMON_RATE, on)
    if dt_weight + swing_weight <= 0:
        dt_weight, swing_weight = dt_value, swing_value
    if dt_weight + swing_weight <= 0:
        return recorded, ZERO
    dt_part = money(recorded * dt_weight / (dt_weight + swing_weight))
    return dt_part, recorded - dt_part


def _day_trade(
    category, info, day, broker_id, group, buys, sells, bought, sold, sales, rules, tracer, holding
) -> list[_Op]:
    """Split a broker-day into its day-trade part (a Sale) and the residual that moves the position.

    Day trade quantity = min(bought, sold). Its cost is the day's average purchase (fees included)
    and its sale value the day's average sale (fees deducted), both pro rata; it never enters the
    position (IN RFB 1.585/2015, art. 65). What remains is one purchase or one sale at those averages.
    The IRRF recorded on the sales is split between the two parts (:func:`split_withheld`).
    """
    traded = min(bought, sold)
    buy_net, buy_net_brl = sum((t.net for t in buys), ZERO), sum((t.net_brl for t in buys), ZERO)
    sell_net, sell_net_brl = sum((t.net for t in sells), ZERO), sum((t.net_brl for t in sells), ZERO)
    sell_gross_brl = sum((t.gross_brl for t in sells), ZERO)
    dt_cost = money(buy_net_brl * traded / bought)
    dt_net = money(sell_net_brl * traded / sold)
    dt_gross = money(sell_gross_brl * traded / sold)
    recorded = sum((t.withheld_tax for t in sells), ZERO)
    dt_withheld, swing_withheld = split_withheld(
        recorded,
        dt_result=dt_net - dt_cost,
        dt_value=dt_gross,
        swing_value=sell_gross_brl - dt_gross,
        on=day,
        rules=rules,
    )
    sale = Sale(
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
        withheld=dt_withheld,
        trade_ids=tuple(t.id for t in group),
    )
    sales.append(sale)
    if tracer is not None:
        tracer(
            info.id,
            holding,
            kind="day_trade",
            at=group[0].at,
            day=day,
            refs=sale.trade_ids,
            broker_id=broker_id,
            sale=sale,
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
                withheld=swing_withheld,
                trade_ids=tuple(t.id for t in sells),
            )
        )
    return ops


def _apply_op(holding: Holding, info: AssetInfo, category, day, op: _Op, sales: list, tracer=None) -> None:
    before = holding.state
    brokers = holding.by_broker
    if op.kind == "compra":
        holding.state, change = ledger.acquire(before, qty=op.quantity, cost=op.net, cost_brl=op.net_brl, at=op.at)
        brokers[op.broker_id] = brokers.get(op.broker_id, ZERO) + op.quantity
        if tracer is not None:
            tracer(
                info.id,
                holding,
                kind="compra",
                at=op.at,
                day=day,
                refs=op.trade_ids,
                broker_id=op.broker_id,
                change=change,
            )
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
    sale = Sale(
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
        kind=op.kind,
        fx_source=op.fx_source,
    )
    sales.append(sale)
    if tracer is not None:
        tracer(
            info.id,
            holding,
            kind=op.kind,
            at=op.at,
            day=day,
            refs=op.trade_ids,
            broker_id=op.broker_id,
            change=change,
            sale=sale,
        )


# --- step 2: the monthly assessment ------------------------------------------------------------


@dataclass
class Carry:
    """What one month hands to the next."""

    losses: dict = field(default_factory=lambda: {b.value: ZERO for b in Basket})
    irrf: Decimal = ZERO
    darf_residual: Decimal = ZERO
    crypto_residual: Decimal = ZERO
    irrf_year: int | None = None  # the calendar year the IRRF credit belongs to


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
    """IRRF of the month: the value recorded on the notes when there is one, else the legal estimate.

    Day trade: per note (broker × day), 1 % of the day's positive result. Common operations: 0,005 %
    of the sales value, per broker and month; when ``irrf_minimum_monthly`` is 1 the R$ 1,00 waiver is
    tested on the month's sum of each broker's operations (Lei 11.033/2004, art. 2º: operations of the
    same person in the month are added up for that limit), otherwise per note.
    """
    monthly_minimum = rules.get(RuleKey.IRRF_MINIMUM_MONTHLY, month, default=ZERO) == 1
    groups = defaultdict(list)
    for s in sales:
        if s.category in MONTHLY_CATEGORIES:
            if s.day_trade:
                groups[(s.broker_id, s.day, True)].append(s)
            else:
                groups[(s.broker_id, month if monthly_minimum else s.day, False)].append(s)
    common_rate = rules.rate(RuleKey.IRRF_COMMON_RATE, month)
    minimum = rules.get(RuleKey.IRRF_COMMON_MINIMUM, month)
    dt_rate = rules.rate(RuleKey.IRRF_DAY_TRADE_RATE, month)
    totals = {"common": ZERO, "day_trade": ZERO}
    detail = []
    for (broker_id, day, day_trade), group in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        recorded = _sum(s.withheld for s in group)
        base = _sum(s.result for s in group) if day_trade else _sum(s.gross for s in group)
        if day_trade:
            estimate = money(max(ZERO, base) * dt_rate)
            waived = False
        else:
            estimate = money(base * common_rate)
            waived = estimate <= minimum
            estimate = ZERO if waived else estimate
        value = recorded if recorded > 0 else estimate
        totals["day_trade" if day_trade else "common"] += value
        detail.append(
            {
                "broker_id": broker_id,
                "date": day,
                "period": "dia" if day_trade or not monthly_minimum else "mês",
                "day_trade": day_trade,
                "base": base,
                "rate": (dt_rate if day_trade else common_rate) * 100,
                "estimate": estimate,
                "waived": waived and recorded <= 0,
                "recorded": recorded,
                "amount": value,
                "source": "informado" if recorded > 0 else "estimado",
            }
        )
    return totals, [d for d in detail if d["amount"] or d["waived"]]


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


def _rule_row(rules: RuleBook, key, on: date) -> dict | None:
    row = rules.find(str(key), on)
    if row is None:
        return None
    return {
        "key": str(key),
        "value": row.value,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "legal_basis": row.legal_basis,
    }


def assess_month(month: date, sales, rules: RuleBook, carry: Carry) -> tuple[dict, Carry]:
    """One month. ``sales`` are that month's (any category); ``carry`` what the previous month left."""
    by = defaultdict(list)
    not_assessed = []
    for s in sales:
        if s.category in MONTHLY_CATEGORIES or s.category == Category.CRIPTO:
            by[(s.category, s.day_trade)].append(s)
        else:
            not_assessed.append(s)
    figures = {
        "acoes": _category_figures(by[(Category.ACOES, False)]),
        "units": _category_figures(by[(Category.UNITS, False)]),
        "etf": _category_figures(by[(Category.ETF, False)]),
        "bdr": _category_figures(by[(Category.BDR, False)]),
        "fii": _category_figures(by[(Category.FII, False)] + by[(Category.FII, True)]),
        "day_trade": _category_figures(
            by[(Category.ACOES, True)]
            + by[(Category.UNITS, True)]
            + by[(Category.ETF, True)]
            + by[(Category.BDR, True)]
        ),
        "cripto": _category_figures(by[(Category.CRIPTO, False)] + by[(Category.CRIPTO, True)]),
    }
    threshold = rules.get(RuleKey.COMMON_EXEMPTION_SALES, month)
    units_exempt = rules.get(RuleKey.UNITS_EXEMPT, month, default=ZERO) == 1
    acoes, units = figures["acoes"], figures["units"]
    exempt_sales = acoes["sales"] + (units["sales"] if units_exempt else ZERO)
    exempt_result = acoes["result"] + (units["result"] if units_exempt else ZERO)
    exempt = exempt_sales <= threshold
    exempt_gain = exempt_result if exempt and exempt_result > 0 else ZERO
    exempt_taxable = ZERO if exempt_gain else exempt_result
    results = {
        Basket.COMMON: exempt_taxable
        + (ZERO if units_exempt else units["result"])
        + figures["etf"]["result"]
        + figures["bdr"]["result"],
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
    # IRRF credits offset the tax of the same calendar year only: what was left on 31/12 goes to the
    # annual declaration (reported there), never to January's DARF.
    within_year = rules.get(RuleKey.IRRF_CREDIT_WITHIN_YEAR, month, default=ZERO) == 1
    credit_year = carry.irrf_year if carry.irrf_year is not None else month.year - (month.month == 1)
    previous_year = carry.irrf if within_year and credit_year < month.year else ZERO
    credit_in = carry.irrf - previous_year
    available = irrf_month["common"] + irrf_month["day_trade"] + credit_in
    used = min(available, tax_due)
    new.irrf = available - used
    new.irrf_year = month.year
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
    applied = [
        _rule_row(rules, key, month)
        for key in (
            RuleKey.COMMON_RATE,
            RuleKey.COMMON_EXEMPTION_SALES,
            RuleKey.UNITS_EXEMPT,
            RuleKey.DAY_TRADE_RATE,
            RuleKey.FII_RATE,
            RuleKey.IRRF_COMMON_RATE,
            RuleKey.IRRF_COMMON_MINIMUM,
            RuleKey.IRRF_MINIMUM_MONTHLY,
            RuleKey.IRRF_DAY_TRADE_RATE,
            RuleKey.IRRF_CREDIT_WITHIN_YEAR,
            RuleKey.DARF_MINIMUM,
            RuleKey.CRYPTO_EXEMPTION_SALES,
        )
    ]
    result = {
        "month": month,
        "categories": figures,
        "exemption": {
            "limit": threshold,
            "acoes_sales": acoes["sales"],
            "units_included": units_exempt,
            "units_sales": units["sales"],
            "sales_tested": exempt_sales,
            "exempt": exempt,
            "exempt_gain": exempt_gain,
        },
        "baskets": baskets,
        "tax_due": tax_due,
        "irrf": {
            "common": irrf_month["common"],
            "day_trade": irrf_month["day_trade"],
            "credit_in": credit_in,
            "credit_previous_year": previous_year,
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
        "not_assessed": [
            {
                "date": s.day,
                "asset_id": s.asset_id,
                "broker_id": s.broker_id,
                "category": s.category,
                "quantity": s.quantity,
                "sale_value": s.gross,
                "result": s.result,
                "reason": NOT_ASSESSED_REASONS.get(s.category, NOT_ASSESSED_REASONS[Category.OUTRO]),
            }
            for s in not_assessed
        ],
        "rules": [r for r in applied if r is not None],
    }
    return result, new


def assess_months(sales, rules: RuleBook, *, until: date, since: date | None = None, opening=None) -> list[dict]:
    """Every month from the first sale (or ``since``) to ``until`` (a month), with the carries chained.

    ``opening``: ``(month, Carry)`` — balances brought from elsewhere (losses per basket, unused IRRF of
    that year), entering that month as its carry.
    """
    return chain_months(sales, rules, until=until, since=since, opening=opening)[0]


def chain_months(
    sales, rules: RuleBook, *, until: date, since: date | None = None, opening=None, carry: Carry | None = None
) -> tuple[list[dict], dict]:
    """:func:`assess_months`, and ``{month: Carry handed to the next month}``.

    ``carry``: what the month before the first one handed on (resuming a chain computed earlier).
    """
    monthly = defaultdict(list)
    for s in sales:
        monthly[s.month].append(s)
    starts = [*monthly, until] if since is None else [*monthly, since]
    if opening is not None:
        starts.append(opening[0])
    start = min(starts)
    month, carry, rows, carries = first_of_month(start), carry or Carry(), [], {}
    while month <= until:
        if opening is not None and month == opening[0]:
            extra = opening[1]
            carry = Carry(
                losses={k: v + extra.losses.get(k, ZERO) for k, v in carry.losses.items()},
                irrf=(carry.irrf if carry.irrf_year == month.year else ZERO) + extra.irrf,
                irrf_year=month.year,
                darf_residual=carry.darf_residual + extra.darf_residual,
                crypto_residual=carry.crypto_residual + extra.crypto_residual,
            )
        row, carry = assess_month(month, monthly.get(month, []), rules, carry)
        rows.append(row)
        carries[month] = carry
        month = next_month(month)
    return rows, carries


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
    year_incomes = [i for i in incomes if i.day.year == year]
    income_rows = [i for i in year_incomes if i.fx_rate is not None]
    missing_fx = [
        {"date": i.day, "asset_id": i.asset_id, "what": i.kind, "amount": i.gross}
        for i in year_incomes
        if i.fx_rate is None
    ]
    income_brl = _sum(money(i.gross * i.fx_rate) for i in income_rows)
    foreign_tax = _sum(money(i.tax * i.fx_rate) for i in income_rows)
    # Lei 14.754/2023 converts at the Banco Central PTAX of each date: say where another source was used.
    other_sources = [
        {"date": s.day, "asset_id": s.asset_id, "fx_source": s.fx_source or "desconhecida"}
        for s in year_sales
        if s.fx_source not in PTAX_SOURCES
    ]
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
        "missing_fx": missing_fx,
        "fx_not_ptax": other_sources,
    }


def foreign_loss_before(*, year: int, sales, incomes, rules: RuleBook) -> Decimal:
    """The foreign regime's loss carried into ``year``: every earlier year with sales or income, chained."""
    years = sorted({s.day.year for s in sales if s.category == Category.EXTERIOR} | {i.day.year for i in incomes})
    loss = ZERO
    for earlier in (y for y in years if y < year):
        loss = assess_foreign_year(year=earlier, sales=sales, incomes=incomes, rules=rules, loss_in=loss)["loss_out"]
    return loss


# --- step 4: dividends, JCP, FII income --------------------------------------------------------


def incomes_of_year(*, year: int, incomes, assets: dict, rules: RuleBook) -> dict:
    """Domestic income of the year grouped as the DIRPF asks (BRL)."""
    exempt_dividends = defaultdict(lambda: ZERO)
    fii_income = defaultdict(lambda: ZERO)
    jcp = defaultdict(lambda: {"gross": ZERO, "tax": ZERO, "net": ZERO})
    withheld_dividends = defaultdict(lambda: {"gross": ZERO, "tax": ZERO, "net": ZERO})
    others = defaultdict(lambda: ZERO)
    per_payer_month = defaultdict(lambda: {"gross": ZERO, "tax": ZERO})
    missing_fx = []
    for inc in incomes:
        if inc.day.year != year:
            continue
        info = assets[inc.asset_id]
        if inc.fx_rate is None:  # left out of the totals, listed
            missing_fx.append({"date": inc.day, "ticker": info.ticker, "what": inc.kind, "amount": inc.gross})
            continue
        gross, tax = money(inc.gross * inc.fx_rate), money(inc.tax * inc.fx_rate)
        if info.category == Category.EXTERIOR:
            continue
        if (
            inc.kind in ("dividendo", "bonificacao_dinheiro")
            and tax > 0
            and rules.has(RuleKey.DIVIDEND_MONTHLY_THRESHOLD, inc.day)
        ):
            # From 2026 (Lei 15.270/2025) a dividend with tax withheld is not a rendimento isento.
            row = withheld_dividends[inc.asset_id]
            row["gross"] += gross
            row["tax"] += tax
            row["net"] += gross - tax
            key = (info.cnpj or f"asset:{info.id}", first_of_month(inc.day))
            per_payer_month[key]["gross"] += gross
            per_payer_month[key]["tax"] += tax
        elif inc.kind in ("dividendo", "bonificacao_dinheiro"):
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
        "dividends_withheld": {k: dict(v) for k, v in withheld_dividends.items()},
        "missing_fx": missing_fx,
    }


def foreign_incomes(incomes, assets: dict) -> list:
    return [i for i in incomes if assets[i.asset_id].category == Category.EXTERIOR]

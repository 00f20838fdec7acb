"""Reads that feed the tax engine, and the assessments the API and the admin show.

Everything is computed from the user's transactions, corporate events and dividend receipts
each time (cached under the portfolio invalidation versions, so a changed past trade changes
the figures at once); a month the user marked as filed keeps its filed figures and the
differences are listed next to the current ones.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from exitus.db import pg_binary_rows

from .. import ledger, market_data
from ..analytics.selectors import data_versions
from ..choices import CorporateEventKind
from ..dates import local_date, start_of_day
from ..models import (
    Asset,
    Broker,
    CorporateEvent,
    CustodyTransfer,
    DividendReceipt,
    FractionSale,
    OpeningPosition,
    Transaction,
)
from . import checkpoints, engine
from .choices import Category, RuleKey
from .models import MonthlyAssessment, TaxOpeningBalance, TaxRule
from .rules import RuleBook, RuleRow

CACHE_TTL = 6 * 3600
RULES_KEY = "tax:rules:v"
EVENT_KINDS = (
    CorporateEventKind.SPLIT,
    CorporateEventKind.GRUPAMENTO,
    CorporateEventKind.BONIFICACAO,
    CorporateEventKind.MUDANCA_TICKER,
)


def rules_version() -> str:
    return cache.get(RULES_KEY) or "0"


def rulebook() -> RuleBook:
    rows = TaxRule.objects.values_list("key", "value", "valid_from", "valid_to", "legal_basis")
    return RuleBook(RuleRow(*row) for row in rows)


def rules_in_force(*, on: date):
    """The table rows valid on ``on`` (one per key)."""
    book = rulebook()
    rows = []
    for key in RuleKey:
        row = book.find(key.value, on)
        if row is not None:
            rows.append({"key": key.value, "label": str(key.label), **row.__dict__})
    return rows


# --- loading a user's history ---------------------------------------------------------------


def _assets(ids) -> dict:
    rows = Asset.objects.filter(pk__in=ids).values_list(
        "pk", "ticker", "asset_type", "market", "currency", "name", "cnpj", "asset_class"
    )
    return {row[0]: engine.AssetInfo(*row) for row in rows}


# The trades of one taxpayer in the engine's order. On PostgreSQL they are read in binary format
# (numerics, timestamps and dates parsed in C): for 100,000 trades this is most of the load time.
TRADES_SQL = """
SELECT t.id, t.asset_id, t.broker_id, t.kind, t.trade_date, t.quantity, t.gross_amount, t.net_amount,
       t.withheld_tax, t.fx_rate, t.fx_source, (t.trade_date AT TIME ZONE %(tz)s)::date
FROM {table} t WHERE t.owner_id = %(owner)s AND t.trade_date >= %(since)s AND t.trade_date < %(before)s
{assets}ORDER BY t.trade_date, t.id
"""
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _window(after: date | None, through: date | None) -> tuple[datetime, datetime]:
    """The moments ``[since, before)`` of the local days after ``after`` up to ``through`` (inclusive)."""
    since = start_of_day(after + timedelta(days=1)) if after else EARLIEST
    before = start_of_day(through + timedelta(days=1)) if through else LATEST
    return since, before


def _trade_rows(owner_id, after=None, through=None, only=None):
    since, before = _window(after, through)
    if connection.vendor == "postgresql":
        sql = TRADES_SQL.format(
            table=Transaction._meta.db_table, assets="AND t.asset_id = ANY(%(assets)s) " if only is not None else ""
        )
        params = {"owner": owner_id, "tz": timezone.get_default_timezone_name(), "since": since, "before": before}
        if only is not None:
            params["assets"] = sorted(only)
        return pg_binary_rows(sql, params)
    trades = Transaction.objects.filter(owner_id=owner_id, trade_date__gte=since, trade_date__lt=before)
    if only is not None:
        trades = trades.filter(asset_id__in=only)
    return (
        trades.annotate(day=TruncDate("trade_date"))
        .order_by("trade_date", "pk")
        .values_list(
            "pk",
            "asset_id",
            "broker_id",
            "kind",
            "trade_date",
            "quantity",
            "gross_amount",
            "net_amount",
            "withheld_tax",
            "fx_rate",
            "fx_source",
            "day",
        )
    )


def load_history(*, owner_id, after: date | None = None, through: date | None = None, held=(), only=None):
    """``(assets, trades, events, incomes)`` of one user, as the engine's records.

    ``after``/``through``: only what is dated in that window of local days (a replay resumed from a
    year-end checkpoint); ``held``: assets held without a trade in the window (their events count);
    ``only``: the trades and receipts of these assets only (one position's ledger).
    """
    rows = _trade_rows(owner_id, after, through, only)
    trades = [
        engine.Trade(
            id=pk,
            asset_id=asset_id,
            broker_id=broker_id,
            kind=kind,
            at=at,
            day=day,
            quantity=qty,
            gross=gross,
            net=net,
            withheld_tax=withheld,
            fx_rate=fx,
            fx_source=fx_source,
        )
        for pk, asset_id, broker_id, kind, at, qty, gross, net, withheld, fx, fx_source, day in rows
    ]
    asset_ids = {t.asset_id for t in trades} | set(held)
    events = [
        ev
        for ev in _events(asset_ids)  # adds the assets ticker changes lead to
        if (after is None or ev.day > after) and (through is None or ev.day <= through)
    ]
    receipts = DividendReceipt.objects.filter(owner_id=owner_id, dividend__payment_date__isnull=False)
    if after is not None:
        receipts = receipts.filter(dividend__payment_date__gt=after)
    if through is not None:
        receipts = receipts.filter(dividend__payment_date__lte=through)
    if only is not None:
        receipts = receipts.filter(dividend__asset_id__in=only)
    receipts = receipts.values_list(
        "dividend__asset_id",
        "dividend__kind",
        "dividend__payment_date",
        "gross_amount",
        "tax_amount",
        "net_amount",
        "fx_rate",
        "position__broker_id",
    ).order_by("dividend__payment_date", "pk")
    incomes = [engine.Income(*row) for row in receipts]
    asset_ids |= {i.asset_id for i in incomes}
    return _assets(asset_ids), trades, sorted(events, key=lambda e: (e.day, e.id)), incomes


def _events(asset_ids: set) -> list:
    """The corporate events of ``asset_ids``, following ticker changes into their new assets (which
    are added to ``asset_ids``)."""
    events = []
    seen = set()
    frontier = set(asset_ids)
    while frontier:
        found = list(CorporateEvent.objects.filter(asset_id__in=frontier, kind__in=EVENT_KINDS).select_related("asset"))
        frontier = set()
        for ev in found:
            if ev.pk in seen:
                continue
            seen.add(ev.pk)
            events.append(
                engine.Event(
                    id=ev.pk,
                    asset_id=ev.asset_id,
                    kind=ev.kind,
                    day=ev.event_date,
                    ratio_from=ev.ratio_from,
                    ratio_to=ev.ratio_to,
                    assigned_cost=ev.assigned_cost,
                    new_asset_id=ev.new_asset_id,
                    fx_rate=_event_fx(ev),
                )
            )
            if ev.new_asset_id and ev.new_asset_id not in asset_ids:
                asset_ids.add(ev.new_asset_id)
                frontier.add(ev.new_asset_id)
    return events


def load_custody(*, owner_id, asset_id=None, after: date | None = None, through: date | None = None) -> dict:
    """Opening balances, custody transfers and leilões de frações of one user, as the engine's records
    (``after``/``through``: only those dated in that window of local days)."""
    scope = {"owner_id": owner_id} if asset_id is None else {"owner_id": owner_id, "asset_id": asset_id}
    since, before = _window(after, through)
    opening_days = {}
    if after is not None:
        opening_days["as_of__gt"] = after
    if through is not None:
        opening_days["as_of__lte"] = through
    openings = [
        engine.Opening(
            id=o.pk,
            asset_id=o.asset_id,
            broker_id=o.broker_id,
            day=o.as_of,
            at=start_of_day(o.as_of),
            quantity=o.quantity,
            cost=o.cost_basis,
            cost_brl=o.cost_basis_brl,
        )
        for o in OpeningPosition.objects.filter(**scope, **opening_days)
    ]
    transfers = [
        engine.Transfer(
            id=t.pk,
            asset_id=t.asset_id,
            from_broker_id=t.from_broker_id,
            to_broker_id=t.to_broker_id,
            day=local_date(t.date),
            at=t.date,
            quantity=t.quantity,
        )
        for t in CustodyTransfer.objects.filter(**scope, date__gte=since, date__lt=before)
    ]
    rules = rulebook()
    fractions = []
    for f in FractionSale.objects.filter(**scope, date__gte=since, date__lt=before).select_related("event__asset"):
        day = local_date(f.date)
        assigned = (
            f.event is not None
            and f.event.kind == CorporateEventKind.BONIFICACAO
            and rules.get(RuleKey.FRACTION_COST_ASSIGNED, day, default=Decimal(0)) == 1
        )
        fractions.append(
            engine.FractionSale(
                id=f.pk,
                asset_id=f.asset_id,
                broker_id=f.broker_id,
                day=day,
                at=f.date,
                quantity=f.quantity,
                amount=f.amount,
                fx_rate=f.fx_rate,
                assigned_cost=f.event.assigned_cost if assigned else None,
                event_fx_rate=_event_fx(f.event) if assigned else Decimal("1"),
                event_id=f.event_id,
            )
        )
    return {"openings": openings, "transfers": transfers, "fraction_sales": fractions}


def _event_fx(ev) -> Decimal:
    """BRL per unit on the event date (a bonificação's cost in reais). The event service refuses a
    foreign bonificação without a known rate, so a missing one here is an error, never 1.0."""
    if ev.asset.currency == "BRL" or ev.kind != CorporateEventKind.BONIFICACAO or not ev.assigned_cost:
        return Decimal("1")
    rate = market_data.fx_rate_on(currency=ev.asset.currency, on=ev.event_date)
    if rate is None:
        raise engine.MissingFx(currency=ev.asset.currency, on=ev.event_date, what=str(ev))
    return rate


def opening_carry(*, owner_id):
    """``(month, Carry)`` of the user's tax opening balance, or ``None``."""
    row = TaxOpeningBalance.objects.filter(owner_id=owner_id).first()
    if row is None:
        return None
    carry = engine.Carry(
        losses={"common": row.common_loss, "day_trade": row.day_trade_loss, "fii": row.fii_loss},
        irrf=row.irrf_credit,
    )
    return row.month, carry


# --- assessments --------------------------------------------------------------------------------


def _cache_key(owner_id, what) -> str:
    global_v, owner_v = data_versions(owner_id)
    return f"tax:{what}:{owner_id}:{global_v}:{owner_v}:{rules_version()}:{timezone.localdate():%Y%m%d}"


def _cached(owner_id, what: str, compute):
    """Cache a computed payload under the data versions (the history itself is never cached: too big)."""
    key = _cache_key(owner_id, what)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_TTL)
    return found


def cached_json(owner_id, what: str, compute) -> bytes | None:
    """``compute()`` rendered once to JSON bytes and cached under the data versions: a cached answer
    costs one cache read, not a re-serialisation of thousands of rows. ``None`` when it computes None."""
    key = _cache_key(owner_id, f"json:{what}")
    found = cache.get(key)
    if found is None:
        value = compute()
        found = b"null" if value is None else json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
        cache.set(key, found, CACHE_TTL)
    return None if found == b"null" else found


def user_computation(*, owner_id, until: date, checkpoints=(), snapshots=(), carries=None, rules=None):
    """``(history, replay result, months up to until, rulebook)``: the whole history, replayed.

    ``snapshots``: dates whose whole holdings the result keeps; ``carries``: a dict that receives what
    each month handed on to the next (both for storing a year-end checkpoint); ``rules``: the
    rulebook when the caller already loaded it."""
    rules = rules or rulebook()
    custody = load_custody(owner_id=owner_id)
    history = load_history(owner_id=owner_id, held={o.asset_id for o in custody["openings"]})
    assets, trades, events, _incomes = history
    result = engine.replay(
        assets=assets,
        trades=trades,
        events=events,
        checkpoints=checkpoints,
        snapshots=snapshots,
        rules=rules,
        **custody,
    )
    months, month_carries = engine.chain_months(
        result.sales, rules, until=engine.first_of_month(until), opening=opening_carry(owner_id=owner_id)
    )
    if carries is not None:
        carries.update(month_carries)
    return history, result, months, rules


class _Lazy:
    """Computes ``func()`` on first use only (the Selic table is needed only for late DARFs)."""

    def __init__(self, func):
        self.func = func
        self.value = None

    def __call__(self):
        if self.value is None:
            self.value = self.func()
        return self.value


def selic_monthly() -> dict:
    """``{month: Selic accumulated in the month (%)}`` from the daily Selic series (compounded)."""
    factors: dict = {}
    for day, value in market_data.indicator_series(series="SELIC"):
        month = engine.first_of_month(day)
        factors[month] = factors.get(month, Decimal(1)) * (1 + value / 100)
    return {m: ((f - 1) * 100).quantize(Decimal("0.0001")) for m, f in factors.items()}


def _sale_rows(sales, assets, brokers) -> list:
    return [
        {
            "date": s.day,
            "ticker": assets[s.asset_id].ticker,
            "asset_id": s.asset_id,
            "broker": brokers.get(s.broker_id, ""),
            "category": s.category,
            "day_trade": s.day_trade,
            "kind": s.kind,
            "quantity": s.quantity,
            "sale_value": s.gross,
            "fees": s.fees,
            "net_value": s.net,
            "average_cost": s.average_cost,
            "cost": s.cost,
            "result": s.result,
            "withheld": s.withheld,
            "refs": list(s.trade_ids),
        }
        for s in sales
    ]


def _broker_names(ids) -> dict:
    return dict(Broker.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _month_core(owner_id, month: date) -> dict:
    figures = figures_until(owner_id=owner_id, through=engine.last_of_month(month))
    assets, result, months, rules = figures.assets, figures.result, figures.months, figures.rules
    row = next((m for m in months if m["month"] == month), None)
    if row is None:
        row, _carry = engine.assess_month(month, [], rules, engine.Carry())
    all_sales = [s for s in result.sales if s.month == month]
    sales = [s for s in all_sales if s.category in (*engine.MONTHLY_CATEGORIES, "cripto")]
    brokers = _broker_names([s.broker_id for s in all_sales])
    payload = {**row, "operations": _sale_rows(sales, assets, brokers)}
    payload["explanation"] = _explain(row, sales, assets, brokers)
    for item in payload["not_assessed"]:
        item["ticker"] = assets[item["asset_id"]].ticker
        item["broker"] = brokers.get(item["broker_id"], "")
    for note in payload["irrf"]["notes"]:
        note["broker"] = brokers.get(note["broker_id"], "")
    opening = opening_carry(owner_id=owner_id)
    payload["opening_balance"] = (
        {"month": opening[0], "losses": opening[1].losses, "irrf_credit": opening[1].irrf}
        if opening is not None and opening[0] == month
        else None
    )
    return payload


BASKET_CATEGORIES = {
    "common": (Category.ACOES, Category.UNITS, Category.ETF, Category.BDR),
    "day_trade": (Category.ACOES, Category.UNITS, Category.ETF, Category.BDR),
    "fii": (Category.FII,),
}


def _explain(row: dict, sales, assets, brokers) -> dict:
    """Per basket: each sale, the exemption test, the losses in and out, the tax — summing exactly to the
    month's figures (``checks`` says so, and the tests hold it)."""
    exemption = row["exemption"]
    exempt_categories = {Category.ACOES, *((Category.UNITS,) if exemption["units_included"] else ())}
    baskets = {}
    for name, figures in row["baskets"].items():
        if name == "day_trade":
            rows = [s for s in sales if s.day_trade and s.category in BASKET_CATEGORIES[name]]
        elif name == "fii":
            rows = [s for s in sales if s.category == Category.FII]
        else:
            rows = [s for s in sales if not s.day_trade and s.category in BASKET_CATEGORIES[name]]
        exempt = bool(exemption["exempt_gain"])
        exempt_rows = [s for s in rows if exempt and s.category in exempt_categories]
        counted = [s for s in rows if not (exempt and s.category in exempt_categories)]
        baskets[name] = {
            "sales": _sale_rows(counted, assets, brokers),
            "exempt_sales": _sale_rows(exempt_rows, assets, brokers),
            "sum_of_results": sum((s.result for s in counted), Decimal("0.00")),
            **figures,
            "arithmetic": (
                f"resultado {figures['result']} − prejuízo compensado {figures['compensated']} = base "
                f"{figures['taxable']} × {figures['rate']:.2f}% = {figures['tax']}"
            ),
        }
    darf = row["darf"]
    irrf = row["irrf"]
    payable = row["tax_after_irrf"] + darf["residual_in"]
    return {
        "baskets": baskets,
        "exemption": {
            **exemption,
            "test": (
                f"vendas de ações no mês {exemption['sales_tested']} "
                f"{'≤' if exemption['exempt'] else '>'} limite {exemption['limit']}"
            ),
        },
        "crypto": {
            "sales": _sale_rows([s for s in sales if s.category == Category.CRIPTO], assets, brokers),
            **{k: v for k, v in row["crypto"].items() if k != "darf"},
            "darf": row["crypto"]["darf"],
        },
        "irrf": {
            "lines": irrf["notes"],
            "month_total": irrf["common"] + irrf["day_trade"],
            "credit_in": irrf["credit_in"],
            "credit_previous_year": irrf["credit_previous_year"],
            "used": irrf["used"],
            "credit_out": irrf["credit_out"],
        },
        "darf": {
            "tax_due": row["tax_due"],
            "irrf_used": irrf["used"],
            "tax_after_irrf": row["tax_after_irrf"],
            "residual_in": darf["residual_in"],
            "payable": payable,
            "minimum": darf["minimum"],
            "amount": darf["amount"],
            "residual_out": darf["residual_out"],
            "due_date": darf["due_date"],
            "arithmetic": (
                f"imposto {row['tax_due']} − IRRF {irrf['used']} = {row['tax_after_irrf']}; "
                f"+ acumulado abaixo de R$ {darf['minimum']} {darf['residual_in']} = {payable}; "
                + (
                    f"DARF {darf['amount']}"
                    if darf["amount"]
                    else f"abaixo do mínimo: {darf['residual_out']} passa ao mês seguinte"
                )
            ),
        },
        "rules": row["rules"],
        "checks": {
            "tax_due": sum((b["tax"] for b in row["baskets"].values()), Decimal("0.00")) == row["tax_due"],
            "irrf": irrf["credit_in"] + irrf["common"] + irrf["day_trade"] - irrf["used"] == irrf["credit_out"],
            "darf": darf["amount"] + darf["residual_out"] == payable,
        },
    }


def monthly_explanation(*, owner, month: date) -> dict:
    """``tax/monthly/explain/``: the month's figures and how each was reached (cached like the month)."""
    payload = _cached(owner.pk, f"month:{month:%Y%m}", lambda: _month_core(owner.pk, month))
    return {
        "month": payload["month"],
        "tax_due": payload["tax_due"],
        "tax_after_irrf": payload["tax_after_irrf"],
        "darf_amount": payload["darf"]["amount"],
        "crypto_darf_amount": payload["crypto"]["darf"]["amount"],
        "opening_balance": payload["opening_balance"],
        "not_assessed": payload["not_assessed"],
        **payload["explanation"],
    }


# --- the consolidated position (one preço médio per taxpayer) ----------------------------------


def _state_row(asset: engine.AssetInfo, holding: engine.Holding, realized_brl, brokers) -> dict:
    state = holding.state
    return {
        "asset_id": asset.id,
        "ticker": asset.ticker,
        "name": asset.name,
        "asset_type": asset.asset_type,
        "market": asset.market,
        "currency": asset.currency,
        "category": asset.category,
        "quantity": state.quantity,
        "average_cost": state.average_cost,
        "cost_basis": state.cost_basis,
        "cost_basis_brl": state.cost_basis_brl,
        "average_cost_brl": ledger.price(state.cost_basis_brl / state.quantity) if state.quantity else Decimal(0),
        "realized_pnl_brl": realized_brl,
        "first_trade_date": state.first_trade_date,
        "last_trade_date": state.last_trade_date,
        "custody": [
            {"broker_id": b, "broker": brokers.get(b, ""), "quantity": q}
            for b, q in sorted(holding.by_broker.items())
            if q
        ],
    }


def _consolidated(owner_id) -> list:
    (assets, _t, _e, _i), result, _months, _rules = user_computation(owner_id=owner_id, until=timezone.localdate())
    realized: dict = {}
    for sale in result.sales:
        realized[sale.asset_id] = realized.get(sale.asset_id, Decimal("0.00")) + sale.result
    brokers = _broker_names({b for h in result.holdings.values() for b in h.by_broker})
    rows = [
        _state_row(assets[a], holding, realized.get(a, Decimal("0.00")), brokers)
        for a, holding in result.holdings.items()
        if holding.state.quantity > 0 or a in realized
    ]
    return sorted(rows, key=lambda r: (r["ticker"], r["asset_id"]))


def consolidated_positions(*, owner_id) -> list:
    """Per owner × asset: quantity, average cost, cost basis and realized P&L at the Receita's preço
    médio (per CPF, across portfolios and brokers, day trades apart) — exactly what the tax engine uses."""
    return _cached(owner_id, "consolidated", lambda: _consolidated(owner_id))


def _asset_chain(asset_id) -> set:
    """The asset and every asset whose ticker changed into it (their history built this position)."""
    changes = CorporateEvent.objects.filter(
        kind=CorporateEventKind.MUDANCA_TICKER, new_asset_id__isnull=False
    ).values_list("asset_id", "new_asset_id")
    chain, changes, grew = {asset_id}, list(changes), True
    while grew:
        grew = False
        for old, new in changes:
            if new in chain and old not in chain:
                chain.add(old)
                grew = True
    return chain


def _ledger(owner_id, asset_id):
    chain = _asset_chain(asset_id)
    custody = load_custody(owner_id=owner_id)
    openings = {o.asset_id for o in custody["openings"]} & chain
    assets, trades, events, _incomes = load_history(owner_id=owner_id, held=openings, only=chain)
    custody = {k: [i for i in v if i.asset_id in chain] for k, v in custody.items()}
    known = {t.asset_id for t in trades} | {o.asset_id for o in custody["openings"]}
    if not known & chain:
        return None
    missing = chain - set(assets)
    if missing:
        assets.update(_assets(missing))
    rules = rulebook()
    result = engine.replay(
        assets=assets,
        trades=[t for t in trades if t.asset_id in chain],
        events=[e for e in events if e.asset_id in chain],
        rules=rules,
        trace=chain,
        **custody,
    )
    brokers = _broker_names({s["broker_id"] for s in result.steps if s["broker_id"]})
    steps = []
    for step in result.steps:
        sale = step.pop("sale")
        step["ticker"] = assets[step["asset_id"]].ticker
        step["broker"] = brokers.get(step["broker_id"], "")
        step["sale"] = _sale_rows([sale], assets, brokers)[0] if sale is not None else None
        steps.append(step)
    holding = result.holdings.get(asset_id, engine.Holding())
    realized = sum((s.result for s in result.sales if s.asset_id == asset_id), Decimal("0.00"))
    return {
        "position": _state_row(assets[asset_id], holding, realized, _broker_names(holding.by_broker)),
        "entries": steps,
    }


def consolidated_ledger(*, owner_id, asset_id) -> dict | None:
    """Every opening balance, trade, corporate event, transfer and leilão that built the consolidated
    position of ``asset_id``, in order, each with the running state after it. ``None``: no history."""
    return _cached(owner_id, f"ledger:{asset_id}", lambda: _ledger(owner_id, asset_id))


def monthly_assessment(*, owner, month: date, today: date | None = None) -> dict:
    """The assessment of ``month`` (first day) with operations, DARF status and filed differences."""
    today = today or timezone.localdate()
    payload = _cached(owner.pk, f"month:{month:%Y%m}", lambda: _month_core(owner.pk, month))
    payload.pop("explanation", None)
    stored = MonthlyAssessment.objects.filter(owner=owner, month=month).first()
    payload["filing"] = filing_status(stored, payload)
    payload["darf"]["status"] = _darf_status(payload["darf"], stored, today, rulebook(), _Lazy(selic_monthly))
    return payload


def _darf_status(darf: dict, stored, today, rules, selic) -> dict:
    paid_on = stored.paid_on if stored else None
    if darf["amount"] <= 0:
        return {"state": "sem_darf" if not darf["residual_out"] else "acumulado", "late": None}
    if paid_on:
        state = "pago"
        late_on = paid_on
    else:
        state = "em_aberto" if today <= darf["due_date"] else "vencido"
        late_on = today
    late = None
    if late_on > darf["due_date"]:
        late = engine.late_payment(
            amount=darf["amount"], due=darf["due_date"], paid_on=late_on, rules=rules, selic_monthly=selic()
        )
    return {"state": state, "paid_on": paid_on, "late": late}


COMPARED = (
    ("tax_due", ("tax_due",)),
    ("darf", ("darf", "amount")),
    ("crypto_darf", ("crypto", "darf", "amount")),
    ("common_result", ("baskets", "common", "result")),
    ("day_trade_result", ("baskets", "day_trade", "result")),
    ("fii_result", ("baskets", "fii", "result")),
    ("acoes_sales", ("exemption", "acoes_sales")),
    ("irrf", ("irrf", "used")),
)


def _dig(data, path):
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def differences(filed: dict, current: dict) -> list:
    """Fields whose filed value differs from the current computation (both JSON-able)."""
    from .jsonable import to_json

    filed_json, current_json = to_json(filed), to_json(current)
    out = []
    for name, path in COMPARED:
        before, now = _dig(filed_json, path), _dig(current_json, path)
        if before != now:
            out.append({"field": name, "filed": before, "current": now})
    return out


def filing_status(stored, payload) -> dict:
    if stored is None or not stored.is_filed:
        return {"filed": False, "filed_at": None, "paid_on": stored.paid_on if stored else None, "differences": []}
    return {
        "filed": True,
        "filed_at": stored.filed_at,
        "paid_on": stored.paid_on,
        "filed_values": stored.filed_data,
        "differences": differences(stored.filed_data, payload),
    }


def darf_year(*, owner, year: int, today: date | None = None) -> list:
    """The DARFs (6015 and 4600) of every month of ``year`` with due dates and status."""
    today = today or timezone.localdate()
    end = date(year, 12, 31)
    months = _cached(owner.pk, f"months:{year}", lambda: figures_until(owner_id=owner.pk, through=end).months)
    rules = rulebook()
    selic = _Lazy(selic_monthly)
    stored = {a.month: a for a in MonthlyAssessment.objects.filter(owner=owner, month__year=year)}
    rows = []
    for row in months:
        if row["month"].year != year:
            continue
        for code, darf in (("6015", row["darf"]), ("4600", row["crypto"]["darf"])):
            status = _darf_status(darf, stored.get(row["month"]), today, rules, selic)
            rows.append(
                {
                    "month": row["month"],
                    "code": code,
                    "tax": row["tax_after_irrf"] if code == "6015" else row["crypto"]["tax"],
                    "residual_in": darf["residual_in"],
                    "amount": darf["amount"],
                    "residual_out": darf["residual_out"],
                    "due_date": darf["due_date"],
                    "filed": bool(stored.get(row["month"]) and stored[row["month"]].is_filed),
                    **status,
                }
            )
    return rows


def annual_report(*, owner, year: int) -> dict:
    """The DIRPF figures of ``year``: bens e direitos, income, monthly results, foreign regime."""
    return _cached(owner.pk, f"annual:{year}", lambda: _annual_report(owner=owner, year=year))


@dataclass
class Figures:
    """A user's figures up to one day of year Y, however they were reached (resumed or replayed whole)."""

    assets: dict
    incomes: list  # at least year Y's up to the day
    result: engine.ReplayResult  # sales and bonificações of at least year Y up to the day; kept holdings
    months: list  # assessed months up to the day's month
    foreign_loss_in: Decimal  # the foreign regime's loss carried into year Y
    rules: RuleBook


def _foreign_bonus_rates(through: date) -> list:
    """``(event id, BRL rate)`` of the foreign bonificações up to ``through`` (their cost comes from market data)."""
    events = (
        CorporateEvent.objects.filter(
            kind=CorporateEventKind.BONIFICACAO, event_date__lte=through, assigned_cost__isnull=False
        )
        .exclude(asset__currency="BRL")
        .select_related("asset")
    )
    rates = []
    for ev in events:
        try:
            rates.append((ev.pk, str(_event_fx(ev))))
        except engine.MissingFx:
            rates.append((ev.pk, None))
    return rates


def _checkpoint_fingerprint(owner_id, through: date) -> str:
    return checkpoints.fingerprint(
        owner_id=owner_id,
        through=through,
        before=start_of_day(through + timedelta(days=1)),
        event_rates=_foreign_bonus_rates(through),
    )


def figures_until(*, owner_id, through: date, keep=()) -> Figures:
    """Everything up to ``through`` (``keep``: days whose holdings the result keeps, within its year).

    Resumed from the checkpoint of 31/12 of the year before when one holds; otherwise the whole
    history is replayed and that checkpoint stored on the way (``portfolio.tax.checkpoints``).
    """
    rules = rulebook()
    return _resumed(owner_id, through, keep, rules) or _from_scratch(owner_id, through, keep, rules)


def _resumed(owner_id, through: date, keep, rules: RuleBook) -> Figures | None:
    year = through.year
    previous_end = date(year - 1, 12, 31)
    found = checkpoints.find(
        owner_id=owner_id, year=year - 1, fingerprint=_checkpoint_fingerprint(owner_id, previous_end)
    )
    if found is None:
        return None
    custody = load_custody(owner_id=owner_id, after=previous_end, through=through)
    held = set(found.holdings) | {o.asset_id for o in custody["openings"]}
    assets, trades, events, incomes = load_history(owner_id=owner_id, after=previous_end, through=through, held=held)
    result = engine.replay(
        assets=assets,
        trades=trades,
        events=events,
        checkpoints=keep,
        initial=found.holdings,
        rules=rules,
        **custody,
    )
    opening = opening_carry(owner_id=owner_id)
    if opening is not None and opening[0] <= previous_end:
        opening = None  # already in the checkpoint's carry
    until = engine.first_of_month(through)
    if found.carry is None:  # no month had been assessed before the year: the chain starts in it
        months, _ = engine.chain_months(result.sales, rules, until=until, opening=opening)
    else:
        months, _ = engine.chain_months(
            result.sales, rules, until=until, since=date(year, 1, 1), opening=opening, carry=found.carry
        )
    return Figures(assets, incomes, result, months, found.foreign_loss, rules)


def _from_scratch(owner_id, through: date, keep, rules: RuleBook) -> Figures:
    """The whole history replayed; the checkpoint of 31/12 of the year before is stored on the way
    (when that day is past and nothing changed while computing)."""
    year = through.year
    previous_end = date(year - 1, 12, 31)
    storable = previous_end < timezone.localdate()
    before = _checkpoint_fingerprint(owner_id, previous_end) if storable else None
    carries: dict = {}
    history, result, months, rules = user_computation(
        owner_id=owner_id,
        until=engine.first_of_month(through),
        checkpoints=keep,
        snapshots=(previous_end,) if storable else (),
        carries=carries,
        rules=rules,
    )
    assets, _trades, _events, incomes = history
    foreign_incomes = engine.foreign_incomes(incomes, assets)
    foreign_loss = engine.foreign_loss_before(year=year, sales=result.sales, incomes=foreign_incomes, rules=rules)
    if storable and before == _checkpoint_fingerprint(owner_id, previous_end):
        checkpoint = checkpoints.Checkpoint(
            year=year - 1,
            holdings=result.snapshots[previous_end],
            carry=carries.get(date(year - 1, 12, 1)),
            foreign_loss=foreign_loss,
        )
        checkpoints.save(owner_id=owner_id, fingerprint=before, checkpoint=checkpoint)
    return Figures(assets, incomes, result, months, foreign_loss, rules)


def _annual_report(*, owner, year: int) -> dict:
    from . import dirpf

    previous_end, end = date(year - 1, 12, 31), date(year, 12, 31)
    figures = figures_until(owner_id=owner.pk, through=end, keep=(previous_end, end))
    rules, assets, incomes, result = figures.rules, figures.assets, figures.incomes, figures.result
    brokers = {b["pk"]: b for b in Broker.objects.values("pk", "name", "cnpj", "country")}
    bens = dirpf.bens_e_direitos(
        assets=assets,
        brokers=brokers,
        now=result.checkpoints.get(end, {}),
        before=result.checkpoints.get(previous_end, {}),
    )
    year_months = [m for m in figures.months if m["month"].year == year]
    domestic = engine.incomes_of_year(year=year, incomes=incomes, assets=assets, rules=rules)
    foreign = engine.assess_foreign_year(
        year=year,
        sales=result.sales,
        incomes=engine.foreign_incomes(incomes, assets),
        rules=rules,
        loss_in=figures.foreign_loss_in,
    )
    return dirpf.report(
        year=year,
        owner=owner,
        assets=assets,
        brokers=brokers,
        bens=bens,
        months=year_months,
        domestic=domestic,
        foreign=foreign,
        sales=[s for s in result.sales if s.day.year == year],
        bonuses=[b for b in result.bonuses if b["date"].year == year],
    )


def assessments_for_admin(*, owner_id=None):
    rows = MonthlyAssessment.objects.select_related("owner", "filed_by")
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    return rows


def owners_with_sales(*, month: date):
    """Users who sold something in ``month`` (the monthly task refreshes their stored assessment).

    A leilão de frações is a sale in the assessment too (``engine._apply_fraction_sale``)."""
    end = engine.next_month(month)
    trades = Transaction.objects.filter(
        Q(kind="venda") | Q(kind="amortizacao"),
        trade_date__date__gte=month,
        trade_date__date__lt=end,
    )
    auctions = FractionSale.objects.filter(date__date__gte=month, date__date__lt=end)
    # UNION drops the duplicates; neither side may keep its default ordering.
    return (
        trades.order_by()
        .values_list("owner_id", flat=True)
        .union(auctions.order_by().values_list("owner_id", flat=True))
    )


def darfs_due_between(first: date, last: date) -> dict:
    """DARFs (6015 and crypto 4600) due from ``first`` to ``last`` and not yet filed: how many, how much."""
    from django.db.models import Count, F, Sum

    due = MonthlyAssessment.objects.filter(due_date__gte=first, due_date__lte=last, filed_at__isnull=True).filter(
        Q(darf_amount__gt=0) | Q(crypto_darf_amount__gt=0)
    )
    figures = due.aggregate(count=Count("pk"), amount=Sum(F("darf_amount") + F("crypto_darf_amount")))
    return {"count": figures["count"], "amount": figures["amount"] if figures["count"] else Decimal("0")}

"""Reads behind the performance figures: point-in-time holdings, prices, FX, cash and benchmarks.

Everything is loaded with a handful of grouped queries (per asset and day, never per trade) and
turned into the arrays of :class:`portfolio.analytics.engine.DailyInputs`; the arithmetic lives in
the engine. Results are cached under the portfolio invalidation versions (trades, cash, receipts,
events, dividends) and a market-data version (new bars, FX rates, indicators, quotes).
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Case, DecimalField, F, FloatField, Min, Q, Sum, Value, When
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from exitus.db import pg_binary_rows

from .. import invalidation, market_data
from ..choices import CashKind
from ..dates import start_of_day
from ..models import Asset, CashMovement, DividendReceipt, Portfolio, PositionEntry
from . import engine
from .models import PatrimonySnapshot

EXTERNAL_CASH_KINDS = (CashKind.DEPOSITO, CashKind.SAQUE, CashKind.AJUSTE)
PERIODS = ("1m", "3m", "6m", "ytd", "12m", "24m", "max")
DEFAULT_BENCHMARKS = ("CDI", "IBOV")
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Scope:
    """Whose figures: one portfolio, or every portfolio (and unassigned cash) of one user."""

    owner_id: int
    portfolio_id: int | None = None

    @property
    def key(self) -> str:
        return f"p{self.portfolio_id}" if self.portfolio_id else f"u{self.owner_id}"

    def positions_filter(self, prefix="position__") -> dict:
        if self.portfolio_id:
            return {f"{prefix}portfolio_id": self.portfolio_id}
        return {f"{prefix}owner_id": self.owner_id}

    def cash_filter(self) -> dict:
        return {"portfolio_id": self.portfolio_id} if self.portfolio_id else {"owner_id": self.owner_id}


def as_float(expr):
    return Cast(expr, FloatField())


# --- cache keys -----------------------------------------------------------------------------------


def data_versions(owner_id) -> tuple[str, str]:
    """``(global, owner)`` versions of the portfolio data (bumped by every write, after commit)."""
    keys = invalidation.version_keys(owner_id)
    found = cache.get_many(keys)
    return found.get(keys[0], "0"), found.get(keys[1], "0")


def cache_key(scope: Scope, what: str) -> str:
    global_v, owner_v = data_versions(scope.owner_id)
    return f"analytics:{what}:{scope.key}:{global_v}:{owner_v}:{market_data.version()}:{timezone.localdate():%Y%m%d}"


# --- loading --------------------------------------------------------------------------------------


def first_activity(scope: Scope) -> date | None:
    first_entry = PositionEntry.objects.filter(**scope.positions_filter()).aggregate(m=Min("at"))["m"]
    first_cash = (
        CashMovement.objects.filter(**scope.cash_filter())
        .exclude(kind=CashKind.TRANSFERENCIA)
        .aggregate(m=Min("date"))["m"]
    )
    moments = [timezone.localtime(m).date() for m in (first_entry, first_cash) if m]
    return min(moments) if moments else None


# Loading: on PostgreSQL a few plain SQL statements read in binary (numbers straight into numpy,
# grouping done by ``np.add.at``); elsewhere (SQLite: development, tests) the same rows via the ORM.


@dataclass
class LedgerRows:
    asset: np.ndarray  # asset id per ledger row
    day: np.ndarray  # local day number (days since 1970-01-01)
    values: np.ndarray  # (n, 6): quantity, cost BRL, realized BRL, trade flow BRL, opening qty, opening cost BRL


@dataclass
class CashRows:
    currency: list
    day: np.ndarray
    external: np.ndarray  # bool
    amount: np.ndarray


def _tz_name() -> str:
    return str(timezone.get_current_timezone())


LEDGER_SQL = """
SELECT p.asset_id, ((e.at AT TIME ZONE %(tz)s)::date - DATE '1970-01-01'),
       e.quantity_delta::float8, e.cost_basis_brl_delta::float8, e.realized_pnl_brl_delta::float8,
       CASE WHEN e.transaction_id IS NULL AND e.fraction_sale_id IS NULL THEN 0
            ELSE (e.cost_basis_brl_delta - e.realized_pnl_brl_delta)::float8 END,
       CASE WHEN e.opening_id IS NULL THEN 0 ELSE e.quantity_delta::float8 END,
       CASE WHEN e.opening_id IS NULL THEN 0 ELSE e.cost_basis_brl_delta::float8 END
FROM portfolio_positionentry e JOIN portfolio_position p ON p.id = e.position_id
WHERE p.{field} = %(scope)s AND e.at < %(until)s
"""
CASH_SQL = """
SELECT currency, ((date AT TIME ZONE %(tz)s)::date - DATE '1970-01-01') AS day,
       kind IN ('deposito', 'saque', 'ajuste') AS external, SUM(amount::float8)
FROM portfolio_cashmovement
WHERE {field} = %(scope)s AND kind <> 'transferencia' AND date < %(until)s
GROUP BY 1, 2, 3
"""


def _scope_sql(scope: Scope, end: date) -> dict:
    return {
        "tz": _tz_name(),
        "scope": scope.portfolio_id or scope.owner_id,
        "until": start_of_day(end + timedelta(days=1)),
    }


def _ledger(scope: Scope, end: date) -> LedgerRows:
    field = "portfolio_id" if scope.portfolio_id else "owner_id"
    if connection.vendor == "postgresql":
        rows = pg_binary_rows(LEDGER_SQL.format(field=field), _scope_sql(scope, end))
    else:
        trade_flow = Case(
            When(
                Q(transaction__isnull=False) | Q(fraction_sale__isnull=False),
                then=F("cost_basis_brl_delta") - F("realized_pnl_brl_delta"),
            ),
            default=Value(0),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
        number = DecimalField(max_digits=30, decimal_places=10)
        opening_qty = Case(When(opening__isnull=False, then=F("quantity_delta")), default=Value(0), output_field=number)
        opening_cost = Case(
            When(opening__isnull=False, then=F("cost_basis_brl_delta")), default=Value(0), output_field=number
        )
        rows = [
            (asset, (day - EPOCH).days, q, c, r, f, oq, oc)
            for asset, day, q, c, r, f, oq, oc in PositionEntry.objects.filter(
                **scope.positions_filter(), at__lt=start_of_day(end + timedelta(days=1))
            )
            .annotate(day=TruncDate("at"))
            .order_by()
            .values_list(
                "position__asset_id",
                "day",
                as_float(F("quantity_delta")),
                as_float(F("cost_basis_brl_delta")),
                as_float(F("realized_pnl_brl_delta")),
                as_float(trade_flow),
                as_float(opening_qty),
                as_float(opening_cost),
            )
        ]
    if not rows:
        return LedgerRows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 6)))
    table = np.asarray(rows, dtype=float)
    return LedgerRows(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2:])


def _cash(scope: Scope, end: date) -> CashRows:
    field = "portfolio_id" if scope.portfolio_id else "owner_id"
    if connection.vendor == "postgresql":
        rows = pg_binary_rows(CASH_SQL.format(field=field), _scope_sql(scope, end))
    else:
        rows = [
            (currency, (day - EPOCH).days, kind in EXTERNAL_CASH_KINDS, amount)
            for currency, day, kind, amount in CashMovement.objects.filter(
                **scope.cash_filter(), date__lt=start_of_day(end + timedelta(days=1))
            )
            .exclude(kind=CashKind.TRANSFERENCIA)
            .annotate(day=TruncDate("date"))
            .values("currency", "day", "kind")
            .annotate(s=as_float(Sum("amount")))
            .order_by()
            .values_list("currency", "day", "kind", "s")
        ]
    return CashRows(
        currency=[r[0] for r in rows],
        day=np.asarray([r[1] for r in rows], dtype=np.int64),
        external=np.asarray([bool(r[2]) for r in rows], dtype=bool),
        amount=np.asarray([r[3] for r in rows], dtype=float),
    )


def _dividend_rows(scope: Scope, end: date):
    return (
        DividendReceipt.objects.filter(**scope.positions_filter(), paid=True, dividend__payment_date__lte=end)
        .values("position__asset_id", "dividend__payment_date")
        .annotate(v=as_float(Sum(F("net_amount") * F("fx_rate"))))
        .order_by()
        .values_list("position__asset_id", "dividend__payment_date", "v")
    )


def _on_grid(days: np.ndarray, day_numbers: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values dated by day numbers → the grid, gaps filled from the last value (NaN before the first)."""
    row = np.full(len(days), np.nan)
    if len(day_numbers):
        idx = engine.positions_of(days, day_numbers.astype("datetime64[D]"))
        inside = idx < len(days)
        row[idx[inside]] = values[inside]  # ascending dates: the day's own value wins
    return engine.ffill(row)


def _fx_rows(currencies, start: date, end: date) -> dict:
    out = {}
    for currency in currencies:
        rows = market_data.fx_series(currency=currency, start=start, end=end)
        out[currency] = (
            np.asarray([(d - EPOCH).days for d, _r in rows], dtype="int64"),
            np.asarray([float(r) for _d, r in rows], dtype=float),
        )
    return out


def _fx_on_grid(days, currencies, start, end) -> dict:
    """``{currency: BRL per unit on each grid day}``: the rate published on or before the day (the PTAX
    of the last business day over weekends and holidays). Days before any rate stay NaN — never 1.0."""
    grids = {"BRL": np.ones(len(days))}
    for currency, (nums, rates) in _fx_rows(currencies - {"BRL"}, start, end).items():
        grids[currency] = _on_grid(days, nums, rates)
    return grids


def _day_span(days, mask) -> dict:
    """``{"from", "to", "days"}`` of the grid days where ``mask`` holds."""
    hit = np.flatnonzero(mask)
    return {"from": str(days[hit[0]]), "to": str(days[hit[-1]]), "days": len(hit)}


def _day(number) -> date:
    return EPOCH + timedelta(days=int(number))


def load_inputs(scope: Scope, *, end: date) -> engine.DailyInputs | None:
    ledger = _ledger(scope, end)
    cash_rows = _cash(scope, end)
    starts = [int(a.min()) for a in (ledger.day, cash_rows.day) if len(a)]
    if not starts:
        return None
    first = _day(min(starts))
    days = engine.grid(first, end)
    T = len(days)
    dividend_rows = list(_dividend_rows(scope, end))
    asset_ids = sorted({int(a) for a in np.unique(ledger.asset)} | {r[0] for r in dividend_rows})
    index = {a: i for i, a in enumerate(asset_ids)}
    A = len(asset_ids)
    shape = (A, T)
    lookup = np.zeros(max(asset_ids, default=0) + 1, dtype=np.int64)
    lookup[asset_ids] = np.arange(A)
    a_idx = lookup[ledger.asset]
    d_idx = engine.positions_of(days, ledger.day.astype("datetime64[D]"))
    columns = ledger.values
    qty = np.cumsum(engine.scatter(shape, a_idx, d_idx, columns[:, 0]), axis=1)
    qty[np.abs(qty) < 1e-9] = 0.0
    cost = np.cumsum(engine.scatter(shape, a_idx, d_idx, columns[:, 1]), axis=1)
    realized = engine.scatter(shape, a_idx, d_idx, columns[:, 2])
    trade_flow = engine.scatter(shape, a_idx, d_idx, columns[:, 3])
    opening_qty = engine.scatter(shape, a_idx, d_idx, columns[:, 4])
    opening_cost = engine.scatter(shape, a_idx, d_idx, columns[:, 5])
    if dividend_rows:
        dividends = engine.scatter(
            shape,
            np.asarray([index[r[0]] for r in dividend_rows]),
            engine.positions_of(days, [r[1] for r in dividend_rows]),
            np.asarray([r[2] for r in dividend_rows], dtype=float),
        )
    else:
        dividends = np.zeros(shape)

    assets = {
        a["pk"]: a
        for a in Asset.objects.filter(pk__in=asset_ids).values("pk", "ticker", "asset_class", "asset_type", "currency")
    }
    currencies = {assets[a]["currency"] for a in asset_ids} | set(cash_rows.currency)
    fx_start = first - timedelta(days=31)
    fx_grid = _fx_on_grid(days, currencies, fx_start, end)
    missing_fx = []
    for currency in sorted(currencies - {"BRL"}):
        gaps = np.isnan(fx_grid[currency])
        if gaps.any():
            # No rate for some days: the currency's assets and cash are left out of every total (a
            # series with holes would make jumps), and listed with the dates — never converted at 1.0.
            missing_fx.append({"currency": currency, **_day_span(days, gaps)})
    excluded = {m["currency"] for m in missing_fx}
    fx = np.vstack([fx_grid[assets[a]["currency"]] for a in asset_ids]) if A else np.zeros(shape)
    if excluded:
        out = np.asarray([assets[a]["currency"] in excluded for a in asset_ids], dtype=bool)
        for array in (qty, cost, realized, trade_flow, dividends, opening_qty, opening_cost):
            array[out] = 0.0
        fx = np.where(np.isnan(fx), 0.0, fx)
        missing_fx += _missing_receipt_fx(scope, end)

    price = np.full(shape, np.nan)
    for asset_id, (nums, closes) in market_data.close_series(asset_ids=asset_ids, start=fx_start, end=end).items():
        price[index[asset_id]] = _on_grid(days, nums, closes)
    if end >= timezone.localdate():
        for quote in market_data.latest_quotes(asset_ids=asset_ids).values():
            if timezone.localtime(quote.market_time).date() >= days[-1].astype(object) - timedelta(days=4):
                price[index[quote.asset_id], -1] = float(quote.price)

    if not excluded:
        missing_fx += _missing_receipt_fx(scope, end)
    cash, inflow, outflow = _cash_arrays(days, cash_rows, {c: g for c, g in fx_grid.items() if c not in excluded})
    if opening_qty.any():
        # An opening balance arrives in kind: its market value that day is an external inflow (at cost
        # when unpriced), so bringing history in is not a return.
        in_kind = opening_qty * price * fx
        in_kind = np.where(np.isnan(in_kind), opening_cost, in_kind)
        in_kind[opening_qty == 0] = 0.0
        trade_flow = trade_flow + in_kind
        inflow = inflow + in_kind.sum(axis=0)
    estimates = []
    held = qty > 0
    unpriced = held & np.isnan(price)
    for i, asset_id in enumerate(asset_ids):
        if unpriced[i].any():
            estimates.append(
                {
                    "kind": "valued_at_cost",
                    "ticker": assets[asset_id]["ticker"],
                    "reason": "sem cotação nesses dias: avaliado pelo custo",
                    **_day_span(days, unpriced[i]),
                }
            )
    return engine.DailyInputs(
        days=days,
        asset_ids=asset_ids,
        qty=qty,
        price=price,
        fx=fx,
        cost=cost,
        realized=realized,
        trade_flow=trade_flow,
        dividends=dividends,
        cash=cash,
        inflow=inflow,
        outflow=outflow,
        cdi=_cdi_daily(days),
        asset_classes={
            a: (assets[a]["asset_class"], assets[a]["asset_type"], assets[a]["ticker"], assets[a]["currency"])
            for a in asset_ids
        },
        estimates=estimates,
        missing_fx=missing_fx,
    )


def _missing_receipt_fx(scope: Scope, end: date) -> list:
    """Paid receipts in a foreign currency whose rate is unknown: left out of the dividends, listed."""
    rows = (
        DividendReceipt.objects.filter(**scope.positions_filter(), paid=True, fx_rate__isnull=True)
        .filter(dividend__payment_date__lte=end)
        .values_list("dividend__currency", "dividend__payment_date", "dividend__asset__ticker")
        .order_by("dividend__payment_date")
    )
    return [
        {"currency": c, "from": str(d), "to": str(d), "days": 1, "ticker": t, "what": "provento"} for c, d, t in rows
    ]


def _cash_arrays(days, rows: CashRows, fx_grid):
    """Cash (BRL) per day and the external flows, with implicit deposits for unfunded trades."""
    T = len(days)
    cash = np.zeros(T)
    inflow = np.zeros(T)
    outflow = np.zeros(T)
    currencies = np.asarray(rows.currency, dtype=object)
    all_idx = engine.positions_of(days, rows.day.astype("datetime64[D]"))
    for currency in sorted(set(rows.currency)):
        if currency not in fx_grid:
            continue  # no rate for some days: left out (listed in missing_fx), never at 1.0
        mine = currencies == currency
        idx, amounts, external = all_idx[mine], rows.amount[mine], rows.external[mine]
        raw = np.cumsum(engine.scatter((T,), None, idx, amounts))
        deposits = engine.scatter((T,), None, idx[external], np.maximum(amounts[external], 0))
        withdrawals = engine.scatter((T,), None, idx[external], np.maximum(-amounts[external], 0))
        deficit = np.maximum.accumulate(np.maximum(-raw, 0.0))
        implicit = np.diff(deficit, prepend=0.0)
        rate = fx_grid[currency]
        cash += (raw + deficit) * rate
        inflow += (deposits + implicit) * rate
        outflow += withdrawals * rate
    return cash, inflow, outflow


def _cdi_daily(days) -> np.ndarray:
    start, end = days[0].astype(object), days[-1].astype(object)
    rows = market_data.indicator_series(series="CDI", start=start, end=end)
    out = np.zeros(len(days))
    if rows:
        idx = engine.positions_of(days, [r[0] for r in rows])
        keep = idx < len(days)
        np.add.at(out, idx[keep], np.asarray([float(r[1]) / 100 for r in rows])[keep])
    return out


# --- benchmarks ------------------------------------------------------------------------------------


def benchmark_names(raw: str | None) -> list:
    """``"CDI,IBOV,IPCA+6"`` → validated names (raises ``ValueError`` with the bad one)."""
    text = (raw or ",".join(DEFAULT_BENCHMARKS)).replace(" ", "+")  # an unencoded "+" arrives as a space
    names = [n.strip("+").upper() for n in text.split(",") if n.strip("+")]
    allowed = {"CDI", "IPCA", *settings.ANALYTICS_BENCHMARK_TICKERS}
    for name in names:
        base, _plus, spread = name.partition("+")
        if base not in allowed or (spread and (base != "IPCA" or not _is_number(spread))):
            raise ValueError(name)
    return names


def _is_number(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


PROXY_NOTE = "índice medido por um ativo que o replica (proxy)"


def benchmark_indexes(days: np.ndarray, names, cdi_daily: np.ndarray, estimates: list | None = None) -> dict:
    """Benchmark index series on the grid; what is an estimate goes to ``estimates`` (named)."""
    estimates = estimates if estimates is not None else []
    out = {}
    for name in names:
        base, _plus, spread = name.partition("+")
        if base == "CDI":
            out[name] = engine.cdi_index(days, cdi_daily) if cdi_daily.any() else None
        elif base == "IPCA":
            monthly = _ipca_monthly(days)
            out[name] = engine.ipca_index(days, monthly, float(spread or 0))
            if monthly:
                last = max(monthly)
                projected = sorted({str(m)[:7] for m in days.astype("datetime64[M]") if m.astype(object) > last})
                if projected:
                    estimates.append(
                        {
                            "kind": "ipca_not_published",
                            "benchmark": name,
                            "months": projected,
                            "reason": f"IPCA ainda não publicado: repete o de {last:%m/%Y}",
                        }
                    )
        else:
            out[name] = _price_index(days, settings.ANALYTICS_BENCHMARK_TICKERS[base], name=name, estimates=estimates)
    return out


def _ipca_monthly(days) -> dict:
    start = days[0].astype(object).replace(day=1)
    rows = market_data.indicator_series(series="IPCA", start=start, end=days[-1].astype(object))
    return {d.replace(day=1): float(v) for d, v in rows}


INDEX_SYMBOLS = {"^BVSP", "IBOV", "IFIX", "^GSPC", "SPX", "^SPX"}


def _price_index(days, tickers, *, name="", estimates=None) -> np.ndarray | None:
    """The first of ``tickers`` with price history, on the grid, in BRL (FX of each day).

    A fund that tracks the index (BOVA11 for IBOV, IFIX11, IVVB11...) is a proxy; days before its
    first price repeat the first one (back-filled). Both are listed in ``estimates``.
    """
    estimates = estimates if estimates is not None else []
    start, end = days[0].astype(object) - timedelta(days=31), days[-1].astype(object)
    for ticker in tickers:
        symbol, _sep, market = ticker.partition(":")
        assets = Asset.objects.filter(ticker=symbol.upper())
        if market:
            assets = assets.filter(market=market.upper())
        for asset in assets:
            series = market_data.close_series(asset_ids=[asset.pk], start=start, end=end).get(asset.pk)
            if series is None or not len(series[0]):
                continue
            row = _on_grid(days, *series)
            gaps = np.isnan(row)
            known = row[~gaps]
            if gaps.any():
                estimates.append(
                    {
                        "kind": "benchmark_backfilled",
                        "benchmark": name,
                        "ticker": asset.ticker,
                        "reason": "antes do primeiro preço: repete o primeiro",
                        **_day_span(days, gaps),
                    }
                )
            row = np.where(gaps, known[0], row)
            if asset.ticker not in INDEX_SYMBOLS:
                estimates.append(
                    {"kind": "benchmark_proxy", "benchmark": name, "ticker": asset.ticker, "reason": PROXY_NOTE}
                )
            if asset.currency != "BRL":
                fx = _fx_on_grid(days, {asset.currency}, start, end)[asset.currency]
                if np.isnan(fx).any():
                    estimates.append(
                        {
                            "kind": "benchmark_missing_fx",
                            "benchmark": name,
                            "currency": asset.currency,
                            **_day_span(days, np.isnan(fx)),
                        }
                    )
                    return None
                row = row * fx
            return row
    return None


# --- snapshots and history -------------------------------------------------------------------------


def snapshots_for(*, portfolio=None, owner=None, since: date | None = None):
    rows = PatrimonySnapshot.objects.all()
    rows = rows.filter(portfolio=portfolio) if portfolio is not None else rows.filter(owner=owner, portfolio=None)
    if since:
        rows = rows.filter(month__gte=since)
    return rows.order_by("month")


def portfolios_of(*, owner):
    return Portfolio.objects.filter(owner=owner).order_by("name")


# --- performance ------------------------------------------------------------------------------------

MONEY_KEYS = {
    "start_value",
    "end_value",
    "invested_value",
    "cash",
    "cost",
    "inflows",
    "outflows",
    "net_flows",
    "realized_pnl",
    "unrealized_pnl",
    "unrealized_change",
    "dividends",
    "value",
    "price",
}


def _fmt(key, value):
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return [str(v) for v in value.astype("datetime64[D]")]
        return [round(float(v), 2 if key == "value" else 8) for v in value]
    if isinstance(value, dict):
        return {k: _fmt(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fmt(key, v) for v in value]
    if isinstance(value, float | np.floating):
        return f"{value:.2f}" if key in MONEY_KEYS else round(float(value), 10)
    return value


def _allocation(rows, classes) -> dict:
    out = {"class": {}, "type": {}, "currency": {}}
    for row in rows:
        if row["value"] <= 0:
            continue
        asset_class, asset_type, _ticker, currency = classes[row["asset_id"]]
        for key, name in (("class", asset_class), ("type", asset_type), ("currency", currency)):
            out[key][name] = out[key].get(name, 0.0) + row["value"]
    return {k: {n: f"{v:.2f}" for n, v in sorted(d.items(), key=lambda kv: -kv[1])} for k, d in out.items()}


def performance_json(
    *,
    scope: Scope,
    period: str = "max",
    start: date | None = None,
    end: date | None = None,
    benchmarks=DEFAULT_BENCHMARKS,
) -> bytes:
    """TWR, XIRR, P&L, dividends, risk and benchmarks of ``scope`` over a period, as cached JSON bytes.

    The bytes are what the API sends: a cached answer costs a cache read, not a re-render.
    """
    today = timezone.localdate()
    end = min(end or today, today)
    key = cache_key(scope, f"perf:{period}:{start}:{end}:{','.join(benchmarks)}")
    found = cache.get(key)
    if found is not None:
        return found
    payload = _performance(scope, period=period, start=start, end=end, benchmarks=benchmarks)
    raw = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()
    cache.set(key, raw, settings.ANALYTICS_CACHE_TTL)
    return raw


def performance(**kwargs) -> dict:
    """:func:`performance_json` as a dict (admin, tests)."""
    return json.loads(performance_json(**kwargs))


def _performance(scope: Scope, *, period, start, end, benchmarks) -> dict:
    data = load_inputs(scope, end=end)
    if data is None:
        return {
            "period": period,
            "start": start,
            "end": end,
            "empty": True,
            "assets": [],
            "benchmarks": {},
            "estimates": [],
            "missing_fx": [],
        }
    first = data.days[0].astype(object)
    begin = max(start, first) if start else engine.window_for(period, first=first, end=end)
    i0 = int(np.searchsorted(data.days, np.datetime64(begin, "D"), side="left"))
    i0 = min(i0, len(data.days) - 1)
    estimates = list(data.estimates)
    result = engine.evaluate(
        data, i0, len(data.days) - 1, benchmarks=benchmark_indexes(data.days, benchmarks, data.cdi, estimates)
    )
    for row in result["assets"]:
        asset_class, asset_type, ticker, currency = data.asset_classes[row["asset_id"]]
        row.update(ticker=ticker, asset_class=asset_class, asset_type=asset_type, currency=currency)
    result["allocation"] = _allocation(result["assets"], data.asset_classes)
    result["assets"] = [r for r in result["assets"] if r["value"] or r["realized_pnl"] or r["dividends"]]
    result.update(period=period if not start else "custom", empty=False)
    result["estimates"] = estimates
    result["missing_fx"] = data.missing_fx
    return _fmt("", result)

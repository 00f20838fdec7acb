"""Performance arithmetic over a grid of days, vectorised with numpy. Pure: no database, no clock.

``portfolio.analytics.selectors`` builds a :class:`DailyInputs` (holdings per asset and day from the
position ledger, prices with gaps filled from the last close, FX of each day, cash and external
flows) and calls :func:`evaluate` for a window of it.

Conventions
- The grid is every weekday from the first activity to the end date (plus the end date itself);
  something dated on a weekend counts on the next grid day.
- Daily return with external flows: inflows arrive at the start of the day, outflows leave at its
  end: ``r = (V_t + out_t) / (V_{t-1} + in_t) - 1`` (0 when nothing was invested). The TWR chains
  them; it does not depend on the size or timing of the flows.
- Portfolio level: the value is holdings + cash; external flows are deposits, withdrawals and
  adjustments, plus every trade the recorded cash could not pay for (an implicit deposit — the
  money came from outside). Per asset: buys are inflows, sales and dividends outflows.
- Money-weighted return: XIRR (pyxirr) of −(value at the start), −(each net external flow) and
  +(value at the end).
- Volatility: standard deviation of the daily returns × √252; maximum drawdown on the TWR index;
  Sharpe: mean daily excess over CDI / its standard deviation × √252.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from pyxirr import xirr

TRADING_DAYS = 252
EPS = 1e-9


def grid(start: date, end: date) -> np.ndarray:
    """Weekdays from ``start`` to ``end`` (``end`` always included), as ``datetime64[D]``."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday → Monday = 0
    keep = weekday < 5
    keep[-1] = True
    return days[keep]


def positions_of(days: np.ndarray, dates) -> np.ndarray:
    """Grid index of each date: the same day, or the next grid day (weekends)."""
    return np.searchsorted(days, np.asarray(dates, dtype="datetime64[D]"), side="left")


def ffill(matrix: np.ndarray) -> np.ndarray:
    """Fill NaN gaps along the last axis with the last known value (leading NaNs stay)."""
    mask = np.isnan(matrix)
    idx = np.where(mask, 0, np.arange(matrix.shape[-1]))
    np.maximum.accumulate(idx, axis=-1, out=idx)
    if matrix.ndim == 1:
        return matrix[idx]
    return np.take_along_axis(matrix, idx, axis=-1)


def scatter(shape, rows, cols, values) -> np.ndarray:
    out = np.zeros(shape)
    if len(values):
        np.add.at(out, (rows, cols) if rows is not None else cols, values)
    return out


@dataclass
class DailyInputs:
    days: np.ndarray  # (T,) datetime64[D]
    asset_ids: list  # (A,)
    qty: np.ndarray  # (A, T) holdings at the end of each day
    price: np.ndarray  # (A, T) close in the asset's currency, gaps filled; NaN when unknown
    fx: np.ndarray  # (A, T) asset currency → BRL
    cost: np.ndarray  # (A, T) cost basis (BRL) at the end of each day
    realized: np.ndarray  # (A, T) realized P&L (BRL) booked each day
    trade_flow: np.ndarray  # (A, T) BRL paid for buys (+) and received from sales (−)
    dividends: np.ndarray  # (A, T) BRL of dividends received
    cash: np.ndarray  # (T,) BRL cash at the end of each day (implicit deposits included)
    inflow: np.ndarray  # (T,) BRL external money in
    outflow: np.ndarray  # (T,) BRL external money out (positive)
    cdi: np.ndarray = None  # (T,) daily CDI as a fraction (0 when none published that day)
    asset_classes: dict = field(default_factory=dict)  # asset_id -> (class, type, ticker, currency)
    estimates: list = field(default_factory=list)  # what is an estimate (valued at cost...), named
    missing_fx: list = field(default_factory=list)  # currencies/dates without a rate, left out

    @property
    def asset_values(self) -> np.ndarray:
        """Market value per asset and day (BRL); the cost where no price is known."""
        value = self.qty * self.price * self.fx
        return np.where(np.isnan(value), self.cost, value)


def daily_returns(value: np.ndarray, inflow: np.ndarray, outflow: np.ndarray, start_value) -> np.ndarray:
    """``r_t = (V_t + out_t) / (V_{t-1} + in_t) - 1`` along the last axis (0 with nothing invested)."""
    start = np.asarray(start_value, dtype=float)
    head = start[..., None] if value.ndim > 1 else start.reshape(1)
    previous = np.concatenate([head, value[..., :-1]], axis=-1)
    base = previous + inflow
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (value + outflow) / base - 1.0
    return np.where(base > EPS, r, 0.0)


def annualise(total: float, days: int) -> float | None:
    if days <= 0 or total <= -1:
        return None
    return (1 + total) ** (365.0 / days) - 1


def max_drawdown(returns: np.ndarray) -> float:
    if not len(returns):
        return 0.0
    wealth = np.cumprod(1 + returns)
    peaks = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    return float(np.min(wealth / peaks - 1.0))


def money_weighted(dates, amounts) -> float | None:
    """XIRR of ``amounts`` on ``dates`` (investor's view: money in negative), ``None`` when undefined."""
    amounts = np.asarray(amounts, dtype=float)
    keep = np.abs(amounts) > 0.005
    if keep.sum() < 2 or not (np.any(amounts[keep] > 0) and np.any(amounts[keep] < 0)):
        return None
    try:
        rate = xirr(np.asarray(dates, dtype="datetime64[D]")[keep].tolist(), amounts[keep].tolist())
    except Exception:  # noqa: BLE001 - pyxirr raises its own errors when it cannot converge
        return None
    return None if rate is None or not np.isfinite(rate) else float(rate)


def benchmark_stats(portfolio_returns, bench_returns, cdi_returns, days) -> dict:
    """Total and annualised benchmark return, excess return, beta and Jensen's alpha (annualised)."""
    total = float(np.prod(1 + bench_returns) - 1) if len(bench_returns) else 0.0
    port_total = float(np.prod(1 + portfolio_returns) - 1) if len(portfolio_returns) else 0.0
    rf_total = float(np.prod(1 + cdi_returns) - 1) if len(cdi_returns) else 0.0
    beta = None
    if len(bench_returns) > 2 and np.var(bench_returns) > 0:
        beta = float(np.cov(portfolio_returns, bench_returns)[0, 1] / np.var(bench_returns, ddof=1))
    ann = lambda x: annualise(x, days)  # noqa: E731
    alpha = None
    if beta is not None and None not in (ann(port_total), ann(total), ann(rf_total)):
        alpha = ann(port_total) - (ann(rf_total) + beta * (ann(total) - ann(rf_total)))
    return {
        "return": total,
        "return_annualised": ann(total) if days >= 365 else None,
        "excess_return": port_total - total,
        "beta": beta,
        "alpha": alpha,
    }


def downsample(days: np.ndarray, *series, points: int = 240):
    """At most ``points`` rows (always the last), for charts."""
    n = len(days)
    if n <= points:
        idx = np.arange(n)
    else:
        idx = np.unique(np.concatenate([np.linspace(0, n - 1, points).round().astype(int), [n - 1]]))
    return [days[idx]] + [s[idx] for s in series]


def evaluate(data: DailyInputs, i0: int, i1: int, *, benchmarks: dict | None = None, per_asset=True) -> dict:
    """Figures of the window ``[i0, i1]`` (grid indices, inclusive)."""
    days = data.days[i0 : i1 + 1]
    asset_values = data.asset_values
    holdings = asset_values.sum(axis=0)
    total = holdings + data.cash
    start_value = float(total[i0 - 1]) if i0 > 0 else 0.0
    window = slice(i0, i1 + 1)
    inflow, outflow = data.inflow[window], data.outflow[window]
    returns = daily_returns(total[window], inflow, outflow, start_value)
    invested_days = (np.concatenate([[start_value], total[window][:-1]]) + inflow) > EPS
    twr = float(np.prod(1 + returns) - 1)
    span = int((data.days[i1] - (data.days[i0 - 1] if i0 > 0 else data.days[i0])).astype(int)) or 1
    first_day = data.days[i0 - 1] if i0 > 0 else data.days[i0]
    flow_dates = np.concatenate([[first_day], days, [data.days[i1]]])
    flow_amounts = np.concatenate([[-start_value], outflow - inflow, [float(total[i1])]])
    mwr = money_weighted(flow_dates, flow_amounts)
    active = returns[invested_days]
    vol = float(np.std(active, ddof=1) * np.sqrt(TRADING_DAYS)) if len(active) > 2 else None
    cdi = data.cdi[window] if data.cdi is not None else np.zeros(len(days))
    sharpe = None
    if len(active) > 2:
        excess = (returns - cdi)[invested_days]
        sd = np.std(excess, ddof=1)
        sharpe = float(np.mean(excess) / sd * np.sqrt(TRADING_DAYS)) if sd > 0 else None
    cost_end = data.cost[:, i1]
    value_end = asset_values[:, i1]
    priced_end = ~np.isnan(data.price[:, i1])
    unrealized_end = float(np.sum(np.where(priced_end, value_end - cost_end, 0.0)))
    if i0 > 0:
        priced_start = ~np.isnan(data.price[:, i0 - 1])
        unrealized_start = float(np.sum(np.where(priced_start, asset_values[:, i0 - 1] - data.cost[:, i0 - 1], 0.0)))
    else:
        unrealized_start = 0.0
    result = {
        "start": first_day,
        "end": data.days[i1],
        "days": span,
        "start_value": start_value,
        "end_value": float(total[i1]),
        "invested_value": float(holdings[i1]),
        "cash": float(data.cash[i1]),
        "cost": float(np.sum(cost_end)),
        "inflows": float(inflow.sum()),
        "outflows": float(outflow.sum()),
        "net_flows": float(inflow.sum() - outflow.sum()),
        "twr": twr,
        "twr_annualised": annualise(twr, span) if span >= 365 else None,
        "mwr": mwr,
        "realized_pnl": float(data.realized[:, window].sum()),
        "unrealized_pnl": unrealized_end,
        "unrealized_change": unrealized_end - unrealized_start,
        "dividends": float(data.dividends[:, window].sum()),
        "volatility": vol,
        "max_drawdown": max_drawdown(returns),
        "sharpe": sharpe,
        "cdi_return": float(np.prod(1 + cdi) - 1),
        "benchmarks": {},
    }
    for name, index in (benchmarks or {}).items():
        if index is None:
            result["benchmarks"][name] = None
            continue
        base = index[i0 - 1] if i0 > 0 else index[i0]
        levels = index[window]
        bench_returns = np.diff(np.concatenate([[base], levels])) / np.concatenate([[base], levels[:-1]])
        bench_returns = np.nan_to_num(bench_returns)
        result["benchmarks"][name] = benchmark_stats(returns, bench_returns, cdi, span)
    wealth = np.cumprod(1 + returns)
    chart_days, chart_value, chart_wealth = downsample(days, total[window], wealth)
    result["series"] = {"dates": chart_days, "value": chart_value, "twr": chart_wealth - 1}
    for name, index in (benchmarks or {}).items():
        if index is not None:
            base = index[i0 - 1] if i0 > 0 else index[i0]
            rel = index[window] / base - 1 if base else np.zeros(len(days))
            result["series"][name] = downsample(days, rel)[1]
    if per_asset:
        result["assets"] = _per_asset(data, asset_values, i0, i1)
    return result


def _per_asset(data: DailyInputs, asset_values, i0, i1) -> list:
    window = slice(i0, i1 + 1)
    values = asset_values[:, window]
    start = asset_values[:, i0 - 1] if i0 > 0 else np.zeros(len(data.asset_ids))
    flows = data.trade_flow[:, window]
    inflow = np.maximum(flows, 0.0)
    outflow = np.maximum(-flows, 0.0) + data.dividends[:, window]
    returns = daily_returns(values, inflow, outflow, start)
    twr = np.prod(1 + returns, axis=1) - 1
    touched = (np.abs(values).sum(axis=1) > 0) | (np.abs(flows).sum(axis=1) > 0) | (start > 0)
    days = data.days[window]
    first_day = data.days[i0 - 1] if i0 > 0 else data.days[i0]
    end_total = float(values[:, -1].sum()) or 1.0
    rows = []
    for a in np.flatnonzero(touched):
        nz = np.flatnonzero((inflow[a] != 0) | (outflow[a] != 0))
        mwr = money_weighted(
            np.concatenate([[first_day], days[nz], [days[-1]]]),
            np.concatenate([[-start[a]], outflow[a, nz] - inflow[a, nz], [values[a, -1]]]),
        )
        priced = not np.isnan(data.price[a, i1])
        rows.append(
            {
                "asset_id": data.asset_ids[a],
                "quantity": float(data.qty[a, i1]),
                "price": float(data.price[a, i1]) if priced else None,
                "value": float(values[a, -1]),
                "cost": float(data.cost[a, i1]),
                "weight": float(values[a, -1]) / end_total,
                "twr": float(twr[a]),
                "mwr": mwr,
                "realized_pnl": float(data.realized[a, window].sum()),
                "unrealized_pnl": float(values[a, -1] - data.cost[a, i1]) if priced else 0.0,
                "dividends": float(data.dividends[a, window].sum()),
            }
        )
    rows.sort(key=lambda r: -r["value"])
    return rows


def month_ends(days: np.ndarray) -> np.ndarray:
    """Index of the last grid day of each month present in ``days``."""
    months = days.astype("datetime64[M]")
    last = np.flatnonzero(months[1:] != months[:-1])
    return np.concatenate([last, [len(days) - 1]])


def cdi_index(days: np.ndarray, cdi_daily: np.ndarray) -> np.ndarray:
    return np.cumprod(1 + cdi_daily)


def ipca_index(days: np.ndarray, monthly: dict, spread_pct: float = 0.0) -> np.ndarray | None:
    """IPCA (+ spread % a year) accrued day by day: each month's IPCA spread evenly over its grid days.

    ``monthly`` maps the first day of a month → IPCA of that month (%). Months not yet published
    repeat the last known value (the usual projection); ``None`` when nothing is known.
    """
    if not monthly:
        return None
    months = days.astype("datetime64[M]")
    known = sorted(monthly)
    last_value = monthly[known[-1]]
    unique, counts = np.unique(months, return_counts=True)
    per_day = np.zeros(len(days))
    for m, count in zip(unique, counts, strict=True):
        first = m.astype("datetime64[D]").astype(object)
        value = monthly.get(first, last_value if first > known[-1] else 0.0)
        per_day[months == m] = (1 + value / 100) ** (1 / count) - 1
    spread = (1 + spread_pct / 100) ** (1 / TRADING_DAYS) - 1
    return np.cumprod((1 + per_day) * (1 + spread))


def first_day_of(day) -> date:
    return day.replace(day=1)


def window_for(period: str, *, first: date, end: date) -> date:
    """Start date of a named period ending on ``end`` (never before ``first``)."""
    months = {"1m": 1, "3m": 3, "6m": 6, "12m": 12, "24m": 24}
    if period == "max":
        return first
    if period == "ytd":
        start = date(end.year, 1, 1)
    elif period in months:
        n = months[period]
        year, month = end.year, end.month - n
        while month <= 0:
            month += 12
            year -= 1
        last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        start = date(year, month, min(end.day, last_day)) + timedelta(days=1)
    else:
        raise ValueError(period)
    return max(start, first)

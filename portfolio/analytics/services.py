"""Writes of the analytics part: the monthly patrimony snapshots.

A snapshot is the value on the last day of a month computed from the history (holdings from the
position ledger, closes and FX of that day), so building it again gives the same row: the
month-end task and the backfill command are both idempotent (``update_or_create``).
"""

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Portfolio
from . import engine, selectors
from .models import PatrimonySnapshot

CENT = 2


def _money(value) -> str:
    return f"{float(value):.{CENT}f}"


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_complete_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(day=1) - timedelta(days=1)


def _rows(data: engine.DailyInputs, *, since: date | None, until: date) -> list[dict]:
    """One dict per month end in ``[since, until]`` from the daily arrays."""
    values = data.asset_values
    holdings = values.sum(axis=0)
    classes = data.asset_classes
    ids = data.asset_ids
    months = data.days.astype("datetime64[M]")
    rows = []
    for i in engine.month_ends(data.days):
        day = data.days[i].astype(object)
        last = month_end(day)
        if last > until or (since and last < since):
            continue
        if i == len(data.days) - 1 and day < last:
            continue  # the month is not over yet
        in_month = months == months[i]
        by_class, by_type = {}, {}
        for a, asset_id in enumerate(ids):
            v = values[a, i]
            if v > 0.005:
                asset_class, asset_type, _ticker, _ccy = classes[asset_id]
                by_class[asset_class] = by_class.get(asset_class, 0.0) + v
                by_type[asset_type] = by_type.get(asset_type, 0.0) + v
        rows.append(
            {
                "month": last,
                "total": _money(holdings[i] + data.cash[i]),
                "invested": _money(holdings[i]),
                "cash": _money(data.cash[i]),
                "cost": _money(data.cost[:, i].sum()),
                "by_class": {k: _money(v) for k, v in sorted(by_class.items())},
                "by_type": {k: _money(v) for k, v in sorted(by_type.items())},
                "net_flows": _money(data.inflow[in_month].sum() - data.outflow[in_month].sum()),
                "dividends": _money(data.dividends[:, in_month].sum()),
            }
        )
    return rows


@transaction.atomic
def _store(scope: selectors.Scope, rows, *, dry_run=False) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {
        s.month: s
        for s in selectors.PatrimonySnapshot.objects.filter(
            owner_id=scope.owner_id, portfolio_id=scope.portfolio_id, month__in=[r["month"] for r in rows]
        )
    }
    for row in rows:
        current = existing.get(row["month"])
        if current is None:
            counts["created"] += 1
            if not dry_run:
                PatrimonySnapshot.objects.create(owner_id=scope.owner_id, portfolio_id=scope.portfolio_id, **row)
            continue
        same = all(str(getattr(current, k)) == str(v) for k, v in row.items() if k not in ("by_class", "by_type"))
        same = same and current.by_class == row["by_class"] and current.by_type == row["by_type"]
        if same:
            counts["unchanged"] += 1
            continue
        counts["updated"] += 1
        if not dry_run:
            for key, value in row.items():
                setattr(current, key, value)
            current.save()
    return counts


def snapshots_build(
    *, scope: selectors.Scope, since: date | None = None, until: date | None = None, dry_run=False
) -> dict:
    """Compute and store the month-end snapshots of one scope from ``since`` to ``until`` (month ends)."""
    until = month_end(until or last_complete_month())
    data = selectors.load_inputs(scope, end=until)
    if data is None:
        return {"created": 0, "updated": 0, "unchanged": 0}
    return _store(scope, _rows(data, since=since, until=until), dry_run=dry_run)


def month_end_snapshots(
    *, month: date | None = None, owner_id=None, since: date | None = None, dry_run=False, progress=None
) -> dict:
    """Snapshots of ``month`` (default: the last complete month) — or of every month from ``since`` —
    for every portfolio and every user (optionally one user). Idempotent: a second run changes nothing.
    """
    until = month_end(month or last_complete_month())
    first = since or until.replace(day=1)
    portfolios = Portfolio.objects.order_by("owner_id", "pk")
    if owner_id:
        portfolios = portfolios.filter(owner_id=owner_id)
    scopes = [selectors.Scope(owner_id=p.owner_id, portfolio_id=p.pk) for p in portfolios.only("pk", "owner_id")]
    scopes += [selectors.Scope(owner_id=o) for o in sorted({s.owner_id for s in scopes})]
    totals = {"month": until.isoformat(), "scopes": len(scopes), "created": 0, "updated": 0, "unchanged": 0}
    for n, scope in enumerate(scopes, start=1):
        counts = snapshots_build(scope=scope, since=first, until=until, dry_run=dry_run)
        for key in ("created", "updated", "unchanged"):
            totals[key] += counts[key]
        if progress:
            progress(n, len(scopes))
    return totals

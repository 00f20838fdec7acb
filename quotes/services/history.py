"""History backfill: fill the gaps of each asset's daily bars, screened for anomalies; idempotent."""

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import markets
from ..chain import Chain
from ..models import PriceBar
from .common import attempts_save, instrument_for, is_quotable
from .screening import screen_bars
from .splits import unadjust


@dataclass
class BackfillItem:
    ticker: str
    market: str
    ok: bool
    inserted: int = 0
    anomalies: int = 0
    source: str = ""
    message: str = ""


def backfill_plan(*, assets, days):
    """``[(asset, start, end, missing_dates)]``: the trading days without a bar in the window."""
    plan = []
    ids = [a.pk for a in assets]
    today = timezone.now()
    windows = {}
    for asset in assets:
        end = markets.last_completed_session(asset.market, today)
        if asset.delisted and asset.delisted_at:
            end = min(end, asset.delisted_at)
        windows[asset.pk] = (end - timedelta(days=days), end)
    earliest = min((w[0] for w in windows.values()), default=today.date())
    existing = {}
    for asset_id, day in PriceBar.objects.filter(asset_id__in=ids, date__gte=earliest).values_list("asset_id", "date"):
        existing.setdefault(asset_id, set()).add(day)
    for asset in assets:
        start, end = windows[asset.pk]
        have = existing.get(asset.pk, set())
        missing = [d for d in markets.trading_days_between(asset.market, start, end) if d not in have]
        plan.append((asset, start, end, missing))
    return plan


def prices_backfill(*, assets, days=None, on_progress=None, chain=None) -> dict:
    """Fill the gaps of each asset's daily history over the last ``days``; idempotent.

    Only dates with no stored bar are written (a second run asks no provider for an asset
    without gaps). Suspicious jumps are held as anomalies. ``on_progress(item)`` is called
    after each asset with a :class:`BackfillItem`.
    """
    days = days or settings.QUOTES_BACKFILL_DAYS
    assets = [a for a in assets if is_quotable(a)]
    summary = {"assets": len(assets), "ok": 0, "failed": 0, "inserted": 0, "anomalies": 0, "failures": {}}
    requests, held = [], {}
    for asset, start, end, missing in backfill_plan(assets=assets, days=days):
        if not missing:
            _report(summary, on_progress, BackfillItem(asset.ticker, asset.market, ok=True, message=_("já completo")))
            continue
        requests.append((instrument_for(asset), min(missing), end))
        held[(asset.ticker, asset.market)] = (asset, start)
    if not requests:
        return summary
    own_chain = chain is None
    chain = chain or Chain()
    try:
        for instrument, answer in chain.histories(requests):
            asset, start = held[instrument.key]
            with transaction.atomic():
                attempts_save(answer.attempts)
                item = _store_history(asset, start, answer)
            _report(summary, on_progress, item)
    finally:
        if own_chain:
            chain.close()
    return summary


def _report(summary, on_progress, item):
    summary["ok" if item.ok else "failed"] += 1
    summary["inserted"] += item.inserted
    summary["anomalies"] += item.anomalies
    if not item.ok:
        summary["failures"][item.ticker] = item.message
    if on_progress:
        on_progress(item)


def bar_row(asset, bar, source, *, close=None, factor=1, basis_date=None) -> PriceBar:
    """An unsaved ``PriceBar`` from a provider's :class:`~quotes.providers.base.Bar`.

    ``close``: the unadjusted close when the provider's was split-adjusted (``quotes.services.splits``);
    the provider's own close then goes to ``adjusted_close`` unless it sent one.
    """
    scale = factor if close is not None else 1
    return PriceBar(
        asset=asset,
        date=bar.date,
        open=bar.open * scale if bar.open is not None else None,
        high=bar.high * scale if bar.high is not None else None,
        low=bar.low * scale if bar.low is not None else None,
        close=close if close is not None else bar.close,
        adjusted_close=bar.adjusted_close if bar.adjusted_close is not None else (bar.close if basis_date else None),
        split_factor=factor,
        basis_date=basis_date,
        volume=bar.volume,
        source=source,
    )


def _store_history(asset, start, answer):
    if not answer.points:
        reasons = "; ".join(answer.reasons) or _("nenhum provedor tem histórico")
        return BackfillItem(asset.ticker, asset.market, ok=False, message=reasons)
    have = dict(PriceBar.objects.filter(asset=asset, date__gte=start - timedelta(days=10)).values_list("date", "close"))
    new = [bar for bar in answer.points if bar.date not in have and bar.date >= start]
    basis = {
        bar.date: (close, factor, basis_date)
        for bar, close, factor, basis_date in unadjust(asset.pk, new, source=answer.source, basis=timezone.localdate())
    }
    new = [replace(bar, close=basis[bar.date][0]) if basis[bar.date][2] else bar for bar in new]
    accepted, anomalies = screen_bars(asset, new, have, answer.source)
    rows = []
    for bar in accepted:
        close, factor, basis_date = basis[bar.date]
        provider_bar = replace(bar, close=close / factor) if basis_date else bar
        rows.append(bar_row(asset, provider_bar, answer.source, close=close, factor=factor, basis_date=basis_date))
    PriceBar.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    message = _("%(n)d registros inseridos (%(source)s)") % {"n": len(accepted), "source": answer.source}
    return BackfillItem(
        asset.ticker,
        asset.market,
        ok=True,
        inserted=len(accepted),
        anomalies=anomalies,
        source=answer.source,
        message=message,
    )

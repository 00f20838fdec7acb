"""The anomaly check: a move of ``QUOTES_ANOMALY_THRESHOLD`` % or more against the previous close,
with no corporate event nearby and no approval on record, is held as ``PriceAnomaly`` for an
operator instead of being stored (fetched quotes and backfilled bars alike).
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from portfolio.models import Asset, CorporateEvent

from .. import markets
from ..choices import AnomalyKind, AnomalyStatus
from ..models import PriceAnomaly, PriceBar, Quote

logger = logging.getLogger("quotes")

# A stored close older than this is no reference for the anomaly check (use the provider's).
REFERENCE_MAX_AGE = timedelta(days=14)


def screen_quotes(fetched, *, now):
    """Split fetched quotes into ``accepted`` and the number held as anomalies."""
    if not fetched:
        return {}, 0
    assets = list(fetched)
    days = {a: markets.market_date(a.market, fetched[a].market_time) for a in assets}
    references = _reference_closes(days)
    current = {q.asset_id: q for q in Quote.objects.filter(asset__in=assets)}
    for asset in assets:
        ref = references.get(asset.pk)
        existing = current.get(asset.pk)
        if existing is not None:
            existing_day = markets.market_date(asset.market, existing.market_time)
            if existing_day < days[asset] and (ref is None or existing_day > ref[0]):
                ref = (existing_day, existing.price)
        if ref is not None and days[asset] - ref[0] > REFERENCE_MAX_AGE:
            ref = None
        if ref is None and fetched[asset].previous_close:
            ref = (None, fetched[asset].previous_close)
        references[asset.pk] = ref
    suspects = {
        a: _change(references[a.pk][1], fetched[a].price)
        for a in assets
        if references.get(a.pk) and abs(_change(references[a.pk][1], fetched[a].price)) >= _threshold()
    }
    if not suspects:
        return dict(fetched), 0
    cleared = _explained_moves({a: days[a] for a in suspects}, kind=AnomalyKind.QUOTE)
    accepted, held = {}, 0
    for asset, quote in fetched.items():
        if asset not in suspects or asset in cleared:
            accepted[asset] = quote
            continue
        ref_day, ref_close = references[asset.pk]
        _hold(
            asset,
            AnomalyKind.QUOTE,
            days[asset],
            ref_close,
            ref_day,
            quote.price,
            suspects[asset],
            quote.source,
            _quote_json(quote),
            now,
        )
        held += 1
    return accepted, held


def _threshold():
    return Decimal(str(settings.QUOTES_ANOMALY_THRESHOLD))


def _change(reference, price):
    return (price - reference) / reference * 100


def _reference_closes(days_by_asset):
    """``{asset_id: (date, close)}``: the last stored close before each asset's quote date."""
    refs = {}
    groups = {}
    for asset, day in days_by_asset.items():
        groups.setdefault(day, []).append(asset.pk)
    for day, ids in groups.items():
        last = PriceBar.objects.filter(asset=OuterRef("pk"), date__lt=day).order_by("-date")
        rows = (
            Asset.objects.filter(pk__in=ids)
            .annotate(ref_date=Subquery(last.values("date")[:1]), ref_close=Subquery(last.values("close")[:1]))
            .values_list("pk", "ref_date", "ref_close")
        )
        for pk, ref_date, ref_close in rows:
            if ref_date is not None:
                refs[pk] = (ref_date, ref_close)
    return refs


def _explained_moves(days_by_asset, *, kind):
    """Assets whose big move is explained: a corporate event within the window, or already approved."""
    window = timedelta(days=settings.QUOTES_ANOMALY_EVENT_WINDOW_DAYS)
    ids = [a.pk for a in days_by_asset]
    first, last = min(days_by_asset.values()) - window, max(days_by_asset.values()) + window
    events = {}
    for asset_id, day in CorporateEvent.objects.filter(asset_id__in=ids, event_date__range=(first, last)).values_list(
        "asset_id", "event_date"
    ):
        events.setdefault(asset_id, []).append(day)
    approved = set(
        PriceAnomaly.objects.filter(
            asset_id__in=ids, kind=kind, status=AnomalyStatus.APPROVED, date__in=set(days_by_asset.values())
        ).values_list("asset_id", "date")
    )
    cleared = set()
    for asset, day in days_by_asset.items():
        if (asset.pk, day) in approved or any(abs(e - day) <= window for e in events.get(asset.pk, [])):
            cleared.add(asset)
    return cleared


def _hold(asset, kind, day, ref_close, ref_day, price, change, source, payload, now):
    PriceAnomaly.objects.update_or_create(
        asset=asset,
        kind=kind,
        date=day,
        status=AnomalyStatus.PENDING,
        defaults={
            "reference_close": ref_close,
            "reference_date": ref_day,
            "price": price,
            "change_percent": change.quantize(Decimal("0.0001")),
            "source": source,
            "payload": payload,
            "detected_at": now,
        },
    )
    logger.warning(
        "cotacoes: anomalia em %s %s: %s → %s (%+.2f%%), retida para revisão", asset, day, ref_close, price, change
    )


def _quote_json(quote):
    return {
        "price": f"{quote.price:f}",
        "previous_close": None if quote.previous_close is None else f"{quote.previous_close:f}",
        "change": None if quote.change is None else f"{quote.change:f}",
        "change_percent": None if quote.change_percent is None else f"{quote.change_percent:f}",
        "volume": quote.volume,
        "currency": quote.currency,
        "market_time": quote.market_time.isoformat(),
        "open": None if quote.open is None else f"{quote.open:f}",
        "high": None if quote.high is None else f"{quote.high:f}",
        "low": None if quote.low is None else f"{quote.low:f}",
    }


def screen_bars(asset, new, have, source):
    """Hold new bars that jump ≥ threshold against the previous close with no event nearby."""
    if not new:
        return [], 0
    closes = dict(have)
    closes.update({bar.date: bar.close for bar in new})
    ordered = sorted(closes)
    previous = {day: (ordered[i - 1], closes[ordered[i - 1]]) for i, day in enumerate(ordered) if i > 0}
    suspects = {}
    for bar in new:
        if bar.date in previous:
            ref_day, ref_close = previous[bar.date]
            change = _change(ref_close, bar.close)
            if abs(change) >= _threshold():
                suspects[bar.date] = (ref_day, ref_close, change)
    if not suspects:
        return new, 0
    now = timezone.now()
    cleared_days = set()
    for day in suspects:
        if asset in _explained_moves({asset: day}, kind=AnomalyKind.BAR):
            cleared_days.add(day)
    accepted, held = [], 0
    for bar in new:
        if bar.date in suspects and bar.date not in cleared_days:
            ref_day, ref_close, change = suspects[bar.date]
            payload = {
                "open": _opt(bar.open),
                "high": _opt(bar.high),
                "low": _opt(bar.low),
                "adjusted_close": _opt(bar.adjusted_close),
                "volume": bar.volume,
            }
            _hold(asset, AnomalyKind.BAR, bar.date, ref_close, ref_day, bar.close, change, source, payload, now)
            held += 1
        else:
            accepted.append(bar)
    return accepted, held


def _opt(value):
    return None if value is None else f"{value:f}"

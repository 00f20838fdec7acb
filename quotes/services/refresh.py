"""Quotes: refresh through the chain (screened for anomalies), store, cache and announce; reads for the API.

Prices are never invented: a symbol no provider answered keeps its last known quote (shown
``stale`` with its age) or has none.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import cache as quote_cache
from .. import markets, shared_state
from ..chain import Chain
from ..choices import AnomalyStatus
from ..models import PriceAnomaly, PriceBar, Quote
from .common import attempts_save, instrument_for, is_quotable
from .screening import screen_quotes

logger = logging.getLogger("quotes")

UPDATES_CHANNEL = "updates"


class QuoteUnavailable(Exception):
    """No provider answered and no quote was ever stored for the asset."""

    def __init__(self, asset, reasons):
        self.asset = asset
        self.reasons = reasons
        super().__init__(
            _("Nenhuma cotação disponível para %(ticker)s: todos os provedores falharam.") % {"ticker": asset.ticker}
        )


@dataclass
class RefreshSummary:
    requested: int = 0
    updated: int = 0
    failed: int = 0
    anomalies: int = 0
    skipped: int = 0
    fresh: int = 0
    sources: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)  # ticker -> [why each provider had nothing]

    def as_dict(self):
        return {
            "requested": self.requested,
            "updated": self.updated,
            "failed": self.failed,
            "anomalies": self.anomalies,
            "skipped": self.skipped,
            "fresh": self.fresh,
            "sources": self.sources,
        }


# A scheduled refresh also renews quotes that would expire within this margin (schedule jitter).
EXPIRY_MARGIN = timedelta(seconds=60)


def quotes_refresh(*, assets, chain=None, only_expiring=False) -> RefreshSummary:
    """Fetch fresh quotes for ``assets`` through the chain and store them.

    ``only_expiring`` (scheduled runs): leave out assets whose stored quote is still fresh —
    a closed market's quote is fresh until the next open, so nights, weekends and holidays
    cost no provider request. Moves ≥ ``QUOTES_ANOMALY_THRESHOLD`` % against the previous close
    without a corporate event nearby are held as ``PriceAnomaly`` for an operator instead of
    being stored. Stored quotes go to the cache and are announced to the live stream after the
    commit.
    """
    assets = list(assets)
    summary = RefreshSummary()
    quotable = [a for a in assets if is_quotable(a) and not a.delisted]
    summary.skipped = len(assets) - len(quotable)
    if only_expiring and quotable:
        soon = timezone.now() + EXPIRY_MARGIN
        fetched = dict(Quote.objects.filter(asset__in=quotable).values_list("asset_id", "fetched_at"))
        due = [a for a in quotable if a.pk not in fetched or markets.fresh_until(a.market, fetched[a.pk]) <= soon]
        summary.fresh = len(quotable) - len(due)
        quotable = due
    summary.requested = len(quotable)
    if not quotable:
        return summary
    by_key = {(a.ticker, a.market): a for a in quotable}
    own_chain = chain is None
    chain = chain or Chain()
    try:
        result = chain.quotes([instrument_for(a) for a in quotable])
    finally:
        if own_chain:
            chain.close()
    now = timezone.now()
    with transaction.atomic():
        attempts_save(result.attempts)
        accepted, held = screen_quotes({by_key[k]: q for k, q in result.quotes.items()}, now=now)
        stored = _store_quotes(accepted, now=now)
    summary.updated = len(stored)
    summary.anomalies = held
    summary.failed = len(quotable) - len(result.quotes)
    for quote in result.quotes.values():
        summary.sources[quote.source] = summary.sources.get(quote.source, 0) + 1
    for key, reasons in result.reasons.items():
        if key not in result.quotes:
            summary.reasons[key[0]] = reasons
    if summary.failed:
        logger.warning("cotacoes: %d de %d ativos sem cotação nova", summary.failed, summary.requested)
    return summary


def quote_row(asset, quote, fetched_at) -> Quote:
    """An unsaved ``Quote`` from a provider's :class:`~quotes.providers.base.QuoteData`."""
    return Quote(
        asset=asset,
        price=quote.price,
        previous_close=quote.previous_close,
        change=quote.change,
        change_percent=quote.change_percent,
        volume=quote.volume,
        currency=quote.currency,
        source=quote.source,
        market_time=quote.market_time,
        fetched_at=fetched_at,
    )


def _store_quotes(accepted, *, now):
    """Upsert ``Quote`` rows (and the day's bar once its session closed); cache and announce after commit."""
    if not accepted:
        return []
    rows = [quote_row(asset, q, now) for asset, q in accepted.items()]
    Quote.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["asset"],
        update_fields=[
            "price",
            "previous_close",
            "change",
            "change_percent",
            "volume",
            "currency",
            "source",
            "market_time",
            "fetched_at",
        ],
        batch_size=500,
    )
    bars = []
    for asset, q in accepted.items():
        day = markets.market_date(asset.market, q.market_time)
        if not markets.is_open(asset.market, now) and day == markets.last_completed_session(asset.market, now):
            bars.append(
                PriceBar(
                    asset=asset,
                    date=day,
                    open=q.open,
                    high=q.high,
                    low=q.low,
                    close=q.price,
                    volume=q.volume,
                    source=q.source,
                )
            )
    if bars:
        PriceBar.objects.bulk_create(
            bars,
            update_conflicts=True,
            unique_fields=["asset", "date"],
            update_fields=["open", "high", "low", "close", "volume", "source"],
            batch_size=500,
        )
    payloads = [quote_cache.quote_payload(row, row.asset) for row in rows]
    transaction.on_commit(lambda: after_store(payloads, now))
    return rows


def after_store(payloads, now):
    quote_cache.store(payloads, now=now)
    event = {"event_id": event_id(now), "asset_ids": [p["asset_id"] for p in payloads]}
    shared_state.publish(UPDATES_CHANNEL, json.dumps(event))


def event_id(moment) -> int:
    """Live-stream event id of a quote update: its ``fetched_at`` in microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


def quote_read(asset, *, refresh=False) -> dict:
    """The asset's quote for the API: cache → stored quote if still fresh → the chain.

    ``refresh`` forces a fetch. When the chain has nothing, the last stored quote is returned
    flagged ``stale`` with its age; with nothing stored at all, :class:`QuoteUnavailable`.
    """
    found, reasons = _quotes_read(assets=[asset], refresh=refresh)
    if asset.pk not in found:
        raise QuoteUnavailable(asset, reasons.get(asset.ticker) or [])
    return found[asset.pk]


def quotes_read(assets, *, refresh=False) -> dict:
    """``{asset_id: payload}`` for quotable ``assets`` (see :func:`quote_read`); one fetch for all misses.

    Assets with no quote at all are simply absent (the batch endpoint lists them as unavailable).
    """
    return _quotes_read(assets=assets, refresh=refresh)[0]


def _quotes_read(*, assets, refresh):
    """``(found, reasons)``: payloads by asset id, and each failed ticker's provider reasons."""
    assets = [a for a in assets if is_quotable(a)]
    found = {} if refresh else {pk: quote_cache.decorate(p, cached=True) for pk, p in quote_cache.fetch(assets).items()}
    missing = [a for a in assets if a.pk not in found]
    if not missing:
        return found, {}
    now = timezone.now()
    rows = {q.asset_id: q for q in Quote.objects.filter(asset__in=missing)}
    to_fetch = []
    for asset in missing:
        row = rows.get(asset.pk)
        if row is not None and not refresh and now < markets.fresh_until(asset.market, row.fetched_at):
            payload = quote_cache.quote_payload(row, asset)
            quote_cache.store([payload], now=now)
            found[asset.pk] = quote_cache.decorate(payload, cached=False, now=now)
        elif not asset.delisted:
            to_fetch.append(asset)
        elif row is not None:
            found[asset.pk] = quote_cache.decorate(quote_cache.quote_payload(row, asset), cached=False, now=now)
    reasons = {}
    if to_fetch:
        locked = [a for a in to_fetch if quote_cache.lock(f"fetch:{a.pk}")]
        try:
            if locked:
                reasons = quotes_refresh(assets=locked).reasons
        finally:
            quote_cache.unlock([f"fetch:{a.pk}" for a in locked])
        now = timezone.now()
        for row in Quote.objects.filter(asset__in=to_fetch).select_related("asset"):
            found[row.asset_id] = quote_cache.decorate(quote_cache.quote_payload(row, row.asset), cached=False, now=now)
    pending = set(
        PriceAnomaly.objects.filter(asset__in=assets, status=AnomalyStatus.PENDING).values_list("asset_id", flat=True)
    )
    for pk, payload in found.items():
        payload["anomaly_pending"] = pk in pending
    held = _("variação anômala retida para revisão de um operador")
    for asset in assets:
        if asset.pk not in found and asset.pk in pending and not reasons.get(asset.ticker):
            reasons[asset.ticker] = [held]
    return found, reasons

"""Quote cache (Django's cache: Redis in production, local memory otherwise).

Each entry is the JSON-able view of a ``Quote`` and lives until the quote stops being fresh:
a few minutes while its market is open, until the next open while it is closed (nights,
weekends, B3 holidays), see :func:`quotes.markets.fresh_until`. The cache only speeds reads
up: if it is unreachable (Redis restarting) reads fall through to the database.
"""

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from . import markets

PREFIX = "quotes:q"
logger = logging.getLogger("quotes")


def _safely(operation, default=None):
    try:
        return operation()
    except Exception as exc:  # noqa: BLE001 - any cache failure degrades to "not cached"
        logger.warning("cotacoes: cache indisponível (%s)", exc.__class__.__name__)
        return default


def quote_key(ticker: str, market: str) -> str:
    return f"{PREFIX}:{market}:{ticker}"


PRICE_PLACES = Decimal("0.00000001")
PERCENT_PLACES = Decimal("0.0001")


def _text(value, places=PRICE_PLACES):
    """Decimals at the stored precision, so a cached quote reads exactly like a stored one."""
    return None if value is None else f"{Decimal(value).quantize(places):f}"


def quote_payload(quote, asset) -> dict:
    """What the API and the stream show of a quote (decimals as strings, times in ISO 8601)."""
    return {
        "asset_id": asset.pk,
        "ticker": asset.ticker,
        "market": asset.market,
        "name": asset.name,
        "price": _text(quote.price),
        "previous_close": _text(quote.previous_close),
        "change": _text(quote.change),
        "change_percent": _text(quote.change_percent, PERCENT_PLACES),
        "volume": quote.volume,
        "currency": quote.currency,
        "source": quote.source,
        "market_time": quote.market_time.isoformat(),
        "fetched_at": quote.fetched_at.isoformat(),
        "fresh_until": markets.fresh_until(asset.market, quote.fetched_at).isoformat(),
    }


def decorate(payload: dict, *, cached: bool, now: datetime | None = None) -> dict:
    """Add the reader-relative fields: age, stale flag, whether it came from the cache."""
    now = now or timezone.now()
    fetched_at = datetime.fromisoformat(payload["fetched_at"])
    fresh_until = datetime.fromisoformat(payload["fresh_until"])
    return {
        **payload,
        "age_seconds": max(0, int((now - fetched_at).total_seconds())),
        "stale": now >= fresh_until,
        "cached": cached,
    }


def store(payloads, *, now=None) -> None:
    """Cache payloads until each stops being fresh (entries already stale are not cached)."""
    now = now or timezone.now()
    by_ttl = defaultdict(dict)
    for payload in payloads:
        ttl = int((datetime.fromisoformat(payload["fresh_until"]) - now).total_seconds())
        if ttl > 0:
            by_ttl[ttl][quote_key(payload["ticker"], payload["market"])] = payload
    for ttl, entries in by_ttl.items():
        _safely(lambda e=entries, t=ttl: cache.set_many(e, timeout=t))


def fetch(assets) -> dict:
    """``{asset_id: payload}`` of the cached quotes among ``assets``."""
    keys = {quote_key(a.ticker, a.market): a.pk for a in assets}
    found = _safely(lambda: cache.get_many(list(keys)), {})
    return {keys[k]: v for k, v in found.items()}


def forget(assets) -> None:
    _safely(lambda: cache.delete_many([quote_key(a.ticker, a.market) for a in assets]))


def lock(name: str, seconds: int = 30) -> bool:
    """A best-effort lock in the cache (``True`` when taken, or when the cache is unreachable)."""
    return _safely(lambda: cache.add(f"quotes:lock:{name}", 1, timeout=seconds), True)


def unlock(names) -> None:
    _safely(lambda: cache.delete_many([f"quotes:lock:{n}" for n in names]))

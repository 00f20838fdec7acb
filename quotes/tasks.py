"""Celery tasks of the quotes app (queue ``quotes``). Scheduled by name by the scheduling app.

Each takes strings/numbers only, is idempotent (a redelivery fetches and upserts the same
rows again) and returns a small JSON dict of counts. None retries by itself: a provider
failure is recorded in the attempt log and the next scheduled run tries again.
"""

import logging

from celery import shared_task
from django.core.cache import cache

from . import services
from .selectors import assets_to_update

logger = logging.getLogger("quotes")
REFRESH_LOCK = "quotes:task:refresh_quotes"


@shared_task(name="quotes.refresh_quotes", soft_time_limit=120, time_limit=150)
def refresh_quotes(tickers=None):
    """Refresh the quotes of ``tickers`` (``"PETR4"`` or ``"AAPL:US"``).

    Without tickers: every held or watchlisted asset whose quote is missing or about to expire
    (so a schedule every few minutes around the clock only calls providers when markets move).
    """
    if not tickers and not cache.add(REFRESH_LOCK, 1, timeout=150):
        return {"skipped": "outra atualização completa está em andamento"}
    try:
        assets, unknown = assets_to_update(tickers=tickers)
        summary = services.quotes_refresh(assets=assets, only_expiring=not tickers).as_dict()
        summary["unknown"] = len(unknown)
        return summary
    finally:
        if not tickers:
            cache.delete(REFRESH_LOCK)


@shared_task(name="quotes.refresh_fx", soft_time_limit=120, time_limit=150)
def refresh_fx(pairs=None):
    """Fetch the recent PTAX (or another provider's rate) of ``pairs`` (default: configured + held currencies)."""
    return services.fx_refresh(pairs=pairs)


@shared_task(name="quotes.refresh_indicators", soft_time_limit=120, time_limit=150)
def refresh_indicators(series=None):
    """Fetch CDI, Selic and IPCA from the Banco Central."""
    return services.indicators_refresh(series=series)


@shared_task(name="quotes.backfill_prices", soft_time_limit=1800, time_limit=1900)
def backfill_prices(days=None, tickers=None, include_delisted=False):
    """Fill the gaps of the daily history (default: held assets, ``QUOTES_BACKFILL_DAYS``)."""
    assets, unknown = assets_to_update(tickers=tickers, include_delisted=include_delisted)
    summary = services.prices_backfill(assets=assets, days=days)
    summary["unknown"] = len(unknown)
    summary["failures"] = dict(list(summary["failures"].items())[:20])
    return summary


@shared_task(name="quotes.cleanup_provider_attempts", soft_time_limit=300, time_limit=330)
def cleanup_provider_attempts(days=None):
    """Delete provider attempts older than ``days`` (default ``QUOTES_ATTEMPT_RETENTION_DAYS``)."""
    return {"deleted": services.attempts_cleanup(days=days)}

"""Every write of market data: quote refresh, FX and indicators, history backfill, anomalies,
asset registration from a provider lookup, watchlist, provider switches.

Providers are only reached through :class:`quotes.chain.Chain`; what each call did is saved in
``ProviderAttempt``. Prices are never invented: a symbol no provider answered keeps its last
known quote (shown ``stale`` with its age) or has none.

Callers use this facade (``from quotes import services``); the modules behind it follow the flows:
``refresh`` (quotes and their reads), ``screening`` (the anomaly check), ``fx`` (FX and indicators),
``history`` (backfill), ``anomalies`` (operator review), ``maintenance`` (providers, retention,
macro defaults), ``registration`` (lookup and registration), ``watchlist``; ``common`` is what
they share.
"""

from .anomalies import anomaly_approve, anomaly_reject
from .common import attempts_save, instrument_for, is_quotable
from .fx import fx_pairs_default, fx_refresh, indicators_refresh
from .history import BackfillItem, backfill_plan, bar_row, prices_backfill
from .maintenance import (
    DEFAULT_MACRO,
    attempts_cleanup,
    macro_ensure_defaults,
    provider_reset_circuit,
    provider_set_enabled,
    providers_ensure,
)
from .refresh import (
    EXPIRY_MARGIN,
    UPDATES_CHANNEL,
    QuoteUnavailable,
    RefreshSummary,
    event_id,
    quote_read,
    quote_row,
    quotes_read,
    quotes_refresh,
)
from .registration import asset_register, assets_lookup
from .screening import REFERENCE_MAX_AGE
from .watchlist import watchlist_add, watchlist_remove

__all__ = [
    "DEFAULT_MACRO",
    "EXPIRY_MARGIN",
    "REFERENCE_MAX_AGE",
    "UPDATES_CHANNEL",
    "BackfillItem",
    "QuoteUnavailable",
    "RefreshSummary",
    "anomaly_approve",
    "anomaly_reject",
    "asset_register",
    "assets_lookup",
    "attempts_cleanup",
    "attempts_save",
    "backfill_plan",
    "bar_row",
    "event_id",
    "fx_pairs_default",
    "fx_refresh",
    "indicators_refresh",
    "instrument_for",
    "is_quotable",
    "macro_ensure_defaults",
    "prices_backfill",
    "provider_reset_circuit",
    "provider_set_enabled",
    "providers_ensure",
    "quote_read",
    "quote_row",
    "quotes_read",
    "quotes_refresh",
    "watchlist_add",
    "watchlist_remove",
]

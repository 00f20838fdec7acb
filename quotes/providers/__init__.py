"""Quote providers: one adapter per outside service behind :class:`base.Provider`."""

from .alphavantage import AlphaVantageProvider
from .base import Provider
from .bcb import BCBProvider
from .brapi import BrapiProvider
from .finnhub import FinnhubProvider
from .hgbrasil import HGBrasilProvider
from .offline import OfflineProvider
from .twelvedata import TwelveDataProvider
from .yahoo import YahooProvider

PROVIDER_CLASSES = {
    cls.name: cls
    for cls in (
        BrapiProvider,
        YahooProvider,
        AlphaVantageProvider,
        FinnhubProvider,
        TwelveDataProvider,
        HGBrasilProvider,
        BCBProvider,
        OfflineProvider,
    )
}


def build_provider(name: str) -> Provider:
    """A fresh adapter configured from ``settings.QUOTES_PROVIDERS`` (``KeyError``: unknown name)."""
    return PROVIDER_CLASSES[name]()


# Sources whose history closes come split-adjusted (stored unadjusted by quotes.services.splits).
SPLIT_ADJUSTED_SOURCES = frozenset(name for name, cls in PROVIDER_CLASSES.items() if cls.history_split_adjusted)

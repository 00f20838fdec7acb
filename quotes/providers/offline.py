"""The offline provider: prices from ``fixtures/quotes/`` so a first run shows data with no internet.

Layout (``QUOTES_OFFLINE_DIR``)::

    catalog.json                      symbols it knows: ticker, market, name, type, currency
    prices/<MARKET>/<TICKER>.csv      offset,open,high,low,close,adjusted_close,volume
    prices/GLOBAL/<COIN>-<CCY>.csv    crypto, one file per quote currency
    fx/<BASE>-<QUOTE>.csv             offset,rate      (Brazilian business days)
    series/<SERIES>.csv               offset,value     (IPCA: months; others: business days)

``offset`` counts sessions back from the market's last completed session (0 = that session),
so the demo keeps looking current on any day: the series are anchored to today's calendar,
their values come from the files. A symbol without a file is *not available* here — there is
no made-up fallback.
"""

import csv
import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .. import markets
from .base import (
    FX,
    HISTORY,
    LOOKUP,
    QUOTE,
    SERIES,
    Bar,
    BatchResult,
    FxPoint,
    LookupResult,
    Provider,
    QuoteData,
    SeriesPoint,
)

ALL_MARKETS = frozenset({"BR", "US", "EU", "ASIA", "GLOBAL", "FX", "SERIES"})


class OfflineProvider(Provider):
    name = "offline"
    capabilities = frozenset({QUOTE, HISTORY, FX, SERIES, LOOKUP})
    markets = ALL_MARKETS

    def __init__(self, config=None, *, now=None):
        if settings.QUOTES_MODE == "live":
            # Synthetic prices next to real ones would be figures nobody can tell apart.
            raise ImproperlyConfigured("O provedor offline (preços sintéticos) não funciona com QUOTES_MODE=live.")
        super().__init__(config or {})
        self.root = Path(settings.QUOTES_OFFLINE_DIR)
        self.now = now

    def _now(self):
        return self.now or timezone.now()

    # -- files -------------------------------------------------------------------

    def catalog(self):
        return _catalog(str(self.root / "catalog.json"))

    def _price_file(self, instrument):
        name = f"{instrument.ticker}-{instrument.currency}" if instrument.is_crypto else instrument.ticker
        return self.root / "prices" / instrument.market / f"{name}.csv"

    def bars(self, instrument):
        """Every fixture bar of ``instrument``, newest first, dated on today's calendar (``[]``: unknown)."""
        path = self._price_file(instrument)
        rows = _rows(str(path))
        if not rows:
            return []
        anchor = markets.last_completed_session(instrument.market, self._now())
        days = markets.trading_days_back(instrument.market, anchor, len(rows))
        return [
            Bar(
                date=day,
                open=row.get("open"),
                high=row.get("high"),
                low=row.get("low"),
                close=row["close"],
                adjusted_close=row.get("adjusted_close"),
                volume=int(row["volume"]) if row.get("volume") is not None else None,
            )
            for day, row in zip(days, rows, strict=True)
        ]

    def currency_of(self, instrument):
        if instrument.is_crypto:
            return instrument.currency
        entry = self.catalog().get((instrument.ticker, instrument.market))
        return entry["currency"] if entry else instrument.currency

    # -- operations ----------------------------------------------------------

    def fetch_quotes(self, instruments):
        result = BatchResult()
        for instrument in instruments:
            bars = self.bars(instrument)
            if not bars:
                result.not_found.add(instrument.key)
                continue
            last = bars[0]
            previous = bars[1].close if len(bars) > 1 else None
            change = last.close - previous if previous else None
            result.quotes[instrument.key] = QuoteData(
                ticker=instrument.ticker,
                market=instrument.market,
                price=last.close,
                currency=self.currency_of(instrument),
                market_time=markets.session_close(instrument.market, last.date),
                source=self.name,
                previous_close=previous,
                change=change,
                change_percent=(change / previous * 100).quantize(Decimal("0.0001")) if previous else None,
                volume=last.volume,
                open=last.open,
                high=last.high,
                low=last.low,
            )
        return result

    def fetch_history(self, instrument, start, end):
        return sorted((bar for bar in self.bars(instrument) if start <= bar.date <= end), key=lambda b: b.date)

    def fetch_fx(self, base, quote, start, end):
        rows = _rows(str(self.root / "fx" / f"{base}-{quote}.csv"))
        if not rows:
            return []
        anchor = markets.last_completed_session(markets.FX_MARKET, self._now())
        days = markets.trading_days_back(markets.FX_MARKET, anchor, len(rows))
        return sorted(
            (FxPoint(date=day, rate=row["rate"]) for day, row in zip(days, rows, strict=True) if start <= day <= end),
            key=lambda p: p.date,
        )

    def fetch_series(self, series, start, end):
        rows = _rows(str(self.root / "series" / f"{series}.csv"))
        if not rows:
            return []
        today = timezone.localdate(self._now())
        if series == "IPCA":
            days = _months_back(today, len(rows))
        else:
            anchor = markets.last_completed_session(markets.FX_MARKET, self._now())
            days = markets.trading_days_back(markets.FX_MARKET, anchor, len(rows))
        return sorted(
            (
                SeriesPoint(date=day, value=row["value"])
                for day, row in zip(days, rows, strict=True)
                if start <= day <= end
            ),
            key=lambda p: p.date,
        )

    def lookup(self, query):
        needle = query.strip().upper()
        if not needle:
            return []
        exact, partial = [], []
        for (ticker, market), entry in self.catalog().items():
            if ticker == needle:
                exact.append((ticker, market, entry))
            elif ticker.startswith(needle) or needle in entry["name"].upper():
                partial.append((ticker, market, entry))
        return [
            LookupResult(
                ticker=ticker,
                market=market,
                name=entry["name"],
                asset_type=entry["asset_type"],
                currency=entry["currency"],
                exchange=entry.get("exchange", ""),
                source=self.name,
            )
            for ticker, market, entry in (exact + sorted(partial))[:10]
        ]


def _months_back(today: date, count: int) -> list:
    """First days of the last ``count`` published months (the previous month first)."""
    year, month = today.year, today.month
    days = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        days.append(date(year, month, 1))
    return days


def _decimal_or_none(value):
    value = (value or "").strip()
    return Decimal(value) if value else None


@lru_cache(maxsize=1024)
def _rows(path: str) -> tuple:
    """Rows of a fixture CSV ordered by offset (0 first), numbers as ``Decimal``; ``()`` if absent."""
    file = Path(path)
    if not file.is_file():
        return ()
    with file.open(encoding="utf-8", newline="") as handle:
        rows = [
            {key: (int(value) if key == "offset" else _decimal_or_none(value)) for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda row: row["offset"]))


@lru_cache(maxsize=8)
def _catalog(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        return {}
    entries = json.loads(file.read_text(encoding="utf-8"))
    return {(e["ticker"], e["market"]): e for e in entries}

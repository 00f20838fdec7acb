"""Market data as the portfolio app reads it: the one door to quotes, FX, price history and indicators.

Portfolio never imports the app that stores market data. It states here what it needs
(:class:`MarketData`); the quotes app implements it and registers it at startup
(``QuotesConfig.ready`` calls :func:`register`). Everything in portfolio — valuation, dashboards,
trades and dividends in foreign currency, analytics, tax — reads through the functions below.

Without a registered source every read raises :class:`MarketDataUnavailable`: no made-up rate
of 1.0, no zero price.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

import numpy as np
from django.core.exceptions import ImproperlyConfigured


class MarketDataUnavailable(ImproperlyConfigured):
    """No market-data source is registered (the quotes app is not installed)."""


class LatestQuote(Protocol):
    """The stored quote of one asset, as far as portfolio reads it."""

    asset_id: int
    price: Decimal
    currency: str
    market_time: datetime
    fetched_at: datetime


class FxQuote(NamedTuple):
    """A stored FX rate with where it came from: ``rate`` BRL (``to``) per unit, published on ``date``."""

    rate: Decimal
    date: date
    source: str


class MarketData(Protocol):
    """What a market-data source provides. Reads only; each answers in a fixed number of queries."""

    def latest_quotes(self, *, asset_ids: Iterable[int]) -> dict[int, LatestQuote]:
        """``{asset_id: quote}`` of the assets that have one (one query)."""

    def fx_rate_on(self, *, currency: str, on: date | None = None, to: str = "BRL") -> Decimal | None:
        """One unit of ``currency`` in ``to`` on ``on`` (last published on or before; inverse pair if
        needed), the latest known without ``on``; ``1`` for the same currency; ``None`` if none is known."""

    def fx_quote_on(self, *, currency: str, on: date, to: str = "BRL") -> FxQuote | None:
        """Like :meth:`fx_rate_on` for a date, with the rate's publication date and source (``bcb`` is the
        Banco Central PTAX); ``None`` if no rate was published on or before ``on``."""

    def latest_fx_rates(self, *, currencies: Iterable[str], to: str = "BRL") -> dict[str, Decimal]:
        """``{currency: latest rate into to}``; currencies without a rate are absent."""

    def fx_series(self, *, currency: str, start: date, end: date, to: str = "BRL") -> list[tuple[date, Decimal]]:
        """``[(date, rate)]`` published for the pair ``currency-to`` within ``[start, end]``, oldest first
        (the direct pair only; one query)."""

    def close_series(
        self, *, asset_ids: Sequence[int], start: date, end: date
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """``{asset_id: (days, closes)}`` of the daily bars within ``[start, end]``, ascending by day:
        ``days`` as int64 days since 1970-01-01, ``closes`` as float64. Assets without bars are absent.
        One statement for all assets (the analytics' hot path)."""

    def indicator_series(
        self, *, series: str, start: date | None = None, end: date | None = None
    ) -> list[tuple[date, Decimal]]:
        """``[(date, value)]`` of an indicator (``CDI``, ``SELIC``, ``IPCA``...) within the bounds given,
        in no particular order (one query)."""

    def version(self) -> str:
        """A stamp that changes whenever a bar, FX rate, indicator value or quote is stored (cache keys)."""

    def events_changed(self, *, asset_ids: Iterable[int]) -> None:
        """Corporate events of these assets changed (the one notification, not a read): a source that
        stores split-adjusted history re-derives its unadjusted closes."""


_source: MarketData | None = None


def register(source: MarketData) -> None:
    """Install the market-data source (the quotes app does it in ``QuotesConfig.ready``)."""
    global _source
    _source = source


def source() -> MarketData:
    if _source is None:
        raise MarketDataUnavailable(
            "No market-data source registered: portfolio reads quotes, FX and indicators through "
            "portfolio.market_data, which the quotes app registers when it is installed."
        )
    return _source


def latest_quotes(*, asset_ids: Iterable[int]) -> dict[int, LatestQuote]:
    return source().latest_quotes(asset_ids=asset_ids)


def fx_rate_on(*, currency: str, on: date | None = None, to: str = "BRL") -> Decimal | None:
    return source().fx_rate_on(currency=currency, on=on, to=to)


def fx_quote_on(*, currency: str, on: date, to: str = "BRL") -> FxQuote | None:
    if currency.upper() == to.upper():
        return FxQuote(Decimal("1"), on, "brl")
    return source().fx_quote_on(currency=currency, on=on, to=to)


def events_changed(*, asset_ids: Iterable[int]) -> None:
    """Tell the market-data source (if any) that corporate events of ``asset_ids`` changed."""
    if _source is not None:
        _source.events_changed(asset_ids=list(asset_ids))


def latest_fx_rates(*, currencies: Iterable[str], to: str = "BRL") -> dict[str, Decimal]:
    return source().latest_fx_rates(currencies=currencies, to=to)


def fx_series(*, currency: str, start: date, end: date, to: str = "BRL") -> list[tuple[date, Decimal]]:
    return source().fx_series(currency=currency, start=start, end=end, to=to)


def close_series(*, asset_ids: Sequence[int], start: date, end: date) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    return source().close_series(asset_ids=asset_ids, start=start, end=end)


def indicator_series(*, series: str, start: date | None = None, end: date | None = None) -> list[tuple[date, Decimal]]:
    return source().indicator_series(series=series, start=start, end=end)


def version() -> str:
    return source().version()

"""Reads of market data used by the rest of the project (valuation, dashboard, analytics)."""

from datetime import date as date_type
from decimal import Decimal

from .models import FxRate, Quote

ONE = Decimal("1")


def latest_quotes(*, asset_ids):
    """``{asset_id: Quote}`` for the given assets (those without a quote are absent)."""
    return {q.asset_id: q for q in Quote.objects.filter(asset_id__in=list(asset_ids))}


def fx_rate_on(*, currency: str, on: date_type | None = None, to: str = "BRL") -> Decimal | None:
    """Rate to convert one unit of ``currency`` into ``to`` on ``on`` (or the latest known).

    Uses the last rate published on or before that date (weekends and holidays carry the
    previous business day's rate). ``None`` when no rate is known at all.
    """
    currency, to = currency.upper(), to.upper()
    if currency == to:
        return ONE
    direct = FxRate.objects.filter(pair=f"{currency}-{to}")
    if on is not None:
        direct = direct.filter(date__lte=on)
    row = direct.order_by("-date").values_list("rate", flat=True).first()
    if row is not None:
        return row
    inverse = FxRate.objects.filter(pair=f"{to}-{currency}")
    if on is not None:
        inverse = inverse.filter(date__lte=on)
    row = inverse.order_by("-date").values_list("rate", flat=True).first()
    return (ONE / row) if row else None


def latest_fx_rates(*, currencies, to: str = "BRL"):
    """``{currency: rate}`` with the most recent rate of each currency into ``to`` (missing → absent)."""
    rates = {}
    for currency in {c.upper() for c in currencies}:
        rate = fx_rate_on(currency=currency, to=to)
        if rate is not None:
            rates[currency] = rate
    return rates

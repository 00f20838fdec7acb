"""Small helpers to create the portfolio rows the quotes tests need (read-only models for us)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from portfolio.models import Asset, Broker, Portfolio, Position


def make_asset(ticker, *, market="BR", asset_type="acao", currency="BRL", **fields):
    asset, _created = Asset.objects.get_or_create(
        ticker=ticker, market=market, defaults={"asset_type": asset_type, "currency": currency, **fields}
    )
    return asset


def hold(owner, asset, quantity="10"):
    broker, _created = Broker.objects.get_or_create(name="Corretora Teste")
    portfolio, _created = Portfolio.objects.get_or_create(owner=owner, name="Principal")
    position, _created = Position.objects.get_or_create(
        owner=owner, portfolio=portfolio, broker=broker, asset=asset, defaults={"quantity": Decimal(quantity)}
    )
    return position


def bars(asset, closes, *, end=None, source="teste"):
    """Daily bars on consecutive weekdays ending at ``end`` (default: the last weekday before today)."""
    from quotes.models import PriceBar

    day = end or timezone.localdate() - timedelta(days=1)
    days = []
    while len(days) < len(closes):
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    rows = [
        PriceBar(asset=asset, date=d, close=Decimal(str(c)), source=source)
        for d, c in zip(reversed(days), closes, strict=True)
    ]
    return PriceBar.objects.bulk_create(rows)

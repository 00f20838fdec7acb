"""Factories and small helpers for portfolio tests. Trades go through the services, never around them."""

from datetime import date, datetime, time
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolio import services
from portfolio.choices import AssetClass, AssetType, Market
from portfolio.models import Asset, Broker, Portfolio


class BrokerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Broker
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Corretora {n}")
    country = "BR"
    default_currency = "BRL"


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        django_get_or_create = ("ticker", "market")

    ticker = factory.Sequence(lambda n: f"TST{n}3")
    market = Market.BR
    name = factory.LazyAttribute(lambda o: f"Empresa {o.ticker}")
    asset_type = AssetType.ACAO
    asset_class = AssetClass.RENDA_VARIAVEL
    currency = "BRL"


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Carteira {n}")


def moment(value) -> datetime:
    """``"2025-03-10"`` or ``"2025-03-10 14:30"`` → an aware São Paulo datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time(12)))
    text = str(value)
    if " " in text:
        return timezone.make_aware(datetime.fromisoformat(text))
    return timezone.make_aware(datetime.combine(date.fromisoformat(text), time(12)))


def D(value) -> Decimal:
    return Decimal(str(value))


def trade(portfolio, asset, kind, qty, price, *, broker=None, on="2025-03-10", actor=None, **extra):
    """Record a trade through the service (fees etc. in ``extra``)."""
    broker = broker or BrokerFactory(name="XP Investimentos")
    data = services.TradeInput(
        portfolio=portfolio,
        broker=broker,
        asset=asset,
        kind=kind,
        trade_date=moment(on),
        quantity=D(qty),
        unit_price=D(price),
        **{k: (D(v) if k not in ("notes", "currency") else v) for k, v in extra.items()},
    )
    return services.transaction_create(data=data, actor=actor)

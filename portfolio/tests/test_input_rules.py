"""Every rule a typed trade or cash movement is checked against answers on its field and writes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portfolio import services
from portfolio.choices import CashKind, Market
from portfolio.models import CashMovement, Transaction

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment, trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    portfolio = PortfolioFactory()
    return portfolio, BrokerFactory(name="XP"), BrokerFactory(name="Rico"), AssetFactory(ticker="PETR4")


def errors_of(call):
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def cash(book_portfolio, broker, **data):
    data.setdefault("kind", CashKind.DEPOSITO)
    data.setdefault("amount", D("100"))
    return lambda: services.cash_movement_create(owner=book_portfolio.owner, broker=broker, **data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": CashKind.CREDITO_PROVENTO}, "kind"),
        ({"kind": CashKind.TRANSFERENCIA}, "destination_broker"),
        ({"amount": D("0")}, "amount"),
        ({"date": moment("1850-01-01")}, "date"),
    ],
)
def test_cash_movement_rules(book, data, field):
    portfolio, xp, _rico, _asset = book
    assert field in errors_of(cash(portfolio, xp, **data))
    assert not CashMovement.objects.exists()


def test_transfers_need_another_broker_and_only_transfers_have_one(book):
    portfolio, xp, rico, _asset = book
    same = cash(portfolio, xp, kind=CashKind.TRANSFERENCIA, destination_broker=xp)
    assert "destination_broker" in errors_of(same)
    deposit = cash(portfolio, xp, destination_broker=rico)
    assert "destination_broker" in errors_of(deposit)
    moved = services.cash_movement_create(
        owner=portfolio.owner, broker=xp, kind=CashKind.TRANSFERENCIA, amount=D("50"), destination_broker=rico
    )
    assert moved.amount == D("-50.00")  # leaves the source broker


def test_cash_in_someone_elses_portfolio_or_in_the_future_is_refused(book):
    portfolio, xp, _rico, _asset = book
    assert "portfolio" in errors_of(cash(portfolio, xp, portfolio=PortfolioFactory()))
    assert "date" in errors_of(cash(portfolio, xp, date=timezone.now() + timedelta(days=2)))


def test_an_adjustment_keeps_its_own_sign(book):
    portfolio, xp, _rico, _asset = book
    adjustment = services.cash_movement_create(owner=portfolio.owner, broker=xp, kind=CashKind.AJUSTE, amount=D("-7"))
    assert adjustment.amount == D("-7.00")


def trade_input(portfolio, broker, asset, **changes):
    data = {
        "portfolio": portfolio,
        "broker": broker,
        "asset": asset,
        "kind": "compra",
        "trade_date": moment("2025-03-10"),
        "quantity": D("10"),
        "unit_price": D("20"),
    }
    data.update(changes)
    return services.TradeInput(**data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "escambo"}, "kind"),
        ({"quantity": D("0")}, "quantity"),
        ({"unit_price": D("-1")}, "unit_price"),
        ({"brokerage_fee": D("-1")}, "brokerage_fee"),
        ({"trade_date": None}, "trade_date"),
        ({"trade_date": moment("1850-01-01")}, "trade_date"),
        ({"currency": "USD"}, "currency"),
        ({"fx_rate": D("0")}, "fx_rate"),
        ({"quantity": D("1000000000000"), "unit_price": D("1000000000")}, "quantity"),
    ],
)
def test_trade_rules(book, changes, field):
    portfolio, xp, _rico, asset = book
    data = trade_input(portfolio, xp, asset, **changes)
    assert field in errors_of(lambda: services.transaction_create(data=data))
    assert not Transaction.objects.exists()


def test_a_trade_in_the_future_is_refused(book):
    portfolio, xp, _rico, asset = book
    data = trade_input(portfolio, xp, asset, trade_date=timezone.now() + timedelta(days=1))
    assert "trade_date" in errors_of(lambda: services.transaction_create(data=data))


def test_a_sale_whose_costs_exceed_its_value_is_refused(book):
    portfolio, xp, _rico, asset = book
    trade(portfolio, asset, "compra", 10, "20", broker=xp)
    data = trade_input(portfolio, xp, asset, kind="venda", quantity=D("1"), unit_price=D("1"), brokerage_fee=D("5"))
    assert "brokerage_fee" in errors_of(lambda: services.transaction_create(data=data))


def test_weekend_and_holiday_trades_are_recorded_with_a_warning(book):
    portfolio, xp, _rico, asset = book
    saturday = trade(portfolio, asset, "compra", 1, "20", broker=xp, on="2025-03-08")
    carnival = trade(portfolio, asset, "compra", 1, "20", broker=xp, on="2025-03-04")
    us_asset = AssetFactory(ticker="AAPL", market=Market.US, currency="USD")
    sunday_us = trade(portfolio, us_asset, "compra", 1, "200", broker=xp, on="2025-03-09", fx_rate="5.70")
    assert "fim de semana" in saturday.warnings[0]
    assert "feriado" in carnival.warnings[0]
    assert "fim de semana" in sunday_us.warnings[0]


def test_moving_a_trade_to_another_owners_portfolio_is_refused(book):
    portfolio, xp, _rico, asset = book
    tx = trade(portfolio, asset, "compra", 10, "20", broker=xp)
    errors = errors_of(lambda: services.transaction_update(tx=tx, changes={"portfolio": PortfolioFactory()}))
    assert "portfolio" in errors
    tx.refresh_from_db()
    assert tx.portfolio_id == portfolio.pk


def test_changing_a_trades_asset_takes_the_new_assets_currency(book):
    portfolio, xp, _rico, asset = book
    tx = trade(portfolio, asset, "compra", 10, "20", broker=xp)
    other = AssetFactory(ticker="VALE3")
    moved = services.transaction_update(tx=tx, changes={"asset": other})
    assert (moved.asset_id, moved.currency, moved.fx_rate) == (other.pk, "BRL", D("1"))
    assert CashMovement.objects.get(transaction=moved).description.endswith("VALE3")

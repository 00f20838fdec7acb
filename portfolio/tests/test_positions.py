"""Preço médio, hand-computed to the cent (Receita Federal rules)."""

import pytest
from django.core.exceptions import ValidationError

from portfolio.choices import AssetType, CashKind, Market
from portfolio.models import CashMovement, Position, PositionEntry, Transaction

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def position(portfolio, asset, broker=None):
    qs = Position.objects.filter(portfolio=portfolio, asset=asset)
    if broker is not None:
        qs = qs.filter(broker=broker)
    return qs.get()


def test_average_cost_includes_fees_and_sales_keep_it():
    p, petr = PortfolioFactory(), AssetFactory(ticker="PETR4")
    trade(p, petr, "compra", 100, "10.00", brokerage_fee="5.00", on="2025-03-10")
    pos = position(p, petr)
    assert (pos.quantity, pos.cost_basis, pos.average_cost) == (D(100), D("1005.00"), D("10.05"))

    trade(p, petr, "compra", 50, "12.00", emoluments="2.50", on="2025-03-11")
    pos.refresh_from_db()
    assert (pos.quantity, pos.cost_basis, pos.average_cost) == (D(150), D("1607.50"), D("10.71666667"))

    trade(p, petr, "venda", 60, "15.00", brokerage_fee="3.00", on="2025-03-12")
    pos.refresh_from_db()
    # net 900 − 3 = 897.00; cost out = 10.71666667 × 60 = 643.00; realized 254.00
    assert pos.quantity == D(90)
    assert pos.average_cost == D("10.71666667")
    assert pos.cost_basis == D("964.50")
    assert pos.realized_pnl == D("254.00")

    trade(p, petr, "venda", 90, "9.00", on="2025-03-13")
    pos.refresh_from_db()
    # closing: the whole remaining cost leaves; realized 254.00 + (810.00 − 964.50) = 99.50, kept at zero
    assert (pos.quantity, pos.cost_basis, pos.average_cost) == (D(0), D(0), D(0))
    assert pos.realized_pnl == D("99.50")
    assert pos.first_trade_date.day == 10 and pos.last_trade_date.day == 13

    amounts = sorted(CashMovement.objects.filter(owner=p.owner).values_list("kind", "amount"))
    assert amounts == [
        (CashKind.COMPRA, D("-1005.00")),
        (CashKind.COMPRA, D("-602.50")),
        (CashKind.VENDA, D("810.00")),
        (CashKind.VENDA, D("897.00")),
    ]


def test_transaction_totals_are_stored():
    p, asset = PortfolioFactory(), AssetFactory()
    tx = trade(p, asset, "compra", 3, "33.333", brokerage_fee="1.10", settlement_fee="0.03", emoluments="0.01")
    tx.refresh_from_db()
    assert (tx.gross_amount, tx.total_costs, tx.net_amount) == (D("100.00"), D("1.14"), D("101.14"))


def test_withheld_tax_reduces_cash_not_realized_pnl():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10.00", on="2025-03-10")
    sale = trade(p, asset, "venda", 100, "20.00", withheld_tax="0.10", on="2025-03-11")
    assert position(p, asset).realized_pnl == D("1000.00")
    assert CashMovement.objects.get(transaction=sale).amount == D("1999.90")


def test_positions_are_per_broker_and_sales_are_checked_per_broker():
    p, asset = PortfolioFactory(), AssetFactory()
    xp, rico = BrokerFactory(name="XP"), BrokerFactory(name="Rico")
    trade(p, asset, "compra", 100, "10", broker=xp, on="2025-03-10")
    trade(p, asset, "compra", 10, "10", broker=rico, on="2025-03-10")
    with pytest.raises(ValidationError) as exc:
        trade(p, asset, "venda", 50, "11", broker=rico, on="2025-03-11")
    assert "quantity" in exc.value.message_dict
    assert "na Rico" in exc.value.message_dict["quantity"][0]
    assert Transaction.objects.count() == 2
    assert position(p, asset, rico).quantity == D(10)


def test_selling_more_than_held_writes_nothing():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 10, "10", on="2025-03-10")
    counts = (Transaction.objects.count(), CashMovement.objects.count(), PositionEntry.objects.count())
    with pytest.raises(ValidationError):
        trade(p, asset, "venda", 11, "10", on="2025-03-11")
    assert counts == (Transaction.objects.count(), CashMovement.objects.count(), PositionEntry.objects.count())
    assert position(p, asset).quantity == D(10)


def test_back_dated_sale_is_checked_at_its_own_date():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 10, "10", on="2025-03-10")
    trade(p, asset, "compra", 100, "10", on="2025-03-20")
    with pytest.raises(ValidationError) as exc:
        trade(p, asset, "venda", 50, "10", on="2025-03-15")
    assert "10" in exc.value.message_dict["quantity"][0]
    assert position(p, asset).quantity == D(110)


def test_back_dated_buy_replays_later_sales():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10.00", on="2025-03-10")
    trade(p, asset, "venda", 50, "12.00", on="2025-03-20")
    # inserted before the sale: the sale now leaves at the new average (10 + 100 × 13 → 11.50)
    trade(p, asset, "compra", 100, "13.00", on="2025-03-15")
    pos = position(p, asset)
    assert pos.quantity == D(150)
    assert pos.average_cost == D("11.50")
    assert pos.realized_pnl == D("25.00")  # 600 − 575
    assert pos.cost_basis == D("1725.00")


def test_fx_trades_keep_cost_in_asset_currency_and_brl():
    p = PortfolioFactory()
    aapl = AssetFactory(ticker="AAPL", market=Market.US, currency="USD", asset_type=AssetType.STOCK)
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    trade(p, aapl, "compra", 10, "150.00", brokerage_fee="1.00", fx_rate="5.00", broker=avenue, on="2025-03-10")
    trade(p, aapl, "venda", 5, "200.00", fx_rate="5.50", broker=avenue, on="2025-03-11")
    pos = position(p, aapl)
    assert pos.average_cost == D("150.10")
    assert pos.cost_basis == D("750.50")
    assert pos.realized_pnl == D("249.50")  # 1000.00 − 750.50
    assert pos.cost_basis_brl == D("3752.50")  # half of 7505.00
    assert pos.realized_pnl_brl == D("1747.50")  # 5500.00 − 3752.50
    assert set(CashMovement.objects.values_list("currency", flat=True)) == {"USD"}


def test_amortization_returns_capital_without_shares():
    p, asset = PortfolioFactory(), AssetFactory(ticker="MXRF11", asset_type=AssetType.FII)
    trade(p, asset, "compra", 100, "10.00", on="2025-03-10")
    trade(p, asset, "amortizacao", 100, "0.25", on="2025-03-20")
    pos = position(p, asset)
    assert (pos.quantity, pos.cost_basis, pos.average_cost, pos.realized_pnl) == (
        D(100),
        D("975.00"),
        D("9.75"),
        D("0"),
    )

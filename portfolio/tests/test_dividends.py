"""Proventos by holdings on the data com, their cash credit and recomputation."""

from datetime import date

import pytest
import time_machine

from portfolio import services
from portfolio.choices import CashKind, Market
from portfolio.models import CashMovement, DividendReceipt

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def dividend(asset, kind, value, data_com, paid_on=None, rate="0"):
    return services.dividend_create(
        asset=asset,
        kind=kind,
        value_per_share=D(value),
        data_com=date.fromisoformat(data_com),
        payment_date=date.fromisoformat(paid_on) if paid_on else None,
        withholding_rate=D(rate),
    )


def test_receipt_uses_quantity_held_on_data_com():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10", on="2025-03-10")
    trade(p, asset, "compra", 50, "10", on="2025-03-21")  # after the data com: not entitled
    div = dividend(asset, "dividendo", "0.50", "2025-03-20", "2025-04-15")
    receipt = DividendReceipt.objects.get(dividend=div)
    assert (receipt.quantity, receipt.gross_amount, receipt.tax_amount, receipt.net_amount) == (
        D(100),
        D("50.00"),
        D("0"),
        D("50.00"),
    )
    assert receipt.paid
    movement = CashMovement.objects.get(dividend_receipt=receipt)
    assert (movement.kind, movement.amount, movement.currency) == (CashKind.CREDITO_PROVENTO, D("50.00"), "BRL")


def test_trade_on_data_com_counts_and_jcp_withholds_15_percent():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10", on="2025-03-20 16:00")
    div = dividend(asset, "jcp", "1.00", "2025-03-20", "2025-04-15", rate="15")
    receipt = DividendReceipt.objects.get(dividend=div)
    assert (receipt.gross_amount, receipt.tax_amount, receipt.net_amount) == (D("100.00"), D("15.00"), D("85.00"))


def test_consolidated_per_position_and_sold_before_data_com_gets_nothing():
    p, asset = PortfolioFactory(), AssetFactory()
    xp, rico = BrokerFactory(name="XP"), BrokerFactory(name="Rico")
    trade(p, asset, "compra", 100, "10", broker=xp, on="2025-03-10")
    trade(p, asset, "compra", 30, "10", broker=rico, on="2025-03-10")
    trade(p, asset, "venda", 30, "10", broker=rico, on="2025-03-15")
    div = dividend(asset, "dividendo", "0.10", "2025-03-20", "2025-04-15")
    assert list(DividendReceipt.objects.filter(dividend=div).values_list("position__broker__name", "net_amount")) == [
        ("XP", D("10.00"))
    ]


def test_back_dated_trade_recomputes_receipt_and_its_credit():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10", on="2025-03-10")
    div = dividend(asset, "rendimento", "0.10", "2025-03-20", "2025-04-15")
    trade(p, asset, "compra", 100, "10", on="2025-03-12")
    receipt = DividendReceipt.objects.get(dividend=div)
    assert (receipt.quantity, receipt.net_amount) == (D(200), D("20.00"))
    assert receipt.cash_movement.amount == D("20.00")
    # and a back-dated sale of everything removes receipt and credit
    trade(p, asset, "venda", 200, "10", on="2025-03-13")
    assert not DividendReceipt.objects.filter(dividend=div).exists()
    assert not CashMovement.objects.filter(kind=CashKind.CREDITO_PROVENTO).exists()


def test_split_before_data_com_counts_new_quantity():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10", on="2025-03-10")
    services.event_create(asset=asset, kind="split", event_date=date(2025, 3, 15), ratio_from=D(1), ratio_to=D(3))
    div = dividend(asset, "dividendo", "0.10", "2025-03-20", "2025-04-15")
    assert DividendReceipt.objects.get(dividend=div).quantity == D(300)


def test_credit_due_dividends_pays_when_the_date_arrives_and_is_idempotent():
    p, asset = PortfolioFactory(), AssetFactory()
    with time_machine.travel("2025-03-25 12:00 -03:00", tick=False):
        trade(p, asset, "compra", 100, "10", on="2025-03-10")
        div = dividend(asset, "dividendo", "0.50", "2025-03-20", "2025-04-15")
        receipt = DividendReceipt.objects.get(dividend=div)
        assert not receipt.paid
        assert services.credit_due_dividends() == {
            "receipts_paid": 0,
            "cash_movements_created": 0,
            "fx_rates_filled": 0,
        }
    with time_machine.travel("2025-04-15 08:00 -03:00", tick=False):
        assert services.credit_due_dividends() == {
            "receipts_paid": 1,
            "cash_movements_created": 1,
            "fx_rates_filled": 0,
        }
        assert services.credit_due_dividends() == {
            "receipts_paid": 0,
            "cash_movements_created": 0,
            "fx_rates_filled": 0,
        }
    receipt.refresh_from_db()
    assert receipt.paid
    assert CashMovement.objects.get(dividend_receipt=receipt).amount == D("50.00")


def test_foreign_dividend_keeps_currency_and_fx():
    from quotes.models import FxRate

    FxRate.objects.create(pair="USD-BRL", date=date(2025, 4, 10), rate=D("5.10"), source="test")
    p = PortfolioFactory()
    ko = AssetFactory(ticker="KO", market=Market.US, currency="USD")
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    trade(p, ko, "compra", 10, "60", broker=avenue, fx_rate="5.00", on="2025-03-10")
    div = services.dividend_create(
        asset=ko,
        kind="dividendo",
        value_per_share=D("0.485"),
        data_com=date(2025, 3, 14),
        payment_date=date(2025, 4, 15),
        withholding_rate=D(30),
    )
    receipt = DividendReceipt.objects.get(dividend=div)
    assert (receipt.gross_amount, receipt.tax_amount, receipt.net_amount, receipt.fx_rate) == (
        D("4.85"),
        D("1.46"),
        D("3.39"),
        D("5.10"),
    )
    assert receipt.cash_movement.currency == "USD"


def test_editing_and_deleting_a_dividend():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "10", on="2025-03-10")
    div = dividend(asset, "dividendo", "0.50", "2025-03-20", "2025-04-15")
    services.dividend_update(dividend=div, value_per_share=D("0.60"))
    assert DividendReceipt.objects.get(dividend=div).cash_movement.amount == D("60.00")
    services.dividend_update(dividend=div, data_com=date(2025, 3, 5))  # before the buy
    assert not DividendReceipt.objects.filter(dividend=div).exists()
    services.dividend_delete(dividend=div)
    assert not CashMovement.objects.filter(kind=CashKind.CREDITO_PROVENTO).exists()


def test_unknown_fx_is_never_1_and_is_filled_in_by_the_daily_task(monkeypatch):
    """Issue 11 §1: a foreign receipt without a rate keeps no rate (never 1.0) until one is known;
    a provento already paid with no known rate is refused where it is entered."""
    from django.core.exceptions import ValidationError

    from portfolio.services import dividends as dividend_services
    from quotes.models import FxRate

    p = PortfolioFactory()
    ko = AssetFactory(ticker="KO", market=Market.US, currency="USD")
    trade(p, ko, "compra", 10, "60", broker=BrokerFactory(name="Avenue"), fx_rate="5.00", on="2025-03-10")
    with pytest.raises(ValidationError) as refused:  # a person typing it: refused
        services.dividend_create(
            asset=ko,
            kind="dividendo",
            value_per_share=D("0.50"),
            data_com=date(2025, 3, 14),
            payment_date=date(2025, 4, 15),
            actor=p.owner,
        )
    assert "payment_date" in refused.value.message_dict
    monkeypatch.setattr(dividend_services, "_today", lambda: date(2025, 3, 20))  # announced, not yet paid
    div = dividend(ko, "dividendo", "0.50", "2025-03-14", "2025-04-15")
    receipt = DividendReceipt.objects.get(dividend=div)
    assert (receipt.fx_rate, receipt.fx_source) == (None, "")
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 4, 14), rate=D("5.05"), source="bcb")
    assert services.credit_due_dividends(today=date(2025, 3, 20))["fx_rates_filled"] == 1
    receipt.refresh_from_db()
    assert (receipt.fx_rate, receipt.fx_source) == (D("5.05"), "bcb")
    assert services.credit_due_dividends(today=date(2025, 3, 20))["fx_rates_filled"] == 0

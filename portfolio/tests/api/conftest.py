"""A small world for API tests: one investor with a portfolio, a trade, a dividend and cash."""

from datetime import date
from types import SimpleNamespace

import pytest

from portfolio import services
from portfolio.choices import CashKind

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade


@pytest.fixture
def world(user, other_user, admin_user, readonly_user):
    xp = BrokerFactory(name="XP Investimentos")
    rico = BrokerFactory(name="Rico")
    petr = AssetFactory(ticker="PETR4", name="Petrobras PN")
    vale = AssetFactory(ticker="VALE3", name="Vale ON")
    portfolio = PortfolioFactory(owner=user, name="Aposentadoria")
    other_portfolio = PortfolioFactory(owner=other_user, name="Outra")
    tx = trade(portfolio, petr, "compra", 100, "30.00", broker=xp, on="2025-03-10")
    trade(other_portfolio, vale, "compra", 10, "60.00", broker=rico, on="2025-03-10")
    dividend = services.dividend_create(
        asset=petr,
        kind="dividendo",
        value_per_share=D("0.50"),
        data_com=date(2025, 3, 20),
        payment_date=date(2025, 4, 15),
    )
    event = services.event_create(asset=vale, kind="cisao", event_date=date(2025, 1, 10))
    deposit = services.cash_movement_create(
        owner=user, broker=xp, kind=CashKind.DEPOSITO, amount=D("5000"), portfolio=portfolio
    )
    return SimpleNamespace(
        owner=user,
        other=other_user,
        admin=admin_user,
        readonly=readonly_user,
        xp=xp,
        rico=rico,
        petr=petr,
        vale=vale,
        portfolio=portfolio,
        other_portfolio=other_portfolio,
        tx=tx,
        position=portfolio.positions.get(),
        receipt=dividend.receipts.get(),
        dividend=dividend,
        event=event,
        deposit=deposit,
    )

"""The desk's test world: one investor at two brokers whose books differ from B3's statement in
every way the reconciliation must name (see ``files/make_samples.py`` for the statement)."""

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from portfolio import services
from portfolio.choices import AssetType, CashKind

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

FILES = Path(__file__).resolve().parent / "files"
AS_OF = date(2025, 3, 31)


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()


@pytest.fixture
def desk(user, other_user, admin_user, readonly_user):
    xp = BrokerFactory(name="XP Investimentos")
    nu = BrokerFactory(name="Nu Invest")
    assets = {
        t: AssetFactory(ticker=t, name=f"{t} S.A.")
        for t in ("PETR4", "ITSA4", "BBAS3", "VALE3", "WEGE3", "VIIA3", "BHIA3", "TAEE11")
    }
    assets["HGLG11"] = AssetFactory(ticker="HGLG11", name="CSHG Logística", asset_type=AssetType.FII)
    assets["TESOURO-SELIC-2029"] = AssetFactory(
        ticker="TESOURO-SELIC-2029", name="Tesouro Selic 2029", asset_type=AssetType.TESOURO_DIRETO
    )
    portfolio = PortfolioFactory(owner=user, name="Principal")
    second = PortfolioFactory(owner=user, name="Dividendos")
    on = "2025-02-10"
    trade(portfolio, assets["PETR4"], "compra", 60, "35.00", broker=xp, on=on)
    trade(second, assets["PETR4"], "compra", 40, "36.00", broker=xp, on=on)  # two portfolios, one broker
    trade(portfolio, assets["ITSA4"], "compra", 200, "10.00", broker=xp, on=on)  # B3: 220 (bonificação 10 %)
    trade(portfolio, assets["BBAS3"], "compra", 100, "50.00", broker=xp, on=on)  # B3: 200 (desdobramento)
    trade(portfolio, assets["VALE3"], "compra", 50, "60.00", broker=xp, on=on)  # B3: at Nu (portabilidade)
    trade(portfolio, assets["VIIA3"], "compra", 40, "3.00", broker=xp, on=on)  # B3: BHIA3 (ticker change)
    trade(portfolio, assets["HGLG11"], "compra", 10, "160.00", broker=xp, on=on)
    trade(portfolio, assets["TESOURO-SELIC-2029"], "compra", "1.5", "14000", broker=xp, on=on)
    trade(portfolio, assets["TAEE11"], "compra", 10, "35.00", broker=xp, on="2025-03-31 11:00")  # not settled
    trade(portfolio, assets["PETR4"], "compra", 5, "38.00", broker=xp, on="2025-04-02")  # after the statement
    services.cash_movement_create(
        owner=user, broker=xp, kind=CashKind.DEPOSITO, amount=D("20000"), portfolio=portfolio, date=date(2025, 2, 1)
    )
    other = PortfolioFactory(owner=other_user, name="Outra")
    trade(other, assets["PETR4"], "compra", 999, "30.00", broker=xp, on=on)
    return SimpleNamespace(
        owner=user,
        other=other_user,
        admin=admin_user,
        readonly=readonly_user,
        xp=xp,
        nu=nu,
        assets=assets,
        portfolio=portfolio,
        second=second,
        other_portfolio=other,
    )

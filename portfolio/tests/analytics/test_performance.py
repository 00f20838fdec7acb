"""TWR, XIRR, P&L and risk against values computed by hand for small histories."""

from datetime import date

import numpy as np
import pytest
import time_machine

from portfolio import services
from portfolio.analytics import engine, selectors
from quotes.models import FxRate, IndicatorRate, PriceBar

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def bars(asset, closes: dict):
    PriceBar.objects.bulk_create(
        [PriceBar(asset=asset, date=date.fromisoformat(d), close=D(c)) for d, c in closes.items()]
    )


def perf(portfolio, **kw):
    return selectors.performance(scope=selectors.Scope(owner_id=portfolio.owner_id, portfolio_id=portfolio.pk), **kw)


@time_machine.travel("2025-03-06 20:00 -0300", tick=False)
def test_twr_ignores_the_size_of_the_flows():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2025-03-03": "11.00", "2025-03-04": "12.10", "2025-03-05": "11.00", "2025-03-06": "12.00"})
    trade(p, x, "compra", 100, "10.00", on="2025-03-03 11:00")  # 1,000 from outside
    trade(p, x, "compra", 100, "12.10", on="2025-03-05 11:00")  # 1,210 from outside
    r = perf(p, period="max", benchmarks=["CDI"])
    # Daily: 1100/1000, 1210/1100, 2200/(1210+1210), 2400/2200 → 1.1 × 1.1 × 2200/2420 × 2400/2200 = 1.2
    assert r["twr"] == pytest.approx(0.2, abs=1e-9)
    assert r["end_value"] == "2400.00"
    assert r["net_flows"] == "2210.00"
    assert r["unrealized_pnl"] == "190.00"  # 2,400 − 2,210
    assert r["max_drawdown"] == pytest.approx(2200 / 2420 - 1, abs=1e-6)
    [asset] = r["assets"]
    assert (asset["ticker"], asset["quantity"], asset["value"]) == ("XPTO3", 200.0, "2400.00")
    assert asset["twr"] == pytest.approx(0.2, abs=1e-9)
    assert r["allocation"]["class"] == {"renda_variavel": "2400.00"}


@time_machine.travel("2024-01-03 20:00 -0300", tick=False)
def test_xirr_of_one_year_is_the_simple_return():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2023-01-02": "10.00", "2024-01-02": "11.00"})
    trade(p, x, "compra", 100, "10.00", on="2023-01-02 11:00")
    r = perf(p, end=date(2024, 1, 2), period="max")
    assert r["mwr"] == pytest.approx(0.10, abs=1e-9)  # 1,100 / 1,000 over 365 days
    assert r["twr"] == pytest.approx(0.10, abs=1e-9)
    assert r["twr_annualised"] == pytest.approx(0.10, abs=1e-9)


@time_machine.travel("2024-01-03 20:00 -0300", tick=False)
def test_xirr_with_two_contributions_zeroes_the_npv():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2023-01-02": "10.00", "2023-07-03": "10.50", "2024-01-02": "11.00"})
    trade(p, x, "compra", 100, "10.00", on="2023-01-02 11:00")
    trade(p, x, "compra", 100, "10.50", on="2023-07-03 11:00")
    rate = perf(p, end=date(2024, 1, 2))["mwr"]
    npv = -1000 - 1050 / (1 + rate) ** (182 / 365) + 2200 / (1 + rate) ** (365 / 365)
    assert abs(npv) < 1e-3
    assert rate == pytest.approx(0.099073, abs=1e-6)


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_sales_realize_dividends_count_and_cash_stays_inside():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2025-03-03": "10.00", "2025-03-04": "11.00", "2025-03-05": "11.00", "2025-03-07": "11.00"})
    trade(p, x, "compra", 100, "10.00", on="2025-03-03 11:00")
    trade(p, x, "venda", 50, "11.00", on="2025-03-04 11:00")  # realized +50, 550 stays as cash
    services.dividend_create(
        asset=x,
        kind="dividendo",
        value_per_share=D("1.00"),
        data_com=date(2025, 3, 4),
        payment_date=date(2025, 3, 5),
    )  # 50 shares × 1.00
    r = perf(p)
    assert r["realized_pnl"] == "50.00"
    assert r["dividends"] == "50.00"
    assert r["cash"] == "600.00"
    assert r["end_value"] == "1150.00"  # 50 × 11 + 600
    assert r["twr"] == pytest.approx(0.15, abs=1e-9)  # 1,000 → 1,150 with no further flows


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_recorded_deposit_and_withdrawal_are_the_flows():
    p = PortfolioFactory()
    broker = BrokerFactory(name="XP Investimentos")
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2025-03-03": "10.00", "2025-03-04": "12.00", "2025-03-05": "12.00", "2025-03-06": "12.00"})
    services.cash_movement_create(
        owner=p.owner, broker=broker, portfolio=p, kind="deposito", amount=D("2000"), date=date(2025, 3, 3)
    )
    trade(p, x, "compra", 100, "10.00", broker=broker, on="2025-03-03 11:00")
    services.cash_movement_create(
        owner=p.owner, broker=broker, portfolio=p, kind="saque", amount=D("500"), date=date(2025, 3, 5)
    )
    r = perf(p)
    # Day 1: 2,000 in → 2,000 (1,000 cash + 1,000 stock); day 2: 2,200; day 3: 500 out at the end → 1,700
    # r = 2000/2000 × 2200/2000 × (1700+500)/2200 × 1 → 10 %
    assert r["twr"] == pytest.approx(0.10, abs=1e-9)
    assert (r["inflows"], r["outflows"], r["cash"]) == ("2000.00", "500.00", "500.00")


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_foreign_asset_valued_at_the_fx_of_each_day():
    p = PortfolioFactory()
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    for d, rate in (("2025-03-03", "5.00"), ("2025-03-05", "6.00")):
        FxRate.objects.create(pair="USD-BRL", date=date.fromisoformat(d), rate=D(rate))
    bars(aapl, {"2025-03-03": "100.00"})
    trade(p, aapl, "compra", 1, "100.00", on="2025-03-03 11:00")  # R$ 500
    r = perf(p)
    assert r["end_value"] == "600.00"  # same price, dollar up 20 %
    assert r["twr"] == pytest.approx(0.20, abs=1e-9)


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_cdi_benchmark_and_sharpe_inputs():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    bars(x, {"2025-03-03": "10.00", "2025-03-04": "10.10", "2025-03-05": "10.00", "2025-03-06": "10.20"})
    for d in ("2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"):
        IndicatorRate.objects.create(series="CDI", date=date.fromisoformat(d), value=D("0.05"))
    trade(p, x, "compra", 100, "10.00", on="2025-03-03 11:00")
    r = perf(p, benchmarks=["CDI"])
    assert r["cdi_return"] == pytest.approx(1.0005**4 - 1, abs=1e-9)
    assert r["benchmarks"]["CDI"]["return"] == pytest.approx(1.0005**4 - 1, abs=1e-9)
    assert r["benchmarks"]["CDI"]["excess_return"] == pytest.approx(0.02 - (1.0005**4 - 1), abs=1e-9)


def test_engine_drawdown_volatility_and_periods():
    assert engine.max_drawdown(np.array([0.1, -0.2, 0.1])) == pytest.approx(-0.2)
    assert engine.window_for("3m", first=date(2020, 1, 1), end=date(2025, 5, 31)) == date(2025, 3, 1)
    assert engine.window_for("ytd", first=date(2020, 1, 1), end=date(2025, 5, 31)) == date(2025, 1, 1)
    assert engine.window_for("max", first=date(2020, 1, 1), end=date(2025, 5, 31)) == date(2020, 1, 1)
    assert engine.window_for("12m", first=date(2025, 1, 1), end=date(2025, 5, 31)) == date(2025, 1, 1)
    days = engine.grid(date(2025, 3, 7), date(2025, 3, 10))  # Fri, (Sat, Sun skipped), Mon
    assert [str(d) for d in days] == ["2025-03-07", "2025-03-10"]
    # IPCA of 1 % in a month of 2 grid days accrues 1 % over it.
    index = engine.ipca_index(days, {date(2025, 3, 1): 1.0})
    assert index[-1] == pytest.approx(1.01)


def test_empty_portfolio_has_no_figures():
    p = PortfolioFactory()
    assert perf(p)["empty"] is True


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_all_portfolios_together_add_up():
    p1 = PortfolioFactory()
    p2 = PortfolioFactory(owner=p1.owner)
    x, y = AssetFactory(ticker="XPTO3"), AssetFactory(ticker="YPTO3")
    bars(x, {"2025-03-03": "10.00", "2025-03-05": "11.00"})
    bars(y, {"2025-03-03": "20.00", "2025-03-05": "18.00"})
    trade(p1, x, "compra", 100, "10.00", on="2025-03-03 11:00")
    trade(p2, y, "compra", 50, "20.00", on="2025-03-03 11:00")
    total = selectors.performance(scope=selectors.Scope(owner_id=p1.owner_id))
    assert total["end_value"] == "2000.00"  # 1,100 + 900
    assert total["twr"] == pytest.approx(0.0, abs=1e-9)  # +10 % on 1,000 and −10 % on 1,000
    assert {a["ticker"] for a in total["assets"]} == {"XPTO3", "YPTO3"}

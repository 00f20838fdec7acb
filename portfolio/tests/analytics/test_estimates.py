"""Issue 11 §1: estimates are named in each performance response; FX is never 1.0."""

from datetime import date

import pytest
import time_machine

from portfolio.analytics import selectors
from quotes.models import PriceBar

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def perf(portfolio, **kw):
    return selectors.performance(scope=selectors.Scope(owner_id=portfolio.owner_id, portfolio_id=portfolio.pk), **kw)


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_unpriced_asset_and_benchmark_proxy_are_listed(settings):
    settings.ANALYTICS_BENCHMARK_TICKERS = {**settings.ANALYTICS_BENCHMARK_TICKERS, "IBOV": ["BOVA11"]}
    p = PortfolioFactory()
    unpriced = AssetFactory(ticker="XPTO3")
    bova = AssetFactory(ticker="BOVA11", asset_type="etf")
    PriceBar.objects.bulk_create([PriceBar(asset=bova, date=date(2025, 3, d), close=D("120.00")) for d in (5, 6, 7)])
    trade(p, unpriced, "compra", 100, "10.00", on="2025-03-03 11:00")
    r = perf(p, period="max", benchmarks=["IBOV"])
    kinds = {(e["kind"], e.get("ticker")) for e in r["estimates"]}
    assert ("valued_at_cost", "XPTO3") in kinds
    assert ("benchmark_proxy", "BOVA11") in kinds
    assert ("benchmark_backfilled", "BOVA11") in kinds  # 03–04/03 before BOVA11's first price
    assert r["missing_fx"] == []


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_a_currency_without_rates_is_left_out_and_listed():
    p = PortfolioFactory()
    brl = AssetFactory(ticker="PETR4")
    ko = AssetFactory(ticker="KO", market="US", asset_type="stock", currency="USD")
    PriceBar.objects.bulk_create([PriceBar(asset=brl, date=date(2025, 3, d), close=D("10.00")) for d in (3, 5, 7)])
    PriceBar.objects.bulk_create([PriceBar(asset=ko, date=date(2025, 3, d), close=D("60.00")) for d in (3, 5, 7)])
    trade(p, brl, "compra", 100, "10.00", on="2025-03-03 11:00")
    trade(p, ko, "compra", 10, "60.00", broker=BrokerFactory(name="Avenue"), fx_rate="5.00", on="2025-03-03 11:00")
    r = perf(p, period="max", benchmarks=["CDI"])
    assert r["end_value"] == "1000.00"  # KO left out: no USD-BRL rate on any day, never 1.0
    [missing] = r["missing_fx"]
    assert (missing["currency"], missing["from"], missing["to"]) == ("USD", "2025-03-03", "2025-03-07")


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_an_opening_balance_is_an_inflow_in_kind_not_a_return(user):
    from portfolio import services

    p = PortfolioFactory(owner=user)
    petr = AssetFactory(ticker="PETR4")
    PriceBar.objects.bulk_create(
        [PriceBar(asset=petr, date=date(2025, 3, d), close=D("12.00")) for d in (3, 4, 5, 6, 7)]
    )
    services.opening_position_create(
        owner=user,
        portfolio=p,
        broker=BrokerFactory(name="XP"),
        asset=petr,
        as_of=date(2025, 3, 3),
        quantity=D(100),
        average_cost=D("10.00"),
    )
    r = perf(p, period="max", benchmarks=["CDI"])
    assert r["end_value"] == "1200.00"
    assert r["twr"] == pytest.approx(0.0, abs=1e-12)  # arrived at 1,200 (market), still 1,200

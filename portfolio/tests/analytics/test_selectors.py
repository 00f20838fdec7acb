"""What ``analytics/selectors.py`` feeds the figures: today's quote, benchmarks in reais, the IPCA
projection, the allocation of what is still held, and the snapshots read back."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portfolio.analytics import selectors
from portfolio.analytics.services import month_end_snapshots
from quotes.models import FxRate, IndicatorRate, PriceBar, Quote

from ..factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def perf(portfolio, **kw):
    return selectors.performance(scope=selectors.Scope(owner_id=portfolio.owner_id, portfolio_id=portfolio.pk), **kw)


def bars(asset, closes: dict):
    PriceBar.objects.bulk_create(
        [PriceBar(asset=asset, date=date.fromisoformat(d), close=D(c)) for d, c in closes.items()]
    )


def held_from_monday():
    """100 XPTO3 bought on Monday 03/03/2025 at 10.00, closing at 10.00 every day to Thursday."""
    p, x = PortfolioFactory(), AssetFactory(ticker="XPTO3")
    bars(x, {f"2025-03-0{d}": "10.00" for d in (3, 4, 5, 6)})
    trade(p, x, "compra", 100, "10.00", on="2025-03-03 11:00")
    return p, x


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
@pytest.mark.parametrize(
    ("market_time", "end_value"),
    [
        (datetime(2025, 3, 7, 17, 0, tzinfo=SAO_PAULO), "1200.00"),  # today's quote values today
        (datetime(2025, 3, 2, 17, 0, tzinfo=SAO_PAULO), "1000.00"),  # older than 4 days: ignored
    ],
)
def test_todays_quote_values_the_last_day(market_time, end_value):
    p, x = held_from_monday()
    Quote.objects.create(
        asset=x, price=D("12.00"), currency="BRL", source="brapi", market_time=market_time, fetched_at=market_time
    )
    assert perf(p)["end_value"] == end_value
    # a period that ends before today keeps the closes
    assert perf(p, start=date(2025, 3, 3), end=date(2025, 3, 6))["end_value"] == "1000.00"


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_a_dollar_benchmark_is_measured_in_reais_at_each_days_rate(settings):
    # The first candidate has no history and a BR homonym of the second is skipped by its market.
    settings.ANALYTICS_BENCHMARK_TICKERS = {**settings.ANALYTICS_BENCHMARK_TICKERS, "SP500": ["IVV:US", "SPY:US"]}
    p, _x = held_from_monday()
    AssetFactory(ticker="IVV", market="US", asset_type="etf_intl", currency="USD")
    bars(AssetFactory(ticker="SPY", market="BR", asset_type="etf"), {"2025-03-03": "1.00", "2025-03-07": "9.00"})
    spy = AssetFactory(ticker="SPY", market="US", asset_type="etf_intl", currency="USD")
    bars(spy, {"2025-03-03": "500.00", "2025-03-07": "520.00"})
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 2, 28), rate=D("5.00"), source="bcb")
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 3, 7), rate=D("5.50"), source="bcb")
    r = perf(p, benchmarks=["SP500"])
    # 500 × 5.00 = 2,500 → 520 × 5.50 = 2,860 reais: +14.4 % (the dollar's rise counts, as for a holder here).
    assert r["benchmarks"]["SP500"]["return"] == pytest.approx(0.144, abs=1e-10)
    assert {"kind": "benchmark_proxy", "benchmark": "SP500", "ticker": "SPY", "reason": selectors.PROXY_NOTE} in r[
        "estimates"
    ]


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_a_dollar_benchmark_without_rates_is_left_out_and_named(settings):
    settings.ANALYTICS_BENCHMARK_TICKERS = {**settings.ANALYTICS_BENCHMARK_TICKERS, "SP500": ["SPY:US"]}
    p, _x = held_from_monday()
    bars(AssetFactory(ticker="SPY", market="US", asset_type="etf_intl", currency="USD"), {"2025-03-03": "500.00"})
    r = perf(p, benchmarks=["SP500"])
    assert r["benchmarks"]["SP500"] is None  # never converted at 1.0
    assert {
        "kind": "benchmark_missing_fx",
        "benchmark": "SP500",
        "currency": "USD",
        "from": "2025-03-03",
        "to": "2025-03-07",
        "days": 5,
    } in r["estimates"]


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_an_unpublished_ipca_repeats_the_last_month_and_says_so():
    p, x = PortfolioFactory(), AssetFactory(ticker="XPTO3")
    bars(x, {"2025-02-24": "10.00"})
    trade(p, x, "compra", 100, "10.00", on="2025-02-24 11:00")
    IndicatorRate.objects.create(series="IPCA", date=date(2025, 2, 1), value=D("1.00"))
    r = perf(p, benchmarks=["IPCA"])
    # 1 % spread over February's 5 grid days (24–28) and, repeated, over March's 5 (03–07); the
    # first day's share is already in the base.
    assert r["benchmarks"]["IPCA"]["return"] == pytest.approx(1.01**1.8 - 1, abs=1e-10)  # sent to 10 places
    assert {
        "kind": "ipca_not_published",
        "benchmark": "IPCA",
        "months": ["2025-03"],
        "reason": "IPCA ainda não publicado: repete o de 02/2025",
    } in r["estimates"]


def test_benchmark_names_are_validated():
    assert selectors.benchmark_names(None) == ["CDI", "IBOV"]
    assert selectors.benchmark_names("cdi, IPCA 6") == ["CDI", "IPCA+6"]  # an unencoded "+" arrives as a space
    for bad, named in (("IPCA+seis", "IPCA+SEIS"), ("CDI+2", "CDI+2"), ("nasdaq", "NASDAQ")):
        with pytest.raises(ValueError) as exc:
            selectors.benchmark_names(f"CDI,{bad}")
        assert exc.value.args == (named,)  # the bad one is named back


@time_machine.travel("2025-03-07 20:00 -0300", tick=False)
def test_allocation_counts_only_what_is_still_held():
    p, _x = held_from_monday()
    fii = AssetFactory(ticker="HGLG11", asset_type="fii")
    bars(fii, {"2025-03-03": "100.00"})
    trade(p, fii, "compra", 10, "100.00", on="2025-03-03 11:00")
    trade(p, fii, "venda", 10, "110.00", on="2025-03-05 11:00")
    r = perf(p, benchmarks=["CDI"])
    assert r["allocation"] == {
        "class": {"renda_variavel": "1000.00"},
        "type": {"acao": "1000.00"},
        "currency": {"BRL": "1000.00"},
    }
    sold = next(a for a in r["assets"] if a["ticker"] == "HGLG11")  # listed for its realized result
    assert (sold["value"], sold["realized_pnl"]) == ("0.00", "100.00")


@time_machine.travel("2025-04-15 10:00 -0300", tick=False)
def test_snapshots_read_back_from_a_month_on():
    p, _x = held_from_monday()
    month_end_snapshots(month=date(2025, 3, 1))
    assert [s.month for s in selectors.snapshots_for(portfolio=p)] == [date(2025, 3, 31)]
    assert [s.month for s in selectors.snapshots_for(owner=p.owner, since=date(2025, 3, 1))] == [date(2025, 3, 31)]
    assert not selectors.snapshots_for(portfolio=p, since=date(2025, 4, 1)).exists()

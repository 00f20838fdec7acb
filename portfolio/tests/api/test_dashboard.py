"""Dashboard figures, hand-computed; query counts independent of the number of positions."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolio import selectors, services
from portfolio.choices import AssetType, CashKind, Market
from quotes.models import FxRate, Quote

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db
NOW = "2025-06-02 15:00 -03:00"


def quote(asset, price, currency="BRL", when="2025-06-02 14:00"):
    moment = timezone.make_aware(datetime.fromisoformat(when))
    return Quote.objects.create(
        asset=asset, price=D(price), currency=currency, source="test", market_time=moment, fetched_at=moment
    )


@pytest.fixture
def investor():
    with time_machine.travel(NOW, tick=False):
        owner = UserFactory()
        portfolio = PortfolioFactory(owner=owner, target_allocation={"renda_variavel": 80, "renda_fixa": 20})
        xp = BrokerFactory(name="XP Investimentos")
        avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
        petr = AssetFactory(ticker="PETR4")
        vale = AssetFactory(ticker="VALE3")
        hglg = AssetFactory(ticker="HGLG11", asset_type=AssetType.FII)
        aapl = AssetFactory(ticker="AAPL", market=Market.US, currency="USD", asset_type=AssetType.STOCK)
        services.cash_movement_create(
            owner=owner, broker=xp, kind=CashKind.DEPOSITO, amount=D(20000), portfolio=portfolio
        )
        services.cash_movement_create(
            owner=owner, broker=avenue, kind=CashKind.DEPOSITO, amount=D(2000), currency="USD", portfolio=portfolio
        )
        trade(portfolio, petr, "compra", 100, "30.00", broker=xp, on="2025-03-10")
        trade(portfolio, aapl, "compra", 10, "150.00", broker=avenue, fx_rate="5.00", on="2025-03-10")
        trade(portfolio, hglg, "compra", 10, "160.00", broker=xp, on="2025-03-10")
        trade(portfolio, vale, "compra", 10, "60.00", broker=xp, on="2025-03-10")
        trade(portfolio, vale, "venda", 10, "70.00", broker=xp, on="2025-03-11")
        services.dividend_create(
            asset=petr,
            kind="dividendo",
            value_per_share=D("0.50"),
            data_com=date(2025, 3, 20),
            payment_date=date(2025, 4, 15),
        )
        quote(petr, "35.00", when="2025-06-02 14:00")
        quote(aapl, "200.00", currency="USD", when="2025-05-30 17:00")
        FxRate.objects.create(pair="USD-BRL", date=date(2025, 6, 2), rate=D("5.50"), source="test")
        FxRate.objects.create(pair="USD-BRL", date=date(2025, 3, 10), rate=D("5.00"), source="test")
    return owner, portfolio


def test_dashboard_figures(investor, client_for):
    owner, portfolio = investor
    with time_machine.travel(NOW, tick=False):
        data = client_for(owner).get(f"/api/v1/portfolios/{portfolio.pk}/dashboard/").json()
    assert data["totals"] == {
        "market_value": "16100.00",  # 100 × 35 + 10 × 200 × 5.50 + HGLG11 at cost 1600
        "cost": "12100.00",  # 3000 + 7500 (BRL at the trade's FX) + 1600
        "unrealized_pnl": "4000.00",
        "unrealized_pnl_pct": "33.06",
        "realized_pnl": "100.00",  # VALE3 bought at 60, sold at 70
        "dividends_12m": "50.00",
        "positions": 3,
        "assets": 3,
    }
    assert [(a["key"], a["value"], a["weight"]) for a in data["allocation"]["by_type"]] == [
        ("stock", "11000.00", "68.32"),
        ("acao", "3500.00", "21.74"),
        ("fii", "1600.00", "9.94"),
    ]
    assert [(a["label"], a["weight"]) for a in data["allocation"]["by_broker"]] == [
        ("Avenue", "68.32"),
        ("XP Investimentos", "31.68"),
    ]
    assert [a["key"] for a in data["allocation"]["by_currency"]] == ["USD", "BRL"]
    assert [a["key"] for a in data["allocation"]["by_market"]] == ["US", "BR"]
    assert [(t["ticker"], t["priced"]) for t in data["top_positions"]] == [
        ("AAPL", True),
        ("PETR4", True),
        ("HGLG11", False),
    ]
    assert data["top_positions"][0]["unrealized_pnl"] == "3500.00"
    assert data["quotes"]["unpriced_tickers"] == ["HGLG11"]
    assert data["quotes"]["oldest_age_seconds"] == 3 * 24 * 3600 - 2 * 3600  # 30/05 17:00 → 02/06 15:00
    assert data["quotes"]["newest_age_seconds"] == 3600
    assert data["fx"] == {"USD": "5.5"}
    assert data["target_allocation"][0] == {
        "key": "renda_fixa",
        "label": "Renda fixa",
        "target_pct": "20.00",
        "actual_pct": "0.00",
        "difference_pct": "-20.00",
    }


def test_user_dashboard_spans_portfolios_and_is_invalidated_by_writes(
    investor, client_for, django_capture_on_commit_callbacks
):
    owner, portfolio = investor
    client = client_for(owner)
    with time_machine.travel(NOW, tick=False):
        first = client.get("/api/v1/dashboard/").json()
        assert first["totals"]["market_value"] == "16100.00"
        second_portfolio = PortfolioFactory(owner=owner)
        petr = portfolio.positions.get(asset__ticker="PETR4").asset
        with django_capture_on_commit_callbacks(execute=True):  # versions are bumped after commit
            trade(
                second_portfolio, petr, "compra", 10, "35.00", broker=BrokerFactory(name="Rico"), on="2025-06-02 10:00"
            )
        after = client.get("/api/v1/dashboard/").json()
        assert after["totals"]["market_value"] == "16450.00"
        assert after["totals"]["positions"] == 4


def test_missing_fx_is_reported_and_cost_used(investor, client_for):
    owner, portfolio = investor
    FxRate.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        data = selectors.compute_dashboard(owner_id=owner.pk, portfolio=portfolio)
    assert data["missing_fx"] == ["USD"]
    assert data["totals"]["market_value"] == "12600.00"  # AAPL falls back to its BRL cost 7500


def _many_positions(owner, count):
    portfolio = PortfolioFactory(owner=owner)
    broker = BrokerFactory(name="XP Investimentos")
    for n in range(count):
        asset = AssetFactory(ticker=f"ZZ{n:02d}3")
        trade(portfolio, asset, "compra", 10, "10.00", broker=broker, on="2025-03-10")
        if n % 2:
            quote(asset, "12.00")
    return portfolio


@pytest.mark.parametrize("count", [2, 30])
def test_dashboard_queries_do_not_grow_with_positions(count, client_for, django_assert_max_num_queries, settings):
    settings.PORTFOLIO_DASHBOARD_CACHE_SECONDS = 0
    owner = UserFactory()
    portfolio = _many_positions(owner, count)
    client = client_for(owner)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/dashboard/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/portfolios/{portfolio.pk}/dashboard/").status_code == 200


def test_cached_dashboard_needs_no_query(investor, client_for, django_assert_max_num_queries):
    owner, _portfolio = investor
    client = client_for(owner)
    client.get("/api/v1/dashboard/")
    with django_assert_max_num_queries(0):
        assert client.get("/api/v1/dashboard/").status_code == 200


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/api/v1/positions/", 4),
        # per-CPF ledger replayed by the tax engine: a constant number of queries (cached afterwards)
        ("/api/v1/positions/consolidated/", 14),
        ("/api/v1/transactions/", 3),
        ("/api/v1/dividends/received/", 3),
        ("/api/v1/cash-movements/", 3),
        ("/api/v1/portfolios/", 3),
        ("/api/v1/assets/", 3),
        ("/api/v1/dividends/", 3),
        ("/api/v1/transactions/export/?format=csv", 2),
        ("/api/v1/positions/export/?format=xlsx", 2),
        ("/api/v1/dividends/received/export/?format=csv", 2),
    ],
)
def test_lists_have_no_n_plus_one(url, limit, client_for, django_assert_max_num_queries):
    owner = UserFactory()
    portfolio = _many_positions(owner, 12)
    for position in portfolio.positions.all()[:6]:
        services.dividend_create(
            asset=position.asset,
            kind="dividendo",
            value_per_share=Decimal("0.1"),
            data_com=date(2025, 3, 20),
            payment_date=date(2025, 4, 1),
        )
    with django_assert_max_num_queries(limit):
        response = client_for(owner).get(url)
    assert response.status_code == 200

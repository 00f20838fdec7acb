"""The income calendar: to receive per month (confirmed vs projected), per asset and portfolio, paid vs
expected, JCP net at the table's rate, foreign income without FX listed (never at 1.0)."""

from datetime import date

import pytest

from portfolio import services
from portfolio.desk.selectors import add_months, income_calendar
from portfolio.models import DividendReceipt
from quotes.models import FxRate

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 10)


@pytest.fixture
def income(user, other_user):
    xp = BrokerFactory(name="XP Investimentos")
    petr = AssetFactory(ticker="PETR4", name="Petrobras PN")
    itsa = AssetFactory(ticker="ITSA4", name="Itaúsa PN")
    aapl = AssetFactory(ticker="AAPL", name="Apple", market="US", currency="USD", asset_type="stock")
    msft = AssetFactory(ticker="MSFT", name="Microsoft", market="US", currency="USD", asset_type="stock")
    main = PortfolioFactory(owner=user, name="Principal")
    second = PortfolioFactory(owner=user, name="Renda")
    trade(main, petr, "compra", 100, "30", broker=xp, on="2025-01-10")
    trade(second, itsa, "compra", 1000, "10", broker=xp, on="2025-01-10")
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 1, 9), rate=D("5.00"), source="bcb")
    trade(main, aapl, "compra", 10, "200", broker=xp, on="2025-01-10")
    trade(main, msft, "compra", 5, "400", broker=xp, on="2025-01-10")
    FxRate.objects.all().delete()  # from here on no USD rate is known
    trade(PortfolioFactory(owner=other_user), petr, "compra", 500, "30", broker=xp, on="2025-01-10")
    div = services.dividend_create
    div(
        asset=petr,
        kind="dividendo",
        value_per_share=D("1.00"),
        data_com=date(2025, 3, 20),
        payment_date=date(2025, 4, 15),
    )
    div(
        asset=petr,
        kind="dividendo",
        value_per_share=D("0.50"),
        data_com=date(2025, 6, 2),
        payment_date=date(2025, 7, 15),
    )
    # JCP without a rate: the dated table's jcp_rate (15 % in 2025)
    div(asset=itsa, kind="jcp", value_per_share=D("0.10"), data_com=date(2025, 6, 30), payment_date=date(2025, 8, 20))
    div(asset=itsa, kind="dividendo", value_per_share=D("0.02"), data_com=date(2025, 7, 1))  # no payment date yet
    div(
        asset=aapl,
        kind="dividendo",
        value_per_share=D("0.25"),
        data_com=date(2025, 5, 10),
        payment_date=date(2025, 5, 15),
    )
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 6, 5), rate=D("5.50"), source="bcb")
    div(
        asset=msft,
        kind="dividendo",
        value_per_share=D("1.00"),
        data_com=date(2025, 6, 20),
        payment_date=date(2025, 9, 10),
    )
    return {"main": main, "second": second, "petr": petr, "itsa": itsa}


def test_upcoming_by_month_asset_and_portfolio(user, income):
    data = income_calendar(owner_id=user.pk, today=TODAY)
    months = {row["month"]: row for row in data["upcoming"]["months"]}
    assert next(iter(months)) == "2025-06" and list(months)[-1] == "2026-05" and len(months) == 12
    assert months["2025-07"]["net_brl"] == "50.00" and months["2025-07"]["confirmed_brl"] == "50.00"
    assert months["2025-08"]["gross_brl"] == "100.00" and months["2025-08"]["tax_brl"] == "15.00"
    assert months["2025-08"]["net_brl"] == "85.00" and months["2025-08"]["projected_brl"] == "85.00"
    assert months["2025-09"]["net_brl"] == "27.50"  # 5 × US$ 1,00 at the latest known rate (5,50)
    assert data["upcoming"]["total_net_brl"] == "162.50"
    assert (data["upcoming"]["confirmed_brl"], data["upcoming"]["projected_brl"]) == ("50.00", "112.50")
    events = {e["ticker"]: e for e in data["upcoming"]["events"]}
    assert events["PETR4"]["status"] == "confirmado" and events["ITSA4"]["status"] == "previsto"
    assert events["ITSA4"]["tax_rate"] == "15" and "jcp_rate" in events["ITSA4"]["tax_rate_source"]
    assert events["MSFT"]["fx_estimated"] is True and events["MSFT"]["fx_rate"] == "5.5"
    assert [a["ticker"] for a in data["upcoming"]["by_asset"]] == ["ITSA4", "PETR4", "MSFT"]
    assert data["upcoming"]["by_asset"][1]["months"] == {"2025-07": "50.00"}
    assert {p["name"]: p["net_brl"] for p in data["upcoming"]["by_portfolio"]} == {
        "Renda": "85.00",
        "Principal": "77.50",
    }
    assert [e["ticker"] for e in data["upcoming"]["undated"]] == ["ITSA4"]


def test_past_paid_vs_expected_and_missing_fx(user, income):
    DividendReceipt.objects.filter(dividend__payment_date=date(2025, 4, 15)).update(paid=False)
    data = income_calendar(owner_id=user.pk, today=TODAY)
    past = {row["month"]: row for row in data["past"]["months"]}
    assert len(past) == 13 and "2024-06" in past and "2025-06" in past
    assert past["2025-04"] == {
        "month": "2025-04",
        "expected_brl": "100.00",
        "paid_brl": "0.00",
        "pending_brl": "100.00",
        "count": 1,
    }
    assert past["2025-05"]["expected_brl"] == "0.00"  # AAPL without a rate is never counted at 1.0
    assert data["missing_fx"] == [
        {
            "currency": "USD",
            "ticker": "AAPL",
            "payment_date": date(2025, 5, 15),
            "net": "2.50",
            "reason": "sem câmbio conhecido: fora dos totais em BRL (nunca convertido por 1,0)",
        }
    ]


def test_one_portfolio(user, income):
    data = income_calendar(owner_id=user.pk, portfolio_id=income["second"].pk, today=TODAY)
    assert data["upcoming"]["total_net_brl"] == "85.00" and data["missing_fx"] == []


def test_add_months():
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)


def test_api(user, other_user, admin_user, client_for, income):
    client = client_for(user)
    body = client.get("/api/v1/income/calendar/").json()
    assert body["owner"] == user.pk and len(body["upcoming"]["months"]) == 12
    assert body["upcoming"]["since"] and body["past"]["since"]
    one = client.get(f"/api/v1/income/calendar/?portfolio={income['second'].pk}").json()
    assert one["portfolio"] == income["second"].pk
    assert client_for(other_user).get(f"/api/v1/income/calendar/?portfolio={income['main'].pk}").status_code == 404
    assert client_for(other_user).get("/api/v1/income/calendar/").json()["owner"] == other_user.pk
    assert client.get("/api/v1/income/calendar/?portfolio=abc").status_code == 400
    admin = client_for(admin_user).get(f"/api/v1/income/calendar/?owner={user.pk}").json()
    assert admin["owner"] == user.pk
    assert client_for(None).get("/api/v1/income/calendar/").status_code == 401


def test_admin_calendar(client, admin_user, user, income):
    from unittest import mock

    from django.urls import reverse

    client.force_login(admin_user)
    assert client.get(reverse("admin:portfolio_incomecalendar_changelist")).status_code == 200
    with mock.patch("portfolio.desk.selectors.timezone.localdate", return_value=TODAY):
        page = client.get(reverse("admin:portfolio_incomecalendar_change", args=[income["main"].pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "PETR4" in html and "AAPL" in html
    with mock.patch("portfolio.desk.selectors.timezone.localdate", return_value=TODAY):
        everything = client.get(reverse("admin:portfolio_incomecalendar_change", args=[income["main"].pk]) + "?todas=1")
    assert "ITSA4" in everything.content.decode()
    missing = client.get(reverse("admin:portfolio_incomecalendar_change", args=[999999]))
    assert missing.status_code == 302


def test_column_chart_without_values():
    from portfolio.analytics.charts import column_chart

    assert "Sem valores" in column_chart(["01/25"], {"a": [0.0]})
    assert "<svg" in column_chart(["01/25", "02/25"], {"a": [1.0, None], "b": [2.0, 3.0]})

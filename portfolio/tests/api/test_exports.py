"""Exports: CSV and XLSX with exactly the rows the list shows for the same filters."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from portfolio import services

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(user):
    first, second = PortfolioFactory(owner=user, name="Ações"), PortfolioFactory(owner=user, name="FIIs")
    xp, rico = BrokerFactory(name="XP"), BrokerFactory(name="Rico")
    petr, hglg = AssetFactory(ticker="PETR4"), AssetFactory(ticker="HGLG11", asset_type="fii")
    trade(first, petr, "compra", 100, "30", broker=xp, on="2025-01-10")
    trade(first, petr, "venda", 40, "35", broker=xp, on="2025-02-10")
    trade(second, hglg, "compra", 10, "160", broker=rico, on="2025-03-10")
    services.dividend_create(
        asset=hglg,
        kind="rendimento",
        value_per_share=D("1.10"),
        data_com=date(2025, 3, 31),
        payment_date=date(2025, 4, 14),
    )
    return user, first, second


def rows_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def rows_xlsx(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 3),
        ("kind=venda", 1),
        ("ticker=petr4", 2),
        ("date_from=2025-02-01&date_to=2025-02-28", 1),
    ],
)
def test_transaction_export_honours_filters(history, client_for, query, expected):
    owner, _first, _second = history
    client = client_for(owner)
    listed = client.get(f"/api/v1/transactions/?{query}").json()
    exported = rows_csv(client.get(f"/api/v1/transactions/export/?format=csv&{query}"))
    assert len(exported) == listed["count"] == expected
    assert {int(r["id"]) for r in exported} == {r["id"] for r in listed["results"]}
    as_xlsx = rows_xlsx(client.get(f"/api/v1/transactions/export/?format=xlsx&{query}"))
    assert {r["id"] for r in as_xlsx} == {r["id"] for r in listed["results"]}


def test_position_export_by_portfolio_and_receipts_export(history, client_for):
    owner, first, _second = history
    client = client_for(owner)
    positions = rows_csv(client.get(f"/api/v1/positions/export/?format=csv&portfolio={first.pk}"))
    assert [(p["ticker"], p["quantity"], p["realized_pnl"]) for p in positions] == [("PETR4", "60", "200.00")]
    receipts = rows_xlsx(client.get("/api/v1/dividends/received/export/?format=xlsx&ticker=HGLG11"))
    assert [(r["ticker"], r["net_amount"], r["paid"]) for r in receipts] == [("HGLG11", 11.0, "sim")]
    assert rows_csv(client.get("/api/v1/dividends/received/export/?paid=false")) == []


def test_export_rejects_unknown_format_and_bad_filters_in_json(history, client_for):
    owner, _first, _second = history
    client = client_for(owner)
    response = client.get("/api/v1/transactions/export/?format=pdf")
    assert response.status_code == 400 and "format" in response.json()
    response = client.get("/api/v1/transactions/export/?date_from=ontem")
    assert response.status_code == 400 and "date_from" in response.json()


def test_consolidated_positions_are_per_taxpayer(user, client_for):
    """Issue 11 §3: one preço médio per CPF across brokers (the shape changed: custody per broker listed)."""
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(ticker="ITUB4")
    xp, rico = BrokerFactory(name="XP"), BrokerFactory(name="Rico")
    trade(portfolio, asset, "compra", 100, "30.00", broker=xp, on="2025-01-10")
    trade(portfolio, asset, "compra", 100, "32.00", broker=rico, on="2025-01-11")
    rows = client_for(user).get("/api/v1/positions/consolidated/").json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["view"], row["ticker"], row["category"]) == ("contribuinte", "ITUB4", "acoes")
    assert (row["quantity"], row["average_cost"], row["cost_basis"]) == ("200.0000000000", "31.00000000", "6200.00")
    assert row["realized_pnl_brl"] == "0.00"
    assert row["custody"] == [
        {"broker_id": xp.pk, "broker": "XP", "quantity": "100.0000000000"},
        {"broker_id": rico.pk, "broker": "Rico", "quantity": "100.0000000000"},
    ]

"""Analytics and tax endpoints: ownership matrix, validation, exports."""

import csv
import io
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import AuditEvent
from portfolio.analytics.models import PatrimonySnapshot
from portfolio.tax.models import MonthlyAssessment
from quotes.models import PriceBar

from ..factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2025-06-10 12:00 -0300", tick=False):
        yield


@pytest.fixture
def history(user):
    p = PortfolioFactory(owner=user, name="Longo prazo")
    x = AssetFactory(ticker="VALE3")
    PriceBar.objects.create(asset=x, date=date(2025, 1, 6), close=D("10.00"))
    PriceBar.objects.create(asset=x, date=date(2025, 1, 20), close=D("11.00"))
    trade(p, x, "compra", 3000, "10.00", on="2025-01-06")
    trade(p, x, "venda", 1000, "11.00", on="2025-01-20")  # sales 11,000: exempt gain 1,000
    trade(p, x, "venda", 1000, "12.00", on="2025-02-10")  # sales 12,000
    PatrimonySnapshot.objects.create(
        owner=user,
        portfolio=p,
        month=date(2025, 1, 31),
        total=D("33000"),
        invested=D("22000"),
        cash=D("11000"),
        cost=D("20000"),
        by_class={"renda_variavel": "22000.00"},
        by_type={"acao": "22000.00"},
    )
    return p


def test_owner_sees_performance_history_and_tax(client_for, user, history):
    api = client_for(user)
    perf = api.get(f"/api/v1/portfolios/{history.pk}/performance/?period=ytd&benchmark=CDI,IPCA+6")
    assert perf.status_code == 200, perf.content
    assert perf.json()["realized_pnl"] == "3000.00"
    assert set(perf.json()["benchmarks"]) == {"CDI", "IPCA+6"}
    everything = api.get("/api/v1/performance/?period=max")
    assert everything.status_code == 200
    assert [p["name"] for p in everything.json()["portfolios"]] == ["Longo prazo"]
    hist = api.get(f"/api/v1/portfolios/{history.pk}/history/")
    assert hist.json()["months"][0]["total"] == "33000.00"
    monthly = api.get("/api/v1/tax/monthly/?month=2025-01")
    assert monthly.status_code == 200, monthly.content
    assert monthly.json()["exemption"]["exempt_gain"] == "1000.00"
    darf = api.get("/api/v1/tax/darf/?year=2025")
    assert darf.status_code == 200
    assert {r["code"] for r in darf.json()["darfs"]} == {"6015", "4600"}
    annual = api.get("/api/v1/tax/annual/?year=2025")
    assert annual.json()["rendimentos_isentos"]["acoes_ate_20mil_20"] == "3000.00"
    rules = api.get("/api/v1/tax/rules/?on=2025-06-01")
    assert {r["key"]: r["value"] for r in rules.json()}["common_rate"] == "15.00000000"


def test_another_users_portfolio_is_404_and_user_param_is_ignored(client_for, other_user, user, history):
    api = client_for(other_user)
    assert api.get(f"/api/v1/portfolios/{history.pk}/performance/").status_code == 404
    assert api.get(f"/api/v1/portfolios/{history.pk}/history/").status_code == 404
    mine = api.get(f"/api/v1/tax/monthly/?month=2025-01&user={user.pk}")
    assert mine.status_code == 200
    assert mine.json()["operations"] == []  # their own (empty) month, not the other user's
    assert api.get(f"/api/v1/performance/?user={user.pk}").json()["user"] == other_user.pk


def test_admin_queries_anyone(client_for, admin_user, user, history):
    api = client_for(admin_user)
    assert api.get(f"/api/v1/portfolios/{history.pk}/performance/").status_code == 200
    monthly = api.get(f"/api/v1/tax/monthly/?month=2025-01&user={user.pk}")
    assert len(monthly.json()["operations"]) == 1
    assert api.get(f"/api/v1/performance/?user={user.pk}").json()["user"] == user.pk
    assert api.get("/api/v1/tax/monthly/?month=2025-01&user=999999").status_code == 404


def test_readonly_reads_but_cannot_file(client_for, readonly_user):
    api = client_for(readonly_user)
    assert api.get("/api/v1/tax/monthly/?month=2025-01").status_code == 200
    assert api.get("/api/v1/performance/").status_code == 200
    response = api.post("/api/v1/tax/monthly/file/", {"month": "2025-01"})
    assert response.status_code == 403
    assert not MonthlyAssessment.objects.exists()
    assert not AuditEvent.objects.filter(action="portfolio.tax.file").exists()


def test_anonymous_is_refused(client_for, history):
    api = client_for(None)
    for url in (
        f"/api/v1/portfolios/{history.pk}/performance/",
        "/api/v1/tax/monthly/?month=2025-01",
        "/api/v1/performance/",
    ):
        assert api.get(url).status_code == 401


def test_filing_a_month_and_undoing_it(client_for, user, history):
    api = client_for(user)
    filed = api.post("/api/v1/tax/monthly/file/", {"month": "2025-02", "paid_on": "2025-03-20"})
    assert filed.status_code == 200, filed.content
    assert filed.json()["paid_on"] == "2025-03-20"
    assert AuditEvent.objects.filter(action="portfolio.tax.file").count() == 1
    again = api.post("/api/v1/tax/monthly/file/", {"month": "2025-02"})
    assert again.status_code == 400
    month = api.get("/api/v1/tax/monthly/?month=2025-02").json()
    assert month["filing"]["filed"] is True and month["filing"]["differences"] == []
    assert api.post("/api/v1/tax/monthly/unfile/", {"month": "2025-02"}).status_code == 200
    assert api.post("/api/v1/tax/monthly/unfile/", {"month": "2025-02"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/tax/monthly/?month=2025-13", "month"),
        ("/api/v1/tax/monthly/", "month"),
        ("/api/v1/tax/darf/?year=abc", "year"),
        ("/api/v1/tax/annual/?year=2025&format=doc", "format"),
        ("/api/v1/performance/?period=7y", "period"),
        ("/api/v1/performance/?benchmark=NASDAQ", "benchmark"),
        ("/api/v1/performance/?start=2025-05-01&end=2025-01-01", "start"),
    ],
)
def test_bad_queries_are_field_level_400(client_for, user, url, field):
    response = client_for(user).get(url)
    assert response.status_code == 400
    assert field in response.json()


def test_future_month_cannot_be_filed(client_for, user):
    response = client_for(user).post("/api/v1/tax/monthly/file/", {"month": "2025-09"})
    assert response.status_code == 400
    assert "month" in response.json()


def test_annual_exports(client_for, user, history):
    api = client_for(user)
    as_csv = api.get("/api/v1/tax/annual/?year=2025&format=csv")
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert any(
        r and r[0] == "20 - Ganhos líquidos em ações (vendas até R$ 20 mil/mês)" and r[-1] == "3000.00" for r in rows
    )
    as_xlsx = api.get("/api/v1/tax/annual/?year=2025&format=xlsx")
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert "Bens e Direitos em 31-12-2025" in book.sheetnames
    sheet = book["Bens e Direitos em 31-12-2025"]
    assert sheet["C2"].value == "VALE3" and sheet["J2"].value == 10000.0
    as_pdf = api.get("/api/v1/tax/annual/?year=2025&format=pdf")
    assert as_pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert "Bens e Direitos" in text and "VALE3" in text


def test_filing_a_month_before_any_tax_rule_is_a_400(client_for, user):
    """Found by a schema fuzz run: the filing path did not turn a missing rule into a 400."""
    response = client_for(user).post("/api/v1/tax/monthly/file/", {"month": "1620-06"})
    assert response.status_code == 400
    assert not MonthlyAssessment.objects.exists()

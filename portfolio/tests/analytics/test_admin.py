"""Admin pages: evolution charts, the tax table (ADMIN edits), assessments."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.tests.factories import UserFactory
from portfolio.analytics import charts
from portfolio.tax import selectors as tax_selectors
from portfolio.tax import services as tax_services
from portfolio.tax.models import MonthlyAssessment, TaxRule
from quotes.models import PriceBar

from ..factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel("2025-06-10 12:00 -0300", tick=False)
def test_evolution_page_draws_svg_charts(admin_user):
    p = PortfolioFactory(name="Aposentadoria")
    x = AssetFactory(ticker="XPTO3")
    PriceBar.objects.create(asset=x, date=date(2025, 1, 6), close=D("10.00"))
    PriceBar.objects.create(asset=x, date=date(2025, 5, 6), close=D("12.00"))
    trade(p, x, "compra", 100, "10.00", on="2025-01-06")
    client = admin_client(admin_user)
    listing = client.get("/admin/portfolio/portfolioevolution/")
    assert listing.status_code == 200 and b"Aposentadoria" in listing.content
    page = client.get(f"/admin/portfolio/portfolioevolution/{p.pk}/change/?period=ytd")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<svg") >= 4  # value, TWR x CDI, allocation by class/type/currency
    assert "20,00%" in body  # 10 → 12


def test_tax_table_is_edited_by_admin_only(admin_user):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="taxrule"))
    rule = TaxRule.objects.get(key="common_rate")
    assert admin_client(staff).post(f"/admin/portfolio/taxrule/{rule.pk}/change/", {}).status_code == 403
    client = admin_client(admin_user)
    assert client.get("/admin/portfolio/taxrule/").status_code == 200
    # A new rate from 2030 on: close the current row, add the new one.
    response = client.post(
        f"/admin/portfolio/taxrule/{rule.pk}/change/",
        {
            "key": "common_rate",
            "value": "15",
            "valid_from": rule.valid_from.isoformat(),
            "valid_to": "2029-12-31",
            "legal_basis": rule.legal_basis,
            "notes": "",
        },
    )
    assert response.status_code == 302
    overlapping = client.post(
        "/admin/portfolio/taxrule/add/",
        {"key": "common_rate", "value": "17.5", "valid_from": "2029-06-01", "legal_basis": "", "notes": ""},
    )
    assert overlapping.status_code == 200 and "vigente neste período" in overlapping.content.decode()
    client.post(
        "/admin/portfolio/taxrule/add/",
        {"key": "common_rate", "value": "17.5", "valid_from": "2030-01-01", "legal_basis": "Lei nova", "notes": ""},
    )
    book = tax_selectors.rulebook()
    assert book.get("common_rate", date(2029, 12, 31)) == D("15")
    assert book.get("common_rate", date(2030, 1, 1)) == D("17.5")


@time_machine.travel("2025-06-10 12:00 -0300", tick=False)
def test_assessments_listed_and_recomputed(admin_user, user):
    p = PortfolioFactory(owner=user)
    x = AssetFactory(ticker="VALE3")
    trade(p, x, "compra", 3000, "10.00", on="2025-01-06")
    trade(p, x, "venda", 3000, "11.00", on="2025-01-20")
    counts = tax_services.assessments_refresh(month=date(2025, 1, 1))
    assert counts == {"month": "2025-01-01", "users": 1, "differ_from_filed": 0}
    row = MonthlyAssessment.objects.get(owner=user)
    assert row.tax_due == D("450.00") and row.darf_amount == D("448.35")
    client = admin_client(admin_user)
    assert client.get("/admin/portfolio/monthlyassessment/").status_code == 200
    assert client.get(f"/admin/portfolio/monthlyassessment/{row.pk}/change/").status_code == 200
    response = client.post("/admin/portfolio/monthlyassessment/", {"action": "recompute", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert client.get("/admin/portfolio/patrimonysnapshot/").status_code == 200


def test_charts_escape_labels_and_handle_empty_data():
    assert "Sem dados" in charts.line_chart(["a"], {"x": [1]})
    svg = charts.bar_chart({"<b>": 10.0, "ok": 30.0})
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert "75.0%" in svg

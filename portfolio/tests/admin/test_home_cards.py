"""The admin home's investment cards: portfolio totals, the month's DARFs due, quote freshness."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from portfolio.tax.models import MonthlyAssessment
from portfolio.tests.factories import AssetFactory, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def home(user):
    client = Client()
    client.force_login(user)
    return client.get(reverse("admin:index")).content.decode()


@pytest.fixture
def investor_staff():
    user = UserFactory(is_staff=True, username="mesa.investimentos")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_portfolio", "view_quote", "view_monthlyassessment"])
    )
    return user


def test_investor_staff_see_portfolio_totals_and_the_months_darfs(investor_staff):
    portfolio = PortfolioFactory()
    trade(portfolio, AssetFactory(ticker="PETR4"), "compra", 100, "30.50")
    today = timezone.localdate()
    for owner, amount in ((portfolio.owner, "1234.56"), (UserFactory(), "10.00")):
        MonthlyAssessment.objects.create(
            owner=owner,
            month=(today.replace(day=1) - timedelta(days=1)).replace(day=1),
            darf_amount=Decimal(amount),
            due_date=today.replace(day=20),
        )
    page = home(investor_staff)
    assert 'data-card="portfolio.totals"' in page and 'data-card="portfolio.darfs_due"' in page
    assert "1 investidores, 1 posições abertas" in page and "R$ 3.050," in page
    assert "Total a pagar: R$ 1.244,56" in page
    assert f"DARFs que vencem em {today:%m/%Y}" in page
    assert 'data-card="quotes.freshness"' in page and "0 atuais, 0 vencidas, 1 sem cotação" in page
    assert 'data-card="billing.' not in page


def test_billing_staff_and_investors_without_staff_see_no_investment_cards():
    from billing_rpa.tests.factories import staff_user

    assert 'data-card="portfolio.' not in home(staff_user("Operador", username="op.sem.carteira"))
    assert 'data-card="portfolio.totals"' in home(AdminFactory())


def test_money_columns_use_brazilian_separators():
    admin = AdminFactory()
    MonthlyAssessment.objects.create(
        owner=admin,
        month=timezone.localdate().replace(day=1),
        sales_total=Decimal("42325.30"),
        darf_amount=Decimal("9.5"),
    )
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:portfolio_monthlyassessment_changelist")).content.decode()
    assert "R$ 42.325,30" in page and "R$ 9,50" in page

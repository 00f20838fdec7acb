"""Input rules of corporate events and of the tax services that had no direct test (the coverage bar)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portfolio import services
from portfolio.tax import services as tax_services
from portfolio.tax.models import MonthlyAssessment, TaxOpeningBalance

from .factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def refused(field, **data):
    with pytest.raises(ValidationError) as error:
        services.event_create(**data)
    assert field in error.value.message_dict, error.value.message_dict


def test_event_rules():
    petr, usd = AssetFactory(ticker="PETR4"), AssetFactory(ticker="AAPL", market="US", currency="USD")
    future = timezone.localdate() + timedelta(days=2)
    refused("event_date", asset=petr, kind="split", event_date=future, ratio_from=1, ratio_to=2)
    refused(
        "data_com",
        asset=petr,
        kind="split",
        event_date=date(2025, 1, 10),
        data_com=date(2025, 1, 11),
        ratio_from=1,
        ratio_to=2,
    )
    refused("ratio_to", asset=petr, kind="grupamento", event_date=date(2025, 1, 10), ratio_from=1, ratio_to=10)
    refused("new_asset", asset=petr, kind="mudanca_ticker", event_date=date(2025, 1, 10), new_asset=petr)
    refused("new_asset", asset=petr, kind="mudanca_ticker", event_date=date(2025, 1, 10), new_asset=usd)
    new = AssetFactory(ticker="PETR9")
    trade(PortfolioFactory(), petr, "compra", 10, "30", on="2025-02-01")
    refused("event_date", asset=petr, kind="mudanca_ticker", event_date=date(2025, 1, 10), new_asset=new)
    refused(
        "assigned_cost",
        asset=petr,
        kind="bonificacao",
        event_date=date(2025, 1, 10),
        ratio_from=10,
        ratio_to=1,
        assigned_cost=D("-1"),
    )
    refused(
        "event_date",
        asset=usd,
        kind="bonificacao",
        event_date=date(2025, 1, 10),
        ratio_from=10,
        ratio_to=1,
        assigned_cost=D("1"),
    )
    refused("ratio_from", asset=petr, kind="cisao", event_date=date(2025, 1, 10), ratio_from=0)


def test_update_and_delete_of_a_delisting():
    asset = AssetFactory(ticker="CIEL3")
    event = services.event_create(asset=asset, kind="deslistagem", event_date=date(2025, 1, 10))
    services.event_update(event=event, event_date=date(2025, 1, 12))
    asset.refresh_from_db()
    assert asset.delisted and asset.delisted_at == date(2025, 1, 12)
    services.event_delete(event=event)
    asset.refresh_from_db()
    assert not asset.delisted


def test_filing_rules_and_refresh(user):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        tax_services.month_file(
            owner=user, month=(today.replace(day=1) + timedelta(days=40)).replace(day=1), actor=user
        )
    with pytest.raises(ValidationError):
        tax_services.month_file(owner=user, month=date(2025, 3, 1), actor=user, paid_on=today + timedelta(days=1))
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(ticker="VALE3")
    trade(portfolio, asset, "compra", 100, "50", on="2025-03-03")
    trade(portfolio, asset, "venda", 100, "60", on="2025-03-10")
    assert tax_services.assessments_refresh(month=date(2025, 3, 1))["users"] == 1
    assert MonthlyAssessment.objects.filter(owner=user, month=date(2025, 3, 1)).exists()
    assert tax_services.assessments_refresh()["month"]  # default: the last complete month


def test_tax_opening_rules(user):
    today = timezone.localdate()
    for data, field in (
        ({"month": date(2025, 3, 2)}, "month"),
        ({"month": (today.replace(day=1) + timedelta(days=40)).replace(day=1)}, "month"),
        ({"month": date(2025, 3, 1), "common_loss": D("-1")}, "common_loss"),
    ):
        with pytest.raises(ValidationError) as error:
            tax_services.tax_opening_save(owner=user, **data)
        assert field in error.value.message_dict
    tax_services.tax_opening_save(owner=user, month=date(2025, 3, 1), common_loss=D("100"), actor=user)
    tax_services.tax_opening_save(owner=user, month=date(2025, 3, 1), fii_loss=D("5"), actor=user)
    assert TaxOpeningBalance.objects.get(owner=user).fii_loss == D("5")
    tax_services.tax_opening_delete(owner=user, actor=user)
    tax_services.tax_opening_delete(owner=user, actor=user)  # nothing to delete: nothing happens
    assert not TaxOpeningBalance.objects.exists()

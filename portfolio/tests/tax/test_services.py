"""Writes of the tax part (``tax/services.py``): filing and unfiling a month, the stored assessments the
monthly task refreshes, the tax opening balance and the rule table's cache version."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from portfolio import services
from portfolio.tax import selectors
from portfolio.tax import services as tax_services
from portfolio.tax.models import MonthlyAssessment, TaxOpeningBalance, TaxRule

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment, trade

pytestmark = pytest.mark.django_db

MARCH = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def _today():
    """ "Not in the future" and "last month" are judged against one fixed day, not the real clock."""
    with time_machine.travel("2025-06-30 15:00 -0300", tick=False):
        yield


def sold_in(owner, on, *, price="11.00", ticker="VALE3"):
    """3,000 shares bought on the 2nd of the month and sold on ``on``: 30,000 of cost, so a taxable month."""
    p = PortfolioFactory(owner=owner)
    asset = AssetFactory(ticker=ticker)
    trade(p, asset, "compra", 3000, "10.00", on=on[:8] + "02")
    return trade(p, asset, "venda", 3000, price, on=on)


def refusal(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    return exc.value.message_dict


# --- filing a month ------------------------------------------------------------------------------


def test_filing_a_month_keeps_its_figures_and_is_audited(user):
    sold_in(user, "2025-03-20")  # 33,000 − 30,000 = 3,000 → 450.00, less 1.65 of IRRF, due on 30/04/2025
    row = tax_services.month_file(owner=user, month=MARCH, actor=user, paid_on=date(2025, 4, 25))
    row.refresh_from_db()
    assert (row.sales_total, row.tax_due, row.darf_amount, row.crypto_darf_amount, row.due_date) == (
        D("33000.00"),
        D("450.00"),
        D("448.35"),
        D("0.00"),
        date(2025, 4, 30),
    )
    assert (row.filed_by, row.paid_on, row.differs_from_filed) == (user, date(2025, 4, 25), False)
    assert row.filed_data == row.data and row.filed_data["tax_due"] == "450.00"
    [audit] = AuditEvent.objects.filter(action="portfolio.tax.file")
    assert (audit.actor, audit.target_id) == (user, str(row.pk))
    assert audit.changes == {"filed": [False, True], "paid_on": [None, "2025-04-25"]}
    assert selectors.monthly_assessment(owner=user, month=MARCH)["darf"]["status"]["state"] == "pago"


def test_the_current_month_can_be_filed_without_a_payment_date(user):
    row = tax_services.month_file(owner=user, month=date(2025, 6, 1), actor=None)
    assert (row.is_filed, row.filed_by, row.paid_on, row.tax_due) == (True, None, None, D("0.00"))
    assert AuditEvent.objects.get(action="portfolio.tax.file").actor_repr == "sistema"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"month": date(2025, 7, 1)}, "month"),
        ({"month": MARCH, "paid_on": date(2025, 7, 1)}, "paid_on"),
    ],
)
def test_filing_the_future_is_refused_and_stores_nothing(user, kwargs, field):
    sold_in(user, "2025-03-20")
    assert list(refusal(tax_services.month_file, owner=user, actor=user, **kwargs)) == [field]
    assert not MonthlyAssessment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_filing_a_month_twice_is_refused_and_leaves_the_stored_figures_alone(user, django_capture_on_commit_callbacks):
    sale = sold_in(user, "2025-03-20")
    first = tax_services.month_file(owner=user, month=MARCH, actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_update(tx=sale, changes={"unit_price": D("12.00")})  # 900.00 due now
    errors = refusal(tax_services.month_file, owner=user, month=MARCH, actor=user, paid_on=date(2025, 4, 30))
    assert errors == {"month": ["Este mês já está marcado como declarado."]}
    row = MonthlyAssessment.objects.get()
    assert (row.tax_due, row.data["tax_due"], row.filed_data["tax_due"]) == (D("450.00"), "450.00", "450.00")
    assert (row.filed_at, row.paid_on) == (first.filed_at, None)
    assert AuditEvent.objects.filter(action="portfolio.tax.file").count() == 1


def test_unfiling_a_month_lets_it_follow_the_current_figures_again(user, django_capture_on_commit_callbacks):
    sale = sold_in(user, "2025-03-20")
    tax_services.month_file(owner=user, month=MARCH, actor=user, paid_on=date(2025, 4, 25))
    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_update(tx=sale, changes={"unit_price": D("12.00")})
    assert selectors.monthly_assessment(owner=user, month=MARCH)["filing"]["differences"]

    row = tax_services.month_unfile(owner=user, month=MARCH, actor=user)

    row.refresh_from_db()
    assert (row.filed_at, row.filed_by, row.paid_on, row.filed_data, row.differs_from_filed) == (
        None,
        None,
        None,
        {},
        False,
    )
    [audit] = AuditEvent.objects.filter(action="portfolio.tax.unfile")
    assert audit.changes == {"filed": [True, False]}
    month = selectors.monthly_assessment(owner=user, month=MARCH)
    assert (month["filing"]["filed"], month["tax_due"]) == (False, D("900.00"))
    assert month["darf"]["status"]["state"] == "vencido"  # due 30/04, seen from 30/06, no payment any more


def test_unfiling_a_month_that_is_not_filed_is_refused(user):
    expected = {"month": ["Este mês não está marcado como declarado."]}
    assert refusal(tax_services.month_unfile, owner=user, month=MARCH, actor=user) == expected  # never stored
    sold_in(user, "2025-03-20")
    tax_services.assessment_store(owner=user, month=MARCH)
    assert refusal(tax_services.month_unfile, owner=user, month=MARCH, actor=user) == expected  # stored, not filed
    assert not AuditEvent.objects.exists()


# --- the stored assessments the monthly task refreshes -------------------------------------------


def test_refresh_stores_last_month_for_those_who_sold_in_it_and_is_idempotent(user, other_user):
    sold_in(user, "2025-05-20")  # last month, seen from 30/06/2025
    sold_in(other_user, "2025-04-22", ticker="PETR4")  # the month before: not refreshed
    buyer = PortfolioFactory()
    trade(buyer, AssetFactory(ticker="ITUB4"), "compra", 10, "30.00", on="2025-05-20")  # bought only

    first = tax_services.assessments_refresh()
    assert first == {"month": "2025-05-01", "users": 1, "differ_from_filed": 0}
    row = MonthlyAssessment.objects.get()
    assert (row.owner, row.month, row.tax_due) == (user, date(2025, 5, 1), D("450.00"))
    computed_at = row.computed_at

    assert tax_services.assessments_refresh() == first
    row.refresh_from_db()
    assert MonthlyAssessment.objects.count() == 1
    assert (row.tax_due, row.computed_at) == (D("450.00"), computed_at)  # the clock does not move here


def test_refresh_includes_a_month_whose_only_sale_was_a_leilao_de_fracoes(user):
    """Bug found here: the monthly task looked at trades only, so a month whose one sale was the leilão of
    a grupamento's fraction (a sale in the assessment, with its loss carried on) was never stored."""
    p, xp = PortfolioFactory(owner=user), BrokerFactory(name="XP Investimentos")
    mglu = AssetFactory(ticker="MGLU3")
    trade(p, mglu, "compra", 25, "10.00", broker=xp, on="2025-03-03")
    services.event_create(asset=mglu, kind="grupamento", event_date=date(2025, 4, 1), ratio_from=D(10), ratio_to=D(1))
    services.fraction_sale_create(
        owner=user, portfolio=p, broker=xp, asset=mglu, date=moment("2025-05-20"), amount=D("40.00")
    )
    assert tax_services.assessments_refresh() == {"month": "2025-05-01", "users": 1, "differ_from_filed": 0}
    row = MonthlyAssessment.objects.get()
    assert (row.owner, row.month, row.sales_total, row.tax_due) == (user, date(2025, 5, 1), D("40.00"), D("0.00"))
    assert row.data["baskets"]["common"]["loss_out"] == "10.00"  # 0.5 share at 100.00 left for 40.00


def test_refresh_of_a_given_month_counts_filed_months_that_now_differ(user, django_capture_on_commit_callbacks):
    sale = sold_in(user, "2025-03-20")
    tax_services.month_file(owner=user, month=MARCH, actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_update(tx=sale, changes={"unit_price": D("12.00")})
    counts = tax_services.assessments_refresh(month=MARCH)
    assert counts == {"month": "2025-03-01", "users": 1, "differ_from_filed": 1}
    row = MonthlyAssessment.objects.get()
    assert (row.differs_from_filed, row.tax_due, row.filed_data["tax_due"]) == (True, D("900.00"), "450.00")


def test_in_january_the_refresh_stores_december_of_the_year_before(user):
    with time_machine.travel("2025-01-10 09:00 -0300", tick=False):
        sold_in(user, "2024-12-16")
        assert tax_services.assessments_refresh() == {"month": "2024-12-01", "users": 1, "differ_from_filed": 0}


# --- the tax opening balance ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "month"),
        ({"month": date(2025, 1, 15)}, "month"),
        ({"month": date(2025, 7, 1)}, "month"),
        ({"month": MARCH, "common_loss": D("-0.01")}, "common_loss"),
        ({"month": MARCH, "day_trade_loss": D("-1")}, "day_trade_loss"),
        ({"month": MARCH, "fii_loss": D("-1")}, "fii_loss"),
        ({"month": MARCH, "irrf_credit": D("-1")}, "irrf_credit"),
    ],
)
def test_tax_opening_refusals_name_the_field_and_write_nothing(user, data, field):
    assert list(refusal(tax_services.tax_opening_save, owner=user, actor=user, **data)) == [field]
    assert not TaxOpeningBalance.objects.exists()
    assert not AuditEvent.objects.exists()


def test_tax_opening_balance_enters_the_assessment_once_saved(user, django_capture_on_commit_callbacks):
    sold_in(user, "2025-03-20")
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("450.00")  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        row = tax_services.tax_opening_save(
            owner=user, actor=user, month=date(2025, 1, 1), common_loss=D("1000.00"), notes="IRPF 2024"
        )
    assert (row.common_loss, row.day_trade_loss, row.fii_loss, row.irrf_credit) == (
        D("1000.00"),
        D(0),
        D(0),
        D(0),
    )
    month = selectors.monthly_assessment(owner=user, month=MARCH)
    assert (month["baskets"]["common"]["loss_in"], month["tax_due"]) == (D("1000.00"), D("300.00"))
    [audit] = AuditEvent.objects.filter(action="portfolio.tax_opening.create")
    assert audit.changes["common_loss"] == [None, "1000.00"] and audit.changes["notes"] == [None, "IRPF 2024"]


def test_saving_the_tax_opening_again_changes_only_what_was_given(user):
    tax_services.tax_opening_save(owner=user, month=date(2025, 1, 1), common_loss=D("1000.00"), irrf_credit=D("2"))
    row = tax_services.tax_opening_save(
        owner=user, actor=user, month=date(2025, 1, 1), fii_loss=D("50.00"), common_loss=None
    )
    row.refresh_from_db()
    assert TaxOpeningBalance.objects.count() == 1
    assert (row.common_loss, row.fii_loss, row.irrf_credit) == (D("1000.00"), D("50.00"), D("2.00"))
    [audit] = AuditEvent.objects.filter(action="portfolio.tax_opening.update")
    assert audit.changes == {"fii_loss": ["0.00", "50.00"]}


def test_deleting_the_tax_opening_takes_its_carry_out(user, django_capture_on_commit_callbacks):
    sold_in(user, "2025-03-20")
    with django_capture_on_commit_callbacks(execute=True):
        tax_services.tax_opening_save(owner=user, month=date(2025, 1, 1), common_loss=D("1000.00"))
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("300.00")
    with django_capture_on_commit_callbacks(execute=True):
        tax_services.tax_opening_delete(owner=user, actor=user)
    assert not TaxOpeningBalance.objects.exists()
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("450.00")
    [audit] = AuditEvent.objects.filter(action="portfolio.tax_opening.delete")
    assert audit.changes["common_loss"] == ["1000.00", None]


def test_deleting_a_tax_opening_that_does_not_exist_does_nothing(user, other_user):
    tax_services.tax_opening_save(owner=other_user, month=date(2025, 1, 1), common_loss=D("10.00"))
    tax_services.tax_opening_delete(owner=user, actor=user)
    assert TaxOpeningBalance.objects.get().owner == other_user  # someone else's is untouched
    assert not AuditEvent.objects.exists()


# --- the rule table's cache version --------------------------------------------------------------


def test_a_rule_change_recomputes_cached_assessments_once_committed(user, django_capture_on_commit_callbacks):
    sold_in(user, "2025-03-20")
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("450.00")
    rate = TaxRule.objects.filter(key="common_rate", valid_from__lte=MARCH).order_by("-valid_from").first()
    TaxRule.objects.filter(pk=rate.pk).update(value=D(20))
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("450.00")  # still cached
    with django_capture_on_commit_callbacks(execute=False) as pending:
        tax_services.rules_changed()
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("450.00")  # not before commit
    for callback in pending:
        callback()
    assert selectors.monthly_assessment(owner=user, month=MARCH)["tax_due"] == D("600.00")

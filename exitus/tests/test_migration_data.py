"""What a transactional test's flush removes is put back whole: the rows every data migration seeded."""

import pytest
from django.contrib.auth.models import Group

from exitus.tests.migration_data import restore
from portfolio.tax.models import TaxRule
from quotes.models import MacroParameters

pytestmark = pytest.mark.django_db


def seeded():
    return {
        "rules": sorted(TaxRule.objects.values_list("key", "valid_from", "value", "legal_basis")),
        "groups": {g.name: sorted(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()},
        "macro": sorted(MacroParameters.objects.values_list("market", "risk_free_rate", "cost_of_capital")),
    }


def test_restore_puts_back_every_seeded_row_after_a_flush():
    migrated = seeded()
    assert TaxRule.objects.filter(key="irrf_credit_within_year").exists()  # a row of the second seed
    assert migrated["groups"] and migrated["macro"]
    for model in (TaxRule, MacroParameters, Group):  # what the flush after a transactional test does
        model.objects.all().delete()
    restore()
    assert seeded() == migrated

"""The demo seed: the runbook's counts, idempotent, fast, derived through the services."""

import time

import pytest

from accounts import demo as accounts_demo
from portfolio import demo
from portfolio.choices import AssetType
from portfolio.models import (
    Asset,
    Broker,
    CorporateEvent,
    Dividend,
    DividendReceipt,
    Portfolio,
    Position,
    Transaction,
)

pytestmark = pytest.mark.django_db


def test_demo_meets_the_runbook_counts_and_is_idempotent():
    accounts_demo.load()
    started = time.perf_counter()
    first = demo.load()
    elapsed = time.perf_counter() - started
    assert elapsed < 10
    assert Broker.objects.count() == 14
    assert Asset.objects.count() >= 44
    assert set(Asset.objects.values_list("asset_type", flat=True)) == set(AssetType.values)
    assert Transaction.objects.count() >= 17
    assert Portfolio.objects.count() >= 4
    assert Position.objects.count() >= 17
    assert Dividend.objects.count() >= 29
    assert DividendReceipt.objects.exists()
    assert CorporateEvent.objects.count() >= 4
    assert first["transactions"] == Transaction.objects.count()
    second = demo.load()
    assert set(second.values()) == {0}
    # derived state: the ticker change moved João's VIIA3 into BHIA3, MGLU3 was grouped 10:1
    assert Position.objects.get(asset__ticker="BHIA3").quantity == 500
    assert Position.objects.get(asset__ticker="MGLU3").quantity == 100
    assert Asset.objects.get(ticker="CIEL3").delisted
    assert Position.objects.get(asset__ticker="ITSA4").quantity == 315

"""Split-adjusted history stored on the ledger's basis (issue 11 §1): unadjusted close, adjusted apart."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from portfolio import services
from portfolio.models import Asset
from quotes.models import PriceBar
from quotes.providers.base import Bar
from quotes.services.history import bar_row
from quotes.services.splits import history_readjust, unadjust

pytestmark = pytest.mark.django_db
D = Decimal


def _asset():
    return Asset.objects.create(ticker="WEGE3", market="BR", asset_type="acao", currency="BRL")


@time_machine.travel("2025-03-20 12:00 -0300", tick=False)
def test_a_split_adjusted_provider_close_is_stored_unadjusted():
    wege = _asset()
    services.event_create(asset=wege, kind="split", event_date=date(2025, 3, 10), ratio_from=D(1), ratio_to=D(2))
    bars = [Bar(date=date(2025, 3, 7), close=D("10.00")), Bar(date=date(2025, 3, 10), close=D("10.00"))]
    rows = unadjust(wege.pk, bars, source="yahoo", basis=date(2025, 3, 20))
    assert [(r[1], r[2]) for r in rows] == [(D("20.00000000"), D("2.000000000000")), (D("10.00000000"), D(1))]
    stored = [bar_row(wege, replace_close(b, c / f), "yahoo", close=c, factor=f, basis_date=d) for b, c, f, d in rows]
    assert (stored[0].close, stored[0].adjusted_close) == (D("20.00000000"), D("10.00"))
    # A provider that sends the traded price is stored as it is.
    [(_bar, close, factor, basis)] = unadjust(wege.pk, bars[:1], source="alphavantage", basis=date(2025, 3, 20))
    assert (close, factor, basis) == (D("10.00"), D(1), None)


def replace_close(bar, close):
    return replace(bar, close=close)


@time_machine.travel("2025-03-20 12:00 -0300", tick=False)
def test_an_event_recorded_later_readjusts_the_stored_bars():
    wege = _asset()
    PriceBar.objects.create(
        asset=wege,
        date=date(2025, 3, 7),
        close=D("10.00"),
        adjusted_close=D("10.00"),
        split_factor=1,
        basis_date=date(2025, 3, 15),
        source="yahoo",
    )
    PriceBar.objects.create(asset=wege, date=date(2025, 3, 6), close=D("21.00"), source="alphavantage")
    services.event_create(asset=wege, kind="split", event_date=date(2025, 3, 10), ratio_from=D(1), ratio_to=D(2))
    adjusted = PriceBar.objects.get(date=date(2025, 3, 7))
    assert (adjusted.close, adjusted.split_factor) == (D("20.00000000"), D(2))
    assert PriceBar.objects.get(date=date(2025, 3, 6)).close == D("21.00")  # unadjusted source untouched
    assert history_readjust(asset_ids=[wege.pk]) == 0  # idempotent

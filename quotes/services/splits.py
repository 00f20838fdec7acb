"""Price history on the same basis as the position ledger: the close actually traded on each day.

Yahoo, brapi and Twelve Data send daily closes already adjusted for the splits, grupamentos and
bonificações that happened *after* each day (as of when they were fetched). The position ledger
keeps the quantity held on each day as it was then (before a later split), so valuation and TWR
need the unadjusted close of that day: ``close = provider close × factor``, the factor being the
product of the quantity ratios of the recorded events dated after the bar and up to the date the
provider's adjustment refers to (``basis_date``, the day the bar was fetched). The provider's
adjusted close is kept apart (``adjusted_close``) for the signals (z-score) that want a continuous
series. A corporate event recorded, edited or deleted later re-derives the affected bars
(:func:`history_readjust`, called through ``portfolio.market_data.events_changed``).
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from portfolio.choices import CorporateEventKind
from portfolio.models import CorporateEvent

from ..models import PriceBar
from ..providers import SPLIT_ADJUSTED_SOURCES

ONE = Decimal(1)
FACTOR_STEP = Decimal("0.000000000001")
QUANTITY_KINDS = (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO, CorporateEventKind.BONIFICACAO)


def event_ratios(asset_id) -> list[tuple[date, Decimal]]:
    """``[(event date, quantity multiplier)]`` of the asset's splits, grupamentos and bonificações."""
    rows = CorporateEvent.objects.filter(asset_id=asset_id, kind__in=QUANTITY_KINDS).values_list(
        "event_date", "kind", "ratio_from", "ratio_to"
    )
    out = []
    for day, kind, ratio_from, ratio_to in rows:
        if not ratio_from or not ratio_to:
            continue
        if kind == CorporateEventKind.BONIFICACAO:
            out.append((day, (ratio_from + ratio_to) / ratio_from))
        else:
            out.append((day, ratio_to / ratio_from))
    return sorted(out)


def split_factor(ratios, *, day: date, basis: date | None) -> Decimal:
    """Product of the multipliers of events after ``day`` and on or before ``basis``."""
    if basis is None:
        return ONE
    factor = ONE
    for event_day, multiplier in ratios:
        if day < event_day <= basis:
            factor *= multiplier
    return factor.quantize(FACTOR_STEP)


def unadjust(asset_id, bars, *, source: str, basis: date) -> list:
    """``[(bar, close, factor, basis_date)]``: each provider bar's unadjusted close."""
    if source not in SPLIT_ADJUSTED_SOURCES:
        return [(bar, bar.close, ONE, None) for bar in bars]
    ratios = event_ratios(asset_id)
    out = []
    for bar in bars:
        factor = split_factor(ratios, day=bar.date, basis=basis)
        out.append((bar, (bar.close * factor).quantize(Decimal("0.00000001")), factor, basis))
    return out


@transaction.atomic
def history_readjust(*, asset_ids) -> int:
    """Re-derive the unadjusted closes of split-adjusted bars after the asset's events changed.

    The provider's own close is ``close / split_factor``; the new factor comes from the events now
    recorded. Returns how many bars changed. Idempotent.
    """
    changed = 0
    for asset_id in set(asset_ids):
        ratios = event_ratios(asset_id)
        bars = list(PriceBar.objects.select_for_update().filter(asset_id=asset_id, basis_date__isnull=False))
        dirty = []
        for bar in bars:
            factor = split_factor(ratios, day=bar.date, basis=bar.basis_date)
            if factor == bar.split_factor:
                continue
            provider_close = bar.close / bar.split_factor
            bar.close = (provider_close * factor).quantize(Decimal("0.00000001"))
            bar.split_factor = factor
            dirty.append(bar)
        PriceBar.objects.bulk_update(dirty, ["close", "split_factor"], batch_size=1000)
        changed += len(dirty)
    return changed

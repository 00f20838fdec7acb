"""What portfolio does when market data changes. The quotes app calls :func:`quotes_changed` after
it commits new quotes (quotes → portfolio.services, the direction the import contracts allow)."""

from django.db.models import Q

from exitus.queueing import publish_named

from ..desk.choices import ASSET_ALERTS, AlertKind
from ..models import Alert

EVALUATE_TASK = "portfolio.evaluate_alerts"


def quotes_changed(*, asset_ids) -> bool:
    """Queue the evaluation of the alerts that watch these assets (price, day change, dividend
    yield) and of the allocation alerts. Nothing is queued when no active alert could care.
    Returns whether a task was queued (a broker failure is logged; the daily run evaluates anyway)."""
    ids = sorted({int(pk) for pk in asset_ids})
    if not ids:
        return False
    watched = Alert.objects.filter(active=True).filter(
        Q(kind__in=[k.value for k in ASSET_ALERTS], asset_id__in=ids) | Q(kind=AlertKind.ALLOCATION_DRIFT)
    )
    if not watched.exists():
        return False
    return publish_named(EVALUATE_TASK, kwargs={"asset_ids": ids})

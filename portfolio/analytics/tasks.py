"""Celery tasks of the analytics part (JSON in, small JSON dict out, idempotent)."""

from celery import shared_task

from exitus.months import parse_month

from . import services


@shared_task(name="portfolio.month_end_snapshot", acks_late=True, soft_time_limit=1800, time_limit=1900)
def month_end_snapshot(month: str | None = None) -> dict:
    """Store every portfolio's and user's patrimony at the end of ``month`` (default: last month).

    ``month`` is ``YYYY-MM`` or ``MM/YYYY`` (the scheduling catalogue's form). Safe to run twice:
    rows are upserted and a second run reports them as unchanged.
    """
    day = parse_month(month) if month else None
    return services.month_end_snapshots(month=day)

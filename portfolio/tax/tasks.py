"""Celery tasks of the tax part."""

from celery import shared_task

from exitus.months import parse_month

from . import services


@shared_task(name="portfolio.tax_assess_month", acks_late=True, soft_time_limit=1800, time_limit=1900)
def tax_assess_month(month: str | None = None) -> dict:
    """Store the assessment of ``month`` (``YYYY-MM`` or ``MM/YYYY``; default: last month) for each seller."""
    day = parse_month(month) if month else None
    return services.assessments_refresh(month=day)

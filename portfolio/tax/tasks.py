"""Celery tasks of the tax part."""

from datetime import date

from celery import shared_task

from . import services


@shared_task(name="portfolio.tax_assess_month", acks_late=True, soft_time_limit=1800, time_limit=1900)
def tax_assess_month(month: str | None = None) -> dict:
    """Store the assessment of ``month`` (``YYYY-MM``; default: last month) of every user who sold in it."""
    day = date.fromisoformat(f"{month}-01") if month else None
    return services.assessments_refresh(month=day)

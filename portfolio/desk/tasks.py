"""Celery tasks of the desk: take ids, call a service, return a small JSON dict; all idempotent."""

from celery import shared_task

from . import services


@shared_task(name="portfolio.evaluate_alerts", acks_late=True, soft_time_limit=240, time_limit=300)
def evaluate_alerts(asset_ids=None) -> dict:
    """Evaluate the alerts watching ``asset_ids`` (after a quote refresh), or every alert (daily run).
    A redelivery fires nothing twice (each firing's notification has a unique key)."""
    ids = [int(pk) for pk in asset_ids] if asset_ids else None
    return services.evaluate_alerts(asset_ids=ids)


@shared_task(name="portfolio.send_alert_emails", acks_late=True, soft_time_limit=240, time_limit=300)
def send_alert_emails() -> dict:
    """Send the e-mails of notifications still pending (each at most once)."""
    return services.send_alert_emails()

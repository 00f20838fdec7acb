"""Background work. Tasks take ids, call a service and return a small JSON dict; all idempotent."""

from celery import shared_task

from . import services


@shared_task(name="portfolio.credit_due_dividends", acks_late=True, soft_time_limit=600, time_limit=660)
def credit_due_dividends() -> dict:
    """Pay the dividend receipts whose payment date has arrived (run daily; safe to run twice)."""
    return services.credit_due_dividends()


@shared_task(name="portfolio.rebuild_positions", acks_late=True, soft_time_limit=1800, time_limit=1900)
def rebuild_positions(owner_id: int | None = None, asset_id: int | None = None) -> dict:
    """Replay positions from scratch (one owner and/or asset, or everything). Idempotent."""
    return {"pairs": services.rebuild(owner_id=owner_id, asset_id=asset_id)}

"""Every write of the desk, behind one facade (split by flow, as ``portfolio.services``)."""

from .alerts import (
    alert_create,
    alert_delete,
    alert_snooze,
    alert_unsnooze,
    alert_update,
    evaluate_alerts,
    notification_delete,
    notifications_mark_read,
    notifications_resend,
    send_alert_emails,
)
from .reconciliation import (
    reconcile_cash,
    reconcile_cash_file,
    reconcile_positions,
    reconciliation_delete,
)

__all__ = [
    "alert_create",
    "alert_delete",
    "alert_snooze",
    "alert_unsnooze",
    "alert_update",
    "evaluate_alerts",
    "notification_delete",
    "notifications_mark_read",
    "notifications_resend",
    "reconcile_cash",
    "reconcile_cash_file",
    "reconcile_positions",
    "reconciliation_delete",
    "send_alert_emails",
]

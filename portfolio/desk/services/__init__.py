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
from .notes import NotesReport, brokerage_note_delete, notes_import
from .reconciliation import (
    reconcile_cash,
    reconcile_cash_file,
    reconcile_positions,
    reconciliation_delete,
)

__all__ = [
    "NotesReport",
    "alert_create",
    "alert_delete",
    "alert_snooze",
    "alert_unsnooze",
    "alert_update",
    "brokerage_note_delete",
    "evaluate_alerts",
    "notes_import",
    "notification_delete",
    "notifications_mark_read",
    "notifications_resend",
    "reconcile_cash",
    "reconcile_cash_file",
    "reconcile_positions",
    "reconciliation_delete",
    "send_alert_emails",
]

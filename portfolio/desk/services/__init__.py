"""Every write of the desk, behind one facade (split by flow, as ``portfolio.services``)."""

from .reconciliation import (
    reconcile_cash,
    reconcile_cash_file,
    reconcile_positions,
    reconciliation_delete,
)

__all__ = [
    "reconcile_cash",
    "reconcile_cash_file",
    "reconcile_positions",
    "reconciliation_delete",
]

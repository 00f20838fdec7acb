"""Every write on portfolio data goes through these functions (views, admin, tasks, commands, demo).

Each is atomic, locks what it changes, writes an audit row when a person acts (``actor``), and
keeps positions, dividend receipts and cash consistent with the trades and events.
"""

from .cash import cash_movement_create, cash_movement_delete, cash_movement_update
from .catalogue import (
    asset_create,
    asset_delete,
    asset_save,
    broker_delete,
    broker_save,
    portfolio_delete,
    portfolio_save,
)
from .custody import (
    custody_transfer_create,
    custody_transfer_delete,
    custody_transfer_update,
    fraction_sale_create,
    fraction_sale_delete,
    opening_position_create,
    opening_position_delete,
    opening_position_update,
    pending_fraction,
)
from .dividends import credit_due_dividends, dividend_create, dividend_delete, dividend_update, recompute_receipts
from .events import event_create, event_delete, event_update
from .positions import rebuild, replay
from .transactions import (
    TradeInput,
    check_trade,
    trade_warnings,
    transaction_create,
    transaction_delete,
    transaction_update,
    transactions_delete,
)

__all__ = [
    "TradeInput",
    "asset_create",
    "asset_delete",
    "asset_save",
    "broker_delete",
    "broker_save",
    "cash_movement_create",
    "cash_movement_delete",
    "cash_movement_update",
    "check_trade",
    "credit_due_dividends",
    "custody_transfer_create",
    "custody_transfer_delete",
    "custody_transfer_update",
    "dividend_create",
    "dividend_delete",
    "dividend_update",
    "event_create",
    "event_delete",
    "event_update",
    "fraction_sale_create",
    "fraction_sale_delete",
    "opening_position_create",
    "opening_position_delete",
    "opening_position_update",
    "pending_fraction",
    "portfolio_delete",
    "portfolio_save",
    "rebuild",
    "recompute_receipts",
    "replay",
    "trade_warnings",
    "transaction_create",
    "transaction_delete",
    "transaction_update",
    "transactions_delete",
]

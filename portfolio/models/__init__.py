"""Investment data: brokers, assets, portfolios, trades, positions, events, dividends, cash.

Positions are *derived* from transactions and corporate events and kept incrementally
by ``portfolio.services``; nothing else writes them. Money, prices and quantities are
``Decimal`` with the project-wide precision (``exitus.models``).

One module per part (as ``portfolio.services``); the analytics and tax models belong to this
app too and are imported here so Django registers them with it.
"""

from ..analytics.models import PatrimonySnapshot, PortfolioEvolution
from ..desk.models import (
    Alert,
    BrokerageNote,
    BrokerageNoteTrade,
    IncomeCalendar,
    Notification,
    Reconciliation,
    ReconciliationLine,
)
from ..tax.models import MonthlyAssessment, TaxOpeningBalance, TaxRule, YearEndCheckpoint
from .cash import CashMovement
from .catalogue import Asset, Broker, Portfolio
from .custody import CustodyTransfer, FractionSale
from .dividends import Dividend, DividendReceipt
from .events import CorporateEvent
from .openings import OpeningPosition
from .positions import Position, PositionEntry
from .transactions import Transaction

__all__ = [
    "Alert",
    "Asset",
    "Broker",
    "BrokerageNote",
    "BrokerageNoteTrade",
    "CashMovement",
    "CorporateEvent",
    "CustodyTransfer",
    "Dividend",
    "DividendReceipt",
    "FractionSale",
    "IncomeCalendar",
    "MonthlyAssessment",
    "Notification",
    "OpeningPosition",
    "PatrimonySnapshot",
    "Portfolio",
    "PortfolioEvolution",
    "Position",
    "PositionEntry",
    "Reconciliation",
    "ReconciliationLine",
    "TaxOpeningBalance",
    "TaxRule",
    "Transaction",
    "YearEndCheckpoint",
]

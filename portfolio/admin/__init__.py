"""The operators' home for investment data. Thin: every write goes through ``portfolio.services``.

One module per part (as ``portfolio.services``), sharing ``base``; the analytics and tax admins
belong to this app too and are registered from here.
"""

from ..analytics.admin import PatrimonySnapshotAdmin, PortfolioEvolutionAdmin
from ..desk.admin import (
    AlertAdmin,
    BrokerageNoteAdmin,
    IncomeCalendarAdmin,
    NotificationAdmin,
    ReconciliationAdmin,
    ReconciliationLineAdmin,
)
from ..tax.admin import MonthlyAssessmentAdmin, TaxOpeningBalanceAdmin, TaxRuleAdmin
from . import dashboard  # noqa: F401 - registers the home page's investment cards
from .cash import CashMovementAdmin
from .catalogue import AssetAdmin, BrokerAdmin, PortfolioAdmin
from .custody import CustodyTransferAdmin, FractionSaleAdmin, OpeningPositionAdmin
from .dividends import DividendAdmin, DividendReceiptAdmin
from .events import CorporateEventAdmin
from .positions import PositionAdmin
from .transactions import TransactionAdmin

__all__ = [
    "AlertAdmin",
    "AssetAdmin",
    "BrokerAdmin",
    "BrokerageNoteAdmin",
    "CashMovementAdmin",
    "CorporateEventAdmin",
    "CustodyTransferAdmin",
    "DividendAdmin",
    "DividendReceiptAdmin",
    "FractionSaleAdmin",
    "IncomeCalendarAdmin",
    "MonthlyAssessmentAdmin",
    "NotificationAdmin",
    "OpeningPositionAdmin",
    "PatrimonySnapshotAdmin",
    "PortfolioAdmin",
    "PortfolioEvolutionAdmin",
    "PositionAdmin",
    "ReconciliationAdmin",
    "ReconciliationLineAdmin",
    "TaxOpeningBalanceAdmin",
    "TaxRuleAdmin",
    "TransactionAdmin",
]

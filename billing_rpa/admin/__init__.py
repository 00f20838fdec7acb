"""The operators' console for billing: carriers, clients (masked credentials, CSV import with
preview), processes (current step, lateness, legal-only buttons, inline PDF, timeline),
executions (read-only, live log), notifications, the month overview and the home page's cards.

Every change goes through ``services``; which action is legal for a status and a user is
``selectors.process_actions``. Long work is queued after commit, never run here. Billing staff
are the ``Aprovador``/``Operador`` groups (permissions ``billing_rpa.*``, see ``groups``).
"""

from . import dashboard  # noqa: F401 - registers the home page's billing cards
from .base import EXECUTION_TONES, PROCESS_TONES, BillingAdminMixin
from .clients import BillingClientAdmin, CarrierAdmin
from .executions import BillingNotificationAdmin, ExecutionAdmin
from .processes import InvoiceProcessAdmin

__all__ = [
    "EXECUTION_TONES",
    "PROCESS_TONES",
    "BillingAdminMixin",
    "BillingClientAdmin",
    "BillingNotificationAdmin",
    "CarrierAdmin",
    "ExecutionAdmin",
    "InvoiceProcessAdmin",
]

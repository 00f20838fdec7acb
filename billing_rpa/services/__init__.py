"""Every write of billing_rpa: carriers, clients, month creation, robot steps, approval, SAT.

Views, admin actions, tasks and commands only call these functions. Each one validates,
writes inside ``transaction.atomic``, records an audit row when a person acted, and
queues follow-up work after commit (``enqueue``, the one module that sends billing tasks).
Status changes go through ``transitions``: compare-and-set updates that allow only the
transitions listed in ``choices``, so two workers or two clicks cannot both win.

By flow:

- ``transitions`` — the state machines and row locks (``InvalidTransition``);
- ``clients`` — carriers and billing clients, portal-password key rotation;
- ``months`` — the month's processes;
- ``dispatch`` — requesting robot steps, one process or the scheduled many;
- ``payload`` — the RPA contract's body of an execution;
- ``worker`` — claim, start, poll, complete, fail, time out; robot error classification;
- ``review`` — what people do: manual upload, approve, reject, cancel, retry;
- ``enqueue`` — every Celery task billing sends, after commit.

The client CSV import builds on ``client_save`` and lives in ``billing_rpa.importers``.
"""

from .. import crypto  # noqa: F401 - reachable as services.crypto, as before the split
from .clients import (
    CARRIER_FIELDS,
    CLIENT_FIELDS,
    REDACTED,
    carrier_save,
    client_delete,
    client_save,
    client_unique_hash,
    clients_rotate_keys,
)
from .dispatch import (
    process_request_download,
    process_request_sat_upload,
    processes_dispatch_downloads,
    processes_dispatch_sat,
)
from .months import current_month, process_create, process_create_month
from .payload import build_payload, invoice_filename
from .review import (
    execution_cancel,
    execution_retry,
    process_approve,
    process_reject,
    process_retry_target,
    process_upload_invoice,
)
from .transitions import InvalidTransition
from .worker import (
    _backoff,  # noqa: F401 - reachable as services._backoff, as before the split
    classify_robot_error,
    execution_advance,
    execution_cancel_on_robot,
    execution_start_now,
    executions_claim_due,
    executions_poll_due,
)

__all__ = [
    "CARRIER_FIELDS",
    "CLIENT_FIELDS",
    "REDACTED",
    "InvalidTransition",
    "build_payload",
    "carrier_save",
    "classify_robot_error",
    "client_delete",
    "client_save",
    "client_unique_hash",
    "clients_rotate_keys",
    "current_month",
    "execution_advance",
    "execution_cancel",
    "execution_cancel_on_robot",
    "execution_retry",
    "execution_start_now",
    "executions_claim_due",
    "executions_poll_due",
    "invoice_filename",
    "process_approve",
    "process_create",
    "process_create_month",
    "process_reject",
    "process_request_download",
    "process_request_sat_upload",
    "process_retry_target",
    "process_upload_invoice",
    "processes_dispatch_downloads",
    "processes_dispatch_sat",
]

"""The one place billing enqueues Celery tasks: always after the transaction commits, never failing it.

A broker outage is logged, not raised: the poller starts any due execution anyway, the
periodic notification task rebuilds the failure list, and cancelling on the robot is
best effort.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def start_executions_after_commit(execution_ids) -> None:
    """Queue one ``start_execution`` per id once the current transaction commits."""
    execution_ids = list(execution_ids)
    transaction.on_commit(lambda: _send_starts(execution_ids))


def notify_failure_after_commit(execution_id) -> None:
    """Queue the operators' notice of a failed (or timed-out) execution once the transaction commits."""
    transaction.on_commit(lambda: _send_failure_notice(execution_id))


def cancel_on_robot_after_commit(execution_id) -> None:
    """Queue the best-effort cancel of the robot's job once the transaction commits."""
    transaction.on_commit(lambda: _send_robot_cancel(execution_id))


# ``billing_rpa.tasks`` imports the services, so the task objects are imported when a task is
# sent rather than when this module loads: an intra-app cycle, as in the single module before.


def _send_starts(execution_ids) -> None:
    """Publish one ``start_execution`` per id on one broker connection."""
    if not execution_ids:
        return
    from exitus.celery import app

    from ..tasks import start_execution

    try:
        with app.producer_or_acquire() as producer:
            for pk in execution_ids:
                start_execution.apply_async((pk,), producer=producer)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not enqueue %d robot starts (%s); the poller will start them", len(execution_ids), exc)


def _send_failure_notice(execution_id) -> None:
    from ..tasks import notify_execution_failed

    try:
        notify_execution_failed.delay(execution_id)
    except Exception as exc:  # noqa: BLE001 - the notification list is rebuilt by the periodic task
        logger.warning("could not enqueue failure notification: %s", exc.__class__.__name__)


def _send_robot_cancel(execution_id) -> None:
    from ..tasks import cancel_robot_job

    try:
        cancel_robot_job.delay(execution_id)
    except Exception as exc:  # noqa: BLE001 - best effort
        logger.warning("could not enqueue robot cancel: %s", exc.__class__.__name__)

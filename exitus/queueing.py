"""Sending work to the workers, bounded: a hung or stopped broker never holds a request.

The broker clients have short socket timeouts and publishing is not retried
(``CELERY_TASK_PUBLISH_RETRY = False``), so a publish fails within about two seconds. What
happens then is the caller's choice, and it is always visible:

* :func:`publish_or_unavailable` — nothing was written yet and the work is the point of the
  request (an admin's "refresh now"): a 503 / an error message, nothing changed.
* :func:`after_commit` — the rows are written and a periodic job
  (the robot poller, the scheduled quote refresh) will find the work anyway: the failure is
  logged, or recorded by ``on_failure`` where the operator looks.
"""

import logging

from django.db import transaction

from exitus.errors import Unavailable

logger = logging.getLogger(__name__)


class QueueUnavailable(Unavailable):
    default_detail = "A fila de tarefas está indisponível; nada foi enfileirado. Tente novamente em instantes."


def publish(task, *args, **kwargs) -> bool:
    """``task.delay(*args, **kwargs)``; ``False`` (logged) when the broker could not take it."""
    return _sent(task.name, lambda: task.delay(*args, **kwargs))


def publish_named(name: str, **options) -> bool:
    """``send_task(name, **options)`` for a task known by name only (the scheduling catalogue)."""
    from exitus.celery import app

    return _sent(name, lambda: app.send_task(name, **options))


def _sent(name, send) -> bool:
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise many kinds; all mean "not queued"
        logger.warning("could not enqueue %s (%s)", name, exc.__class__.__name__)
        return False
    return True


def publish_or_unavailable(task, *args, **kwargs) -> None:
    """Publish now, or raise :class:`QueueUnavailable` (HTTP 503) so the caller writes nothing."""
    if not publish(task, *args, **kwargs):
        raise QueueUnavailable()


def after_commit(send, *, on_failure=None) -> None:
    """Run ``send()`` (one or more publishes, returning whether all went) once the transaction
    commits; ``on_failure()`` runs if the broker refused."""

    def run():
        if not send() and on_failure is not None:
            on_failure()

    transaction.on_commit(run)

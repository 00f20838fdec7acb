"""The 5-second robot poller logs at DEBUG, so the development console stays readable.

Beat ("Sending due task ... (billing_rpa.poll_executions)") and the worker ("Task
billing_rpa.poll_executions[...] received / succeeded") would print three INFO lines every five
seconds. This filter turns exactly those INFO records into DEBUG records: shown with
``LOG_LEVEL=DEBUG`` (or ``celery -l DEBUG``), hidden otherwise. Warnings and errors of the poller
(a failure, a retry) keep their level.
"""

import logging

POLLER_TASK = "billing_rpa.poll_executions"
CELERY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class PollerAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to judge
            return True
        if POLLER_TASK not in text:
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG) and not logging.getLogger().isEnabledFor(
            logging.DEBUG
        ):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def install() -> None:
    """Attach the filter to the Celery loggers that announce each poll (idempotent)."""
    for name in CELERY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, PollerAtDebug) for existing in logger.filters):
            logger.addFilter(PollerAtDebug())

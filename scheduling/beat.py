"""The beat scheduler: django-celery-beat's DatabaseScheduler plus a heartbeat.

``CELERY_BEAT_SCHEDULER`` points here. Every ``BEAT_HEARTBEAT_SECONDS`` the tick writes
the time into ``BeatHeartbeat`` so ``/health/`` can tell a dead beat from a quiet one.

Missed runs: when beat was down, the DatabaseScheduler finds each entry due *once*
(its ``last_run_at`` is in the past), sends it, and sets ``last_run_at`` to now — a job
never runs once per tick it missed.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


class HeartbeatScheduler(DatabaseScheduler):
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= settings.BEAT_HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            try:
                from .services import beat_heartbeat_touch

                beat_heartbeat_touch()
            except DatabaseError:
                logger.warning("beat heartbeat not recorded (database unavailable)")
        return super().tick(*args, **kwargs)

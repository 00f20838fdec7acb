"""The beat scheduler: django-celery-beat's DatabaseScheduler plus a heartbeat and catch-up.

``CELERY_BEAT_SCHEDULER`` points here. Every ``BEAT_HEARTBEAT_SECONDS`` the tick writes the
time into ``BeatHeartbeat`` so ``/health/`` can tell a dead beat from a quiet one.

Missed runs follow each job's catch-up policy in the catalogue (``Job.catch_up``):

* **beat was down** — the DatabaseScheduler finds each entry due *once* (its
  ``last_run_at`` is in the past) and sends it: that is the ``ONCE`` policy. For ``SKIP``
  jobs (frequent ones, whose next run does the same work) beat's start moves
  ``last_run_at`` to now, so they wait for their next time instead.
* **the broker was down** — beat marks an entry as run even when sending it failed. For
  ``ONCE`` jobs that failure is recorded as a ``JobRun`` "não enviado", and every tick (at
  most every ``BEAT_CATCH_UP_SECONDS``) sends the pending ones again, each exactly once,
  under the task id recorded then — so a copy that did get through is not run twice.
"""

import logging
import time
import uuid

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from .catalogue import JOBS, CatchUp, job_for_task
from .choices import JobRunStatus, JobTrigger
from .models import JobRun

logger = logging.getLogger(__name__)

NOT_SENT_ERROR = "A fila de tarefas estava indisponível no horário; a execução será enviada quando ela voltar."


def skip_missed_runs(now=None) -> int:
    """Beat is starting: jobs whose policy is SKIP do not run for the times they missed."""
    tasks = [job.task for job in JOBS if job.catch_up == CatchUp.SKIP]
    return PeriodicTask.objects.filter(task__in=tasks, enabled=True).update(last_run_at=now or timezone.now())


def record_not_sent(entry) -> JobRun | None:
    """A scheduled send of a ONCE job failed: keep it, to be sent when the broker is back."""
    job = job_for_task(entry.task)
    if job is None or job.catch_up != CatchUp.ONCE:
        return None
    return JobRun.objects.create(
        job=job.key,
        task_name=entry.task,
        task_id=str(uuid.uuid4()),
        periodic_task_name=entry.name[:200],
        trigger=JobTrigger.CATCH_UP,
        parameters=entry.kwargs or {},
        status=JobRunStatus.NOT_SENT,
        error=NOT_SENT_ERROR,
    )


def send_pending_catch_ups(send) -> int:
    """Send every run recorded as not sent (``send(run)`` → ``True`` when the broker took it)."""
    sent = 0
    for run in JobRun.objects.filter(status=JobRunStatus.NOT_SENT).order_by("created_at"):
        # Compare-and-set: one beat sends each pending run once, even if two ticks overlap.
        if not JobRun.objects.filter(pk=run.pk, status=JobRunStatus.NOT_SENT).update(status=JobRunStatus.QUEUED):
            continue
        if send(run):
            JobRun.objects.filter(pk=run.pk, status=JobRunStatus.QUEUED).update(error="")
            sent += 1
        else:  # still down: back to pending for the next tick
            JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.NOT_SENT)
            break
    return sent


class HeartbeatScheduler(DatabaseScheduler):
    _last_heartbeat = 0.0
    _last_catch_up = 0.0

    def setup_schedule(self):
        try:
            skip_missed_runs()
        except DatabaseError:
            logger.warning("beat: missed runs of SKIP jobs not cleared (database unavailable)")
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= settings.BEAT_HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            try:
                from .services import beat_heartbeat_touch

                beat_heartbeat_touch()
            except DatabaseError:
                logger.warning("beat heartbeat not recorded (database unavailable)")
        if now - self._last_catch_up >= settings.BEAT_CATCH_UP_SECONDS:
            self._last_catch_up = now
            try:
                send_pending_catch_ups(self._send_catch_up)
            except DatabaseError:
                logger.warning("beat: catch-up skipped (database unavailable)")
        return super().tick(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        try:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        except Exception:
            try:
                if record_not_sent(entry) is not None:
                    logger.warning("beat: %s not sent (broker unavailable); it will be caught up", entry.name)
            except DatabaseError:
                logger.warning("beat: %s not sent and not recorded (database unavailable)", entry.name)
            raise

    def _send_catch_up(self, run) -> bool:
        from exitus.queueing import publish_named

        return publish_named(
            run.task_name,
            kwargs=run.parameters or {},
            task_id=run.task_id,
            headers={"periodic_task_name": run.periodic_task_name},
        )

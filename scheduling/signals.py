"""Record a ``JobRun`` for every catalogue task a worker runs (scheduled or run by hand).

Celery signals keep the owning apps' tasks free of scheduling code: billing, quotes and
portfolio tasks only return a dict of counts; this module stores it with the timing,
parameters and outcome. Rows are keyed by task id, so a redelivered task (acks late,
worker lost) updates its row instead of creating a second one.
"""

import logging

from celery import signals
from django.db import DatabaseError
from django.utils import timezone

from .catalogue import job_for_task
from .choices import JobRunStatus, JobTrigger
from .models import JobRun

logger = logging.getLogger(__name__)

STATE_TO_STATUS = {
    "SUCCESS": JobRunStatus.SUCCESS,
    "FAILURE": JobRunStatus.FAILURE,
    "RETRY": JobRunStatus.RETRY,
}


def _periodic_task_name(task):
    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}
    return (getattr(request, "periodic_task_name", None) or headers.get("periodic_task_name") or "")[:200]


@signals.task_prerun.connect(dispatch_uid="scheduling.jobrun.prerun")
def job_started(task_id=None, task=None, kwargs=None, **_):
    job = job_for_task(getattr(task, "name", ""))
    if job is None:
        return
    try:
        run, created = JobRun.objects.get_or_create(
            task_id=task_id,
            defaults={
                "job": job.key,
                "task_name": task.name,
                "parameters": kwargs or {},
                "status": JobRunStatus.RUNNING,
                "started_at": timezone.now(),
                "periodic_task_name": _periodic_task_name(task),
                "trigger": JobTrigger.BEAT if _periodic_task_name(task) else JobTrigger.OTHER,
            },
        )
        if not created and run.status != JobRunStatus.SUCCESS:  # a finished run stays finished
            run.status = JobRunStatus.RUNNING
            run.started_at = timezone.now()
            run.finished_at = None
            run.save(update_fields=["status", "started_at", "finished_at"])
    except DatabaseError:
        logger.exception("could not record the start of %s", task_id)


@signals.task_postrun.connect(dispatch_uid="scheduling.jobrun.postrun")
def job_finished(task_id=None, task=None, retval=None, state=None, **_):
    if job_for_task(getattr(task, "name", "")) is None:
        return
    status = STATE_TO_STATUS.get(state, JobRunStatus.FAILURE)
    counts, error = {}, ""
    if status == JobRunStatus.SUCCESS and isinstance(retval, dict):
        counts = retval
        if retval.get("skipped"):
            status = JobRunStatus.SKIPPED
    elif status != JobRunStatus.SUCCESS:
        error = f"{type(retval).__name__}: {retval}"[:2000] if isinstance(retval, BaseException) else str(retval)
    try:
        # A redelivered copy of a task that had already succeeded skips: the row keeps its success.
        JobRun.objects.filter(task_id=task_id).exclude(status=JobRunStatus.SUCCESS).update(
            status=status, finished_at=timezone.now(), counts=counts, error=error
        )
    except DatabaseError:
        logger.exception("could not record the end of %s", task_id)

"""Writes on schedules and job runs: default schedules, run-now, the beat heartbeat."""

import json
import os
import socket
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask, PeriodicTasks

from accounts.audit import NO_REQUEST, audit_record
from exitus.queueing import after_commit, publish_named

from .catalogue import JOBS, job_for_task, parse_cron, validate_params
from .choices import JobRunStatus, JobTrigger
from .models import BeatHeartbeat, JobRun

SAO_PAULO = ZoneInfo(settings.TIME_ZONE)


def _schedule_for(job):
    if job.cron:
        fields = parse_cron(job.cron)
        crontab, _ = CrontabSchedule.objects.get_or_create(**fields, timezone=SAO_PAULO)
        return {"crontab": crontab, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(every=job.every_seconds, period=IntervalSchedule.SECONDS)
    return {"interval": interval, "crontab": None}


@transaction.atomic
def periodic_tasks_setup(*, reset=False):
    """Create the catalogue's default schedules. Idempotent.

    A schedule that already exists (same name) is left exactly as an operator left it —
    time, parameters, enabled flag — unless ``reset`` restores the defaults.
    Returns ``{"created": n, "reset": n, "kept": n}``.
    """
    counts = {"created": 0, "reset": 0, "kept": 0}
    for job in JOBS:
        name = str(job.label)
        existing = PeriodicTask.objects.filter(name=name).first()
        if existing is not None and not reset:
            counts["kept"] += 1
            continue
        defaults = {
            "task": job.task,
            "description": str(job.description),
            "kwargs": json.dumps({}),
            "args": json.dumps([]),
            "enabled": job.enabled_by_default,
            "one_off": False,
            "solar": None,
            "clocked": None,
            **_schedule_for(job),
        }
        PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
        counts["reset" if existing else "created"] += 1
    PeriodicTasks.update_changed()
    return counts


def job_run_now(*, periodic_task, actor, meta=NO_REQUEST):
    """Queue a scheduled job right away, with its saved parameters. Returns the ``JobRun``.

    The run is recorded (and audited) before the task is sent, after commit, with the task
    id the worker will use — so the admin can link to its result at once.
    """
    job = job_for_task(periodic_task.task)
    params = validate_params(job, json.loads(periodic_task.kwargs or "{}"))
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        run = JobRun.objects.create(
            job=job.key,
            task_name=job.task,
            task_id=task_id,
            periodic_task_name=periodic_task.name,
            trigger=JobTrigger.MANUAL,
            triggered_by=actor,
            parameters=params,
            status=JobRunStatus.QUEUED,
        )
        audit_record(
            actor=actor,
            action="scheduling.job.run_now",
            target=periodic_task,
            changes={"task_id": [None, task_id], "parameters": [None, params]},
            meta=meta,
        )
        after_commit(
            lambda: publish_named(
                job.task, kwargs=params, task_id=task_id, headers={"periodic_task_name": periodic_task.name}
            ),
            on_failure=lambda: JobRun.objects.filter(pk=run.pk).update(
                status=JobRunStatus.FAILURE,
                finished_at=timezone.now(),
                error="Fila de tarefas indisponível: a execução não foi enviada. Tente novamente.",
            ),
        )
    return run


def next_run_at(periodic_task):
    """When beat will next send this task, in America/Sao_Paulo (``None`` when disabled)."""
    if not periodic_task.enabled:
        return None
    now = timezone.now()
    schedule = periodic_task.schedule
    last = periodic_task.last_run_at or periodic_task.date_changed or now
    remaining = schedule.remaining_estimate(last)
    moment = now + max(remaining, timezone.timedelta(0))
    return timezone.localtime(moment, SAO_PAULO)


def beat_heartbeat_touch(now=None):
    """Record that beat is alive (called from the scheduler's tick)."""
    BeatHeartbeat.objects.update_or_create(
        name="beat",
        defaults={"last_tick_at": now or timezone.now(), "hostname": socket.gethostname()[:255], "pid": os.getpid()},
    )

"""Reads on job history and beat liveness (admin columns, /health/, jobs that run once per period)."""

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from .catalogue import JOBS
from .choices import JobRunStatus
from .models import BeatHeartbeat, JobRun


def beat_status(now=None):
    now = now or timezone.now()
    beat = BeatHeartbeat.objects.filter(name="beat").first()
    if beat is None:
        return {"status": "never", "last_tick_age_seconds": None}
    age = (now - beat.last_tick_at).total_seconds()
    return {"status": "ok" if age <= 60 else "stale", "last_tick_age_seconds": round(age, 1)}


def critical_jobs_status(now=None):
    """``{job key: {"last_success", "age_hours", "status"}}`` for the critical jobs."""
    now = now or timezone.now()
    critical = [job for job in JOBS if job.critical]
    last = dict(
        JobRun.objects.filter(job__in=[j.key for j in critical], status=JobRunStatus.SUCCESS)
        .order_by()
        .values("job")
        .annotate(last=Max("finished_at"))
        .values_list("job", "last")
    )
    report = {}
    for job in critical:
        finished = last.get(job.key)
        if finished is None:
            report[job.key] = {"last_success": None, "age_hours": None, "status": "never"}
            continue
        age_hours = (now - finished).total_seconds() / 3600
        late = job.max_age_hours is not None and age_hours > job.max_age_hours
        report[job.key] = {
            "last_success": finished.isoformat(),
            "age_hours": round(age_hours, 2),
            "status": "late" if late else "ok",
        }
    return report


def job_succeeded_with(job, *, counts, exclude_task_id=None):
    """Whether a successful run of ``job`` (other than task ``exclude_task_id``) returned all of ``counts``."""
    runs = JobRun.objects.filter(
        job=job, status=JobRunStatus.SUCCESS, **{f"counts__{key}": value for key, value in counts.items()}
    )
    if exclude_task_id:
        runs = runs.exclude(task_id=exclude_task_id)
    return runs.exists()


# The 5-second robot poller: hidden from the job history unless asked for.
POLLER_JOB = "ACOMPANHAR_ROBOS"
BACKUP_JOB = "BACKUP_DADOS"


def last_runs_by_periodic_task():
    """Subquery helpers for the PeriodicTask admin: the latest run's status and time."""
    latest = JobRun.objects.filter(periodic_task_name=OuterRef("name")).order_by("-created_at")
    return {
        "last_run_status": Subquery(latest.values("status")[:1]),
        "last_run_task_id": Subquery(latest.values("task_id")[:1]),
        "last_run_created_at": Subquery(latest.values("created_at")[:1]),
        "last_run_finished_at": Subquery(latest.values("finished_at")[:1]),
    }


def schedules_last_failed():
    """Enabled schedules whose latest run failed: ``[(name, job, finished_at, error)]``."""
    from django_celery_beat.models import PeriodicTask

    rows = (
        PeriodicTask.objects.filter(enabled=True)
        .annotate(**last_runs_by_periodic_task())
        .filter(last_run_status=JobRunStatus.FAILURE)
        .values_list("name", "task", "last_run_finished_at")
        .order_by("name")
    )
    return list(rows)


def last_backup():
    """The latest successful backup run (``None`` if there never was one)."""
    return JobRun.objects.filter(job=BACKUP_JOB, status=JobRunStatus.SUCCESS).order_by("-finished_at").first()

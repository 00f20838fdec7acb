import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from accounts.models import AuditEvent
from scheduling import services
from scheduling.catalogue import JOBS
from scheduling.choices import JobRunStatus, JobTrigger
from scheduling.locks import acquire, job_lock, release
from scheduling.models import JobLock, JobRun

SP = ZoneInfo("America/Sao_Paulo")
pytestmark = pytest.mark.django_db


def test_setup_creates_every_catalogue_job_once():
    call_command("setup_periodic_tasks")
    assert PeriodicTask.objects.filter(task__in=[j.task for j in JOBS]).count() == len(JOBS)
    call_command("setup_periodic_tasks")
    assert PeriodicTask.objects.filter(task__in=[j.task for j in JOBS]).count() == len(JOBS)
    monthly = PeriodicTask.objects.get(task="billing_rpa.create_month_processes")
    assert monthly.name == "Criar processos mensais"
    cron = monthly.crontab
    assert (cron.minute, cron.hour, cron.day_of_month) == ("0", "6", "1")
    assert str(cron.timezone) == "America/Sao_Paulo"
    poll = PeriodicTask.objects.get(task="billing_rpa.poll_executions")
    assert poll.interval.every == 5 and poll.interval.period == IntervalSchedule.SECONDS


def test_setup_never_overwrites_operator_changes_unless_reset():
    services.periodic_tasks_setup()
    task = PeriodicTask.objects.get(task="scheduling.backup_data")
    task.enabled = False
    task.kwargs = json.dumps({"keep": 3})
    task.crontab, _ = CrontabSchedule.objects.get_or_create(minute="15", hour="4", timezone=SP)
    task.save()

    assert services.periodic_tasks_setup() == {"created": 0, "reset": 0, "kept": len(JOBS)}
    task.refresh_from_db()
    assert (task.enabled, json.loads(task.kwargs), task.crontab.hour) == (False, {"keep": 3}, "4")

    counts = services.periodic_tasks_setup(reset=True)
    assert counts["reset"] == len(JOBS)
    task.refresh_from_db()
    assert (task.enabled, json.loads(task.kwargs), task.crontab.hour) == (True, {}, "3")


def test_next_run_is_shown_in_sao_paulo_time():
    services.periodic_tasks_setup()
    task = PeriodicTask.objects.get(task="billing_rpa.create_month_processes")  # 06:00 on day 1
    task.last_run_at = datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo("UTC"))  # 06:00 in São Paulo
    task.save()
    with time_machine.travel(datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        moment = services.next_run_at(task)
    assert moment.tzinfo.key == "America/Sao_Paulo"
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == (2026, 12, 1, 6, 0)


def test_missed_runs_fire_once_not_once_per_missed_tick():
    """Beat was down for 5 hours over an hourly job: it is due once, then not again."""
    schedule, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="*", timezone=SP)
    task = PeriodicTask.objects.create(
        name="hourly", task="scheduling.cleanup_logs", crontab=schedule, last_run_at=timezone.now()
    )
    app = current_app
    with time_machine.travel(timezone.now() + timedelta(hours=5, minutes=30), tick=False):
        entry = ModelEntry(PeriodicTask.objects.get(pk=task.pk), app=app)
        due, _ = entry.is_due()
        assert due
        entry = next(entry)  # what the scheduler does after sending it: last_run_at = now
        due_again, wait = entry.is_due()
        assert not due_again
        assert 0 < wait <= 3600


def test_run_now_queues_the_job_with_its_saved_parameters(admin_user, monkeypatch, django_capture_on_commit_callbacks):
    services.periodic_tasks_setup()
    task = PeriodicTask.objects.get(task="scheduling.backup_data")
    task.kwargs = json.dumps({"keep": 2})
    task.save()
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append((name, kw)))

    with django_capture_on_commit_callbacks(execute=True):
        run = services.job_run_now(periodic_task=task, actor=admin_user)

    assert run.status == JobRunStatus.QUEUED and run.trigger == JobTrigger.MANUAL
    assert run.parameters == {"keep": 2}
    assert sent == [
        (
            "scheduling.backup_data",
            {"kwargs": {"keep": 2}, "task_id": run.task_id, "headers": {"periodic_task_name": task.name}},
        )
    ]
    assert AuditEvent.objects.filter(action="scheduling.job.run_now", actor=admin_user).count() == 1


def test_job_runs_are_recorded_by_task_signals():
    result = current_app.tasks["scheduling.cleanup_logs"].apply(kwargs={"retention_days": 30})
    run = JobRun.objects.get(task_id=result.id)
    assert run.job == "LIMPEZA_LOGS"
    assert run.status == JobRunStatus.SUCCESS
    assert run.parameters == {"retention_days": 30}
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    assert "deleted" in run.counts


def test_failed_job_run_keeps_the_error(monkeypatch):
    from scheduling import tasks

    def explode(**kwargs):
        raise RuntimeError("disco cheio")

    monkeypatch.setattr(tasks.cleanup, "cleanup_old_rows", explode)
    result = current_app.tasks["scheduling.cleanup_logs"].apply()
    run = JobRun.objects.get(task_id=result.id)
    assert run.status == JobRunStatus.FAILURE
    assert "disco cheio" in run.error


def test_a_redelivered_task_updates_its_run_instead_of_adding_one():
    task = current_app.tasks["scheduling.cleanup_logs"]
    task.apply(task_id="fixed-id")
    task.apply(task_id="fixed-id")
    assert JobRun.objects.filter(task_id="fixed-id").count() == 1


def test_old_job_runs_are_cleaned_up():
    old = JobRun.objects.create(job="X", task_name="x", task_id="old", status=JobRunStatus.SUCCESS)
    JobRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    JobRun.objects.create(job="X", task_name="x", task_id="new", status=JobRunStatus.SUCCESS)
    first = current_app.tasks["scheduling.cleanup_logs"].apply().get()
    assert first["deleted"]["scheduling.JobRun"] == 1
    second = current_app.tasks["scheduling.cleanup_logs"].apply().get()
    assert second["deleted"]["scheduling.JobRun"] == 0
    assert JobRun.objects.filter(task_id="new").exists()


def test_lock_is_exclusive_and_taken_over_when_expired():
    holder = acquire("JOB", ttl_seconds=60)
    assert holder
    assert acquire("JOB", ttl_seconds=60) is None
    JobLock.objects.filter(name="JOB").update(expires_at=timezone.now() - timedelta(seconds=1))
    thief = acquire("JOB", ttl_seconds=60)
    assert thief and thief != holder
    release("JOB", holder)  # the dead holder's release must not free the new lease
    assert JobLock.objects.filter(name="JOB", holder=thief).exists()


def test_concurrent_backup_is_skipped_while_one_runs():
    with job_lock("BACKUP_DADOS") as acquired:
        assert acquired
        result = current_app.tasks["scheduling.backup_data"].apply().get()
    assert result == {"skipped": "outro backup em andamento"}
    assert JobRun.objects.get().status == JobRunStatus.SKIPPED


@pytest.mark.django_db(transaction=True)  # /health/ reads in its own threads: the rows must be committed
def test_beat_heartbeat_and_critical_jobs_in_health(client):
    body = client.get("/health/").json()
    assert body["checks"]["beat"]["status"] == "never"
    assert body["checks"]["jobs"]["BACKUP_DADOS"]["status"] == "never"

    services.beat_heartbeat_touch(now=timezone.now() - timedelta(seconds=5))
    JobRun.objects.create(
        job="BACKUP_DADOS",
        task_name="scheduling.backup_data",
        task_id="b1",
        status=JobRunStatus.SUCCESS,
        finished_at=timezone.now() - timedelta(hours=30),
    )
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["beat"]["status"] == "ok"
    assert body["checks"]["beat"]["last_tick_age_seconds"] >= 5
    assert body["checks"]["jobs"]["BACKUP_DADOS"]["status"] == "late"  # max 26 h

    services.beat_heartbeat_touch(now=timezone.now() - timedelta(minutes=10))
    assert client.get("/health/").json()["checks"]["beat"]["status"] == "stale"


def test_heartbeat_scheduler_touches_on_tick(settings):
    from scheduling.beat import HeartbeatScheduler
    from scheduling.models import BeatHeartbeat

    settings.BEAT_HEARTBEAT_SECONDS = 0
    scheduler = HeartbeatScheduler(app=current_app, lazy=True)
    scheduler.setup_schedule = lambda: None
    DatabaseScheduler.tick = lambda self, *a, **k: 1.0  # the parent's scheduling is not under test here
    try:
        scheduler.tick()
    finally:
        del DatabaseScheduler.tick
    assert BeatHeartbeat.objects.filter(name="beat").exists()

"""Heartbeat leases: a dead holder's lease lapses within its short TTL; a finished task is not run twice."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from scheduling import locks
from scheduling.choices import JobRunStatus
from scheduling.models import JobLock, JobRun


@pytest.mark.django_db
def test_a_lease_left_by_a_killed_worker_is_taken_over_after_its_short_ttl():
    dead = locks.acquire("BACKUP_DADOS", ttl_seconds=locks.DEFAULT_TTL)  # the holder dies: nobody renews
    assert dead is not None
    with locks.job_lock("BACKUP_DADOS") as acquired:
        assert not acquired  # still alive as far as anyone can tell
    later = timezone.now() + timedelta(seconds=locks.DEFAULT_TTL + 1)
    with time_machine.travel(later), locks.job_lock("BACKUP_DADOS") as acquired:
        assert acquired  # within minutes, not after the task's 30-minute time limit
    assert not JobLock.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_running_holders_lease_alive():
    with locks.job_lock("LIMPEZA_LOGS", ttl_seconds=0.6) as acquired:
        assert acquired
        first = JobLock.objects.get().expires_at
        time.sleep(1.0)  # longer than the TTL: only renewals keep it
        assert JobLock.objects.get().expires_at > first
        assert locks.acquire("LIMPEZA_LOGS", ttl_seconds=1) is None


@pytest.mark.django_db
def test_a_redelivered_copy_of_a_finished_task_skips():
    JobRun.objects.create(
        job="BACKUP_DADOS", task_name="scheduling.backup_data", task_id="t-1", status=JobRunStatus.SUCCESS
    )
    with locks.job_lock("BACKUP_DADOS", task_id="t-1") as acquired:
        assert not acquired
    with locks.job_lock("BACKUP_DADOS", task_id="t-2") as acquired:
        assert acquired

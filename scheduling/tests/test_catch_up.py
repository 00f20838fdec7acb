"""Runs missed while beat or the broker was down follow each job's catch-up policy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from scheduling import beat, services
from scheduling.catalogue import JOBS, CatchUp
from scheduling.choices import JobRunStatus, JobTrigger
from scheduling.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedules():
    services.periodic_tasks_setup()
    return {task.task: task for task in PeriodicTask.objects.all()}


def test_every_catalogue_job_has_a_policy_and_the_ones_that_matter_catch_up():
    once = {job.key for job in JOBS if job.catch_up == CatchUp.ONCE}
    assert {"CRIAR_PROCESSOS_MENSAIS", "BACKUP_DADOS", "SNAPSHOT_MENSAL", "APURAR_IR_MENSAL"} <= once
    assert "ACOMPANHAR_ROBOS" not in once and "ATUALIZAR_COTACOES" not in once


def test_beat_start_lets_skip_jobs_wait_and_keeps_once_jobs_due(schedules):
    long_ago = timezone.now() - timedelta(days=3)
    PeriodicTask.objects.update(last_run_at=long_ago)
    beat.skip_missed_runs()
    refresh = PeriodicTask.objects.get(pk=schedules["quotes.refresh_quotes"].pk)
    backup = PeriodicTask.objects.get(pk=schedules["scheduling.backup_data"].pk)
    assert refresh.last_run_at > long_ago  # SKIP: no run for the missed times
    assert backup.last_run_at == long_ago  # ONCE: beat finds it due once and sends it


class Entry:
    def __init__(self, task):
        self.name, self.task, self.kwargs = task.name, task.task, {"keep": 3}


def test_a_send_refused_by_the_broker_is_sent_once_when_it_is_back(schedules):
    backup, poller = schedules["scheduling.backup_data"], schedules["billing_rpa.poll_executions"]
    assert beat.record_not_sent(Entry(poller)) is None  # SKIP job: the next tick does the work
    pending = beat.record_not_sent(Entry(backup))
    assert (pending.status, pending.trigger) == (JobRunStatus.NOT_SENT, JobTrigger.CATCH_UP)

    assert beat.send_pending_catch_ups(lambda run: False) == 0  # still down: stays pending
    assert JobRun.objects.get().status == JobRunStatus.NOT_SENT

    sent = []
    assert beat.send_pending_catch_ups(lambda run: sent.append((run.task_name, run.task_id)) or True) == 1
    assert beat.send_pending_catch_ups(lambda run: sent.append(run.task_id) or True) == 0  # exactly once
    assert sent == [("scheduling.backup_data", pending.task_id)]
    run = JobRun.objects.get()
    assert run.status == JobRunStatus.QUEUED and run.parameters == {"keep": 3}


def test_the_policy_is_shown_in_the_schedules_admin(admin_client, schedules):
    page = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert "Executa uma vez ao voltar" in page and "Pula; espera o próximo horário" in page

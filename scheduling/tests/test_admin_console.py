"""Schedules in the operators' language: sentences, next run, last result, job history, labels."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from scheduling.choices import JobRunStatus
from scheduling.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def run(job, status, minutes_ago, name="", **extra):
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    row = JobRun.objects.create(
        job=job,
        task_name=f"t.{job}",
        task_id=f"{job[:3].lower()}{minutes_ago:05d}-{status}",
        periodic_task_name=name,
        status=status,
        started_at=moment,
        finished_at=moment + timedelta(seconds=2, milliseconds=500),
        **extra,
    )
    JobRun.objects.filter(pk=row.pk).update(created_at=moment)
    return row


def test_schedules_read_as_sentences_with_next_run_and_last_result(admin_client):
    services.periodic_tasks_setup()
    run("EXECUTAR_DOWNLOADS", JobRunStatus.FAILURE, 5, name="Executar downloads pendentes")
    page = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert "De segunda a sexta, às 08:00" in page and "A cada 5 segundos" in page
    assert "Falhou" in page and "próxima execução (são paulo)" in page.lower()
    assert "Agendamentos" in page


def test_job_history_hides_the_poller_by_default_and_shows_seconds(admin_client):
    poll = run("ACOMPANHAR_ROBOS", JobRunStatus.SUCCESS, 1)
    backup = run("BACKUP_DADOS", JobRunStatus.SUCCESS, 2)
    url = reverse("admin:scheduling_jobrun_changelist")
    page = admin_client.get(url).content.decode()
    assert backup.task_id[:8] in page and poll.task_id[:8] not in page
    assert timezone.localtime(backup.started_at).strftime("%d/%m/%Y %H:%M:%S") in page
    assert "2,5 s" in page
    everything = admin_client.get(url, {"job": "__todos__"}).content.decode()
    assert poll.task_id[:8] in everything and backup.task_id[:8] in everything
    only_poller = admin_client.get(url, {"job": "ACOMPANHAR_ROBOS"}).content.decode()
    assert poll.task_id[:8] in only_poller and backup.task_id[:8] not in only_poller


def test_third_party_labels_are_portuguese(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    for label in ("Agendamentos", "Resultados das tarefas", "Sessões da API (tokens)", "Tokens revogados"):
        assert label in page
    for label in ("Periodic Tasks", "Celery Results", "Token Blacklist", "Crontabs", "Outstanding tokens"):
        assert label not in page


def test_crontab_list_reads_as_sentences(admin_client):
    services.periodic_tasks_setup()
    page = admin_client.get(reverse("admin:django_celery_beat_crontabschedule_changelist")).content.decode()
    assert "No dia 1 do mês, às 06:00" in page


def test_home_shows_backup_age_and_failed_schedules(admin_client):
    services.periodic_tasks_setup()
    run("BACKUP_DADOS", JobRunStatus.SUCCESS, 60 * 30 + 10)
    run("EXECUTAR_DOWNLOADS", JobRunStatus.FAILURE, 5, name="Executar downloads pendentes")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'data-card="ops.backup"' in page, page[page.find("x-home") : page.find("x-home") + 3000]
    assert "30 horas" in page
    assert 'data-card="ops.schedules_failed"' in page and "Executar downloads pendentes" in page

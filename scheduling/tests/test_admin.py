import json

import pytest
from celery import current_app
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from scheduling import services
from scheduling.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def crontab():
    return CrontabSchedule.objects.create(minute="0", hour="6", day_of_month="1", timezone="America/Sao_Paulo")


def form_data(crontab, **overrides):
    data = {
        "name": "Mensal",
        "regtask": "billing_rpa.create_month_processes",
        "task": "",
        "enabled": "on",
        "description": "",
        "crontab": crontab.pk,
        "interval": "",
        "start_time_0": "",
        "start_time_1": "",
        "kwargs": "{}",
        "args": "[]",
        "expire_seconds": "",
        "priority": "",
        "headers": "{}",
    }
    data.update(overrides)
    return data


def test_changelist_shows_next_run_and_job(admin_client):
    services.periodic_tasks_setup()
    response = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "CRIAR_PROCESSOS_MENSAIS" in page
    assert "próxima execução (são paulo)" in page.lower()


def test_form_only_offers_catalogue_jobs(admin_client):
    page = admin_client.get(reverse("admin:django_celery_beat_periodictask_add")).content.decode()
    assert "CRIAR_PROCESSOS_MENSAIS" in page
    assert "celery.backend_cleanup" not in page
    assert "exitus.ping" not in page


def test_form_saves_a_valid_schedule(admin_client, crontab):
    response = admin_client.post(
        reverse("admin:django_celery_beat_periodictask_add"), form_data(crontab, kwargs='{"month": "12/2026"}')
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = PeriodicTask.objects.get(name="Mensal")
    assert task.task == "billing_rpa.create_month_processes"
    assert json.loads(task.kwargs) == {"month": "12/2026"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"regtask": "exitus.ping"}, "Faça uma escolha válida"),
        ({"kwargs": '{"month": "2026-12"}'}, "MM/AAAA"),
        ({"kwargs": '{"mes": "12/2026"}'}, "desconhecido"),
        ({"args": '["x"]'}, "posicionais"),
    ],
)
def test_form_refuses_bad_input(admin_client, crontab, overrides, message):
    response = admin_client.post(reverse("admin:django_celery_beat_periodictask_add"), form_data(crontab, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PeriodicTask.objects.filter(name="Mensal").exists()


def test_run_now_action_queues_and_links_to_the_result(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    services.periodic_tasks_setup()
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append(name))
    task = PeriodicTask.objects.get(task="scheduling.cleanup_logs")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:django_celery_beat_periodictask_changelist"),
            {"action": "run_now", "_selected_action": [task.pk]},
            follow=True,
        )
    page = response.content.decode()
    run = JobRun.objects.get()
    assert sent == ["scheduling.cleanup_logs"]
    assert "1 job enfileirado" in page
    assert f"task_id={run.task_id}" in page


def test_job_history_admin_lists_runs(admin_client):
    current_app.tasks["scheduling.cleanup_logs"].apply()
    response = admin_client.get(reverse("admin:scheduling_jobrun_changelist"))
    assert response.status_code == 200
    assert "LIMPEZA_LOGS" in response.content.decode()

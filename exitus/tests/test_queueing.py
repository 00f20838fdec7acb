"""With the broker unreachable, work is never silently lost: refused with a message, or left to a periodic job."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from exitus import queueing
from quotes import tasks as quote_tasks
from scheduling import services as scheduling_services
from scheduling.choices import JobRunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    from exitus.celery import app

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(app, "send_task", refuse)
    for task in (quote_tasks.refresh_quotes, quote_tasks.backfill_prices):
        monkeypatch.setattr(task, "delay", refuse)


def test_publish_reports_a_refusing_broker(broker_down, caplog):
    assert queueing.publish(quote_tasks.refresh_quotes, tickers=["PETR4:BR"]) is False
    assert "could not enqueue quotes.refresh_quotes (OperationalError)" in caplog.text
    with pytest.raises(queueing.QueueUnavailable):
        queueing.publish_or_unavailable(quote_tasks.refresh_quotes, tickers=["PETR4:BR"])


def test_admin_refresh_says_nothing_was_queued(broker_down, admin_client):
    from quotes.tests.factories import make_asset

    asset = make_asset("PETR4")
    response = admin_client.post(
        reverse("admin:quotes_quotedasset_changelist"),
        {"action": "refresh_selected", "_selected_action": [asset.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "nada foi enfileirado" in response.content.decode()


def test_run_now_with_the_broker_down_is_recorded_as_failed(
    broker_down, admin_user, django_capture_on_commit_callbacks
):
    scheduling_services.periodic_tasks_setup()
    task = PeriodicTask.objects.get(task="scheduling.backup_data")
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling_services.job_run_now(periodic_task=task, actor=admin_user)
    run.refresh_from_db()
    assert run.status == JobRunStatus.FAILURE
    assert "Fila de tarefas indisponível" in run.error

"""Tasks by name (as django-celery-beat calls them), notifications, commands, the live e2e."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from billing_rpa import services, tasks
from billing_rpa.choices import ExecutionStatus, NotificationKind, ProcessStatus
from billing_rpa.models import BillingClient, BillingNotification, InvoiceProcess
from exitus.celery import app

from .conftest import drive
from .factories import BillingClientFactory, InvoiceProcessFactory

PUBLIC = [
    "billing_rpa.create_month_processes",
    "billing_rpa.dispatch_pending_downloads",
    "billing_rpa.send_approved_to_sat",
    "billing_rpa.poll_executions",
    "billing_rpa.notify_pending_approvals",
    "billing_rpa.notify_late_processes",
]


def test_public_tasks_registered_and_routed():
    for name in PUBLIC:
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "rpa"


def test_month_tasks_return_counts(sim, billing_client, aprovador, mailoutbox, operador):
    assert tasks.create_month_processes.run(month="10/2025") == {"month": "10/2025", "created": 1, "existing": 0}
    assert tasks.create_month_processes.run(month="10/2025")["created"] == 0
    assert tasks.dispatch_pending_downloads.run(carrier="VIVO", limit=10) == {"dispatched": 1, "skipped": 0}
    process = InvoiceProcess.objects.get(month="10/2025")
    drive(process)
    assert tasks.poll_executions.run() == {}
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    assert tasks.notify_pending_approvals.run() == {"pending": 1, "emailed": 1}
    assert mailoutbox[0].bcc == [aprovador.email] and "aguardando aprovação" in mailoutbox[0].subject
    assert BillingNotification.objects.get().kind == NotificationKind.PENDING_APPROVAL
    services.process_approve(process=process, actor=aprovador)
    assert tasks.send_approved_to_sat.run() == {"dispatched": 1, "skipped": 0}
    drive(process)
    process.refresh_from_db()
    assert process.status == ProcessStatus.UPLOAD_REALIZADO


def test_notify_pending_approvals_with_nothing_pending(db):
    assert tasks.notify_pending_approvals.run() == {"pending": 0, "emailed": 0}


def test_failed_execution_notifies_operators_once(sim, process, operador, mailoutbox, settings):
    sim.faults.business_failure = True
    execution = services.process_request_download(process=process, actor=operador)
    drive(process)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FALHOU
    assert tasks.notify_execution_failed.run(execution.pk)["notified"] == 1
    assert tasks.notify_execution_failed.run(execution.pk)["notified"] == 0  # redelivered: nobody told twice
    assert len(mailoutbox) == 1 and mailoutbox[0].bcc == [operador.email]


def test_late_processes_notified_once_a_day(db, operador, mailoutbox):
    InvoiceProcessFactory(month="01/2020")
    InvoiceProcessFactory(month=services.current_month())
    assert tasks.notify_late_processes.run() == {"late": 1, "emailed": 1}
    assert tasks.notify_late_processes.run() == {"late": 1, "emailed": 0}
    assert "01/2020: 1" in mailoutbox[0].body


def test_late_rules(db, settings):
    from billing_rpa.selectors import late_cutoff

    settings.BILLING_LATE_AFTER_DAYS = 10
    assert late_cutoff(date(2025, 4, 5)) == date(2025, 3, 1)  # March not late until April 11
    assert late_cutoff(date(2025, 4, 11)) == date(2025, 4, 1)


def test_import_command(db, tmp_path, carrier):
    from .factories import make_cnpj

    path = tmp_path / "clientes.csv"
    path.write_text(f"razao_social;cnpj;operadora\nA;{make_cnpj(5)};VIVO\nB;999;VIVO\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_billing_clients", str(path), "--dry-run", stdout=out)
    assert "[dry-run] 2 linhas" in out.getvalue() and "linha 3" in out.getvalue()
    assert BillingClient.objects.count() == 0
    call_command("import_billing_clients", str(path), stdout=io.StringIO())
    assert BillingClient.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("import_billing_clients", str(tmp_path / "nope.csv"))


def test_import_demo_fixture_dry_run(db):
    from django.conf import settings

    from billing_rpa import demo

    demo._carriers()
    out = io.StringIO()
    call_command("import_billing_clients", str(settings.FIXTURES_DIR / "billing_clients.csv"), "--dry-run", stdout=out)
    assert "20 linhas: 20 created, 0 updated, 0 unchanged, 0 error" in out.getvalue()


def test_simulator_command_rejects_bad_host():
    with pytest.raises(CommandError):
        call_command("rpa_simulator", "--host", "10.0.0.1", "--port", "0")


@pytest.mark.django_db(transaction=True)
def test_live_end_to_end_sat_robot_fetches_signed_link(live_server, settings):
    """Filesystem storage: the SAT robot GETs our signed link over HTTP, then reports a protocol."""
    from billing_rpa.simulator import RpaSimulator, Timing

    from .conftest import SIM_TOKEN
    from .factories import staff_user

    settings.BILLING_PUBLIC_BASE_URL = live_server.url
    operador, aprovador = staff_user("Operador"), staff_user("Aprovador")
    process = InvoiceProcessFactory(client=BillingClientFactory())
    with RpaSimulator(token=SIM_TOKEN, timing=Timing(queued_s=0, running_s=0.05), verify_sat_file=True) as sim:
        settings.RPA_API_URL, settings.RPA_API_TOKEN = sim.url, SIM_TOKEN
        services.process_request_download(process=process, actor=operador)
        drive(process)
        services.process_approve(process=process, actor=aprovador)
        sat = services.process_request_sat_upload(process=process, actor=operador)
        drive(process)
        sat.refresh_from_db()
        assert sat.status == ExecutionStatus.CONCLUIDO, sat.error_data
        assert sim.jobs[sat.rpa_job_id].sat_check == ""  # it fetched a real PDF from us
    process.refresh_from_db()
    assert process.status == ProcessStatus.UPLOAD_REALIZADO and process.sat_protocol


def test_poller_routine_lines_log_at_debug(caplog):
    import logging

    from billing_rpa import quiet_poller

    quiet_poller.install()
    beat = logging.getLogger("celery.beat")
    with caplog.at_level(logging.INFO):
        beat.info("Scheduler: Sending due task Acompanhar robôs (billing_rpa.poll_executions)")
        beat.info("Scheduler: Sending due task Criar processos (billing_rpa.create_month_processes)")
        beat.warning("billing_rpa.poll_executions raised")
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("INFO", "Scheduler: Sending due task Criar processos (billing_rpa.create_month_processes)") in messages
    assert not any("Acompanhar" in text for _level, text in messages)
    assert ("WARNING", "billing_rpa.poll_executions raised") in messages
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        beat.info("Scheduler: Sending due task Acompanhar robôs (billing_rpa.poll_executions)")
    assert [(r.levelname, "Acompanhar" in r.getMessage()) for r in caplog.records] == [("DEBUG", True)]

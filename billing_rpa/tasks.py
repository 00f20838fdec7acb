"""Celery tasks: take ids or strings, call a service, return a small JSON dict of counts.

The scheduling app calls the public ones by name from django-celery-beat:
``create_month_processes``, ``dispatch_pending_downloads``, ``send_approved_to_sat``,
``poll_executions`` (every few seconds) and ``notify_pending_approvals``; and the monthly
report jobs, which keep the ``scheduling.*`` names stored schedules know them by.
Robot errors are not retried here: the services record them and reschedule the
execution for the poller, so a redelivered task never has a second effect.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from scheduling.locks import job_lock

from . import notifications, reports, services

DB_ERRORS = (OperationalError, InterfaceError)
COMMON = {
    "acks_late": True,
    "autoretry_for": DB_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 3,
}


@shared_task(name="billing_rpa.create_month_processes", soft_time_limit=120, time_limit=180, **COMMON)
def create_month_processes(month=None):
    return services.process_create_month(month=month)


@shared_task(name="billing_rpa.dispatch_pending_downloads", soft_time_limit=240, time_limit=300, **COMMON)
def dispatch_pending_downloads(carrier=None, limit=None):
    return services.processes_dispatch_downloads(carrier=carrier, limit=limit)


@shared_task(name="billing_rpa.send_approved_to_sat", soft_time_limit=240, time_limit=300, **COMMON)
def send_approved_to_sat(limit=None):
    return services.processes_dispatch_sat(limit=limit)


@shared_task(name="billing_rpa.poll_executions", soft_time_limit=90, time_limit=120, **COMMON)
def poll_executions():
    return services.executions_poll_due()


@shared_task(name="billing_rpa.notify_pending_approvals", soft_time_limit=60, time_limit=90, **COMMON)
def notify_pending_approvals():
    return notifications.notify_pending_approvals()


@shared_task(name="billing_rpa.notify_late_processes", soft_time_limit=60, time_limit=90, **COMMON)
def notify_late_processes():
    return notifications.notify_late_processes()


@shared_task(name="billing_rpa.start_execution", soft_time_limit=60, time_limit=90, **COMMON)
def start_execution(execution_id):
    """Start one robot job right away (the poller would otherwise start it on its next tick)."""
    return {"execution": execution_id, "outcome": services.execution_start_now(execution_id)}


@shared_task(name="billing_rpa.cancel_robot_job", soft_time_limit=30, time_limit=60, **COMMON)
def cancel_robot_job(execution_id):
    return {"cancelled": int(services.execution_cancel_on_robot(execution_id))}


@shared_task(name="billing_rpa.notify_execution_failed", soft_time_limit=60, time_limit=90, **COMMON)
def notify_execution_failed(execution_id):
    return notifications.notify_execution_failed(execution_id)


# The monthly report jobs began in the scheduling app: their task names stay as they were,
# since stored beat schedules (and the scheduling catalogue) name them.


@shared_task(name="scheduling.send_monthly_report", bind=True, soft_time_limit=300, time_limit=360)
def send_monthly_report(self, month=None, recipients=None, force=False):
    with job_lock(reports.REPORT_JOB, task_id=self.request.id) as acquired:
        if not acquired:
            return {"skipped": "envio já em andamento"}
        return reports.send_monthly_report(month=month, recipients=recipients, force=force, task_id=self.request.id)


@shared_task(name="scheduling.check_monthly_processes", soft_time_limit=60, time_limit=90)
def check_monthly_processes():
    return reports.check_monthly_processes()

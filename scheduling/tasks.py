"""Scheduling's own jobs. Each returns a dict of counts (stored in its JobRun)."""

from celery import shared_task

from . import backup, cleanup, reports
from .locks import job_lock


@shared_task(name="scheduling.backup_data", soft_time_limit=1800, time_limit=1900)
def backup_data(keep=None):
    with job_lock("BACKUP_DADOS", ttl_seconds=1900) as acquired:
        if not acquired:
            return {"skipped": "outro backup em andamento"}
        return backup.backup_create(keep=keep)


@shared_task(name="scheduling.cleanup_logs", soft_time_limit=1800, time_limit=1900)
def cleanup_logs(retention_days=None):
    with job_lock("LIMPEZA_LOGS", ttl_seconds=1900) as acquired:
        if not acquired:
            return {"skipped": "limpeza já em andamento"}
        return {"deleted": cleanup.cleanup_old_rows(retention_days=retention_days)}


@shared_task(name="scheduling.send_monthly_report", bind=True, soft_time_limit=300, time_limit=360)
def send_monthly_report(self, month=None, recipients=None, force=False):
    with job_lock("ENVIAR_RELATORIOS", ttl_seconds=360) as acquired:
        if not acquired:
            return {"skipped": "envio já em andamento"}
        return reports.send_monthly_report(month=month, recipients=recipients, force=force, task_id=self.request.id)


@shared_task(name="scheduling.check_monthly_processes", soft_time_limit=60, time_limit=90)
def check_monthly_processes():
    return reports.check_monthly_processes()

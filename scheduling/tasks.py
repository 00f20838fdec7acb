"""Scheduling's own jobs. Each returns a dict of counts (stored in its JobRun).

The billing report jobs keep their ``scheduling.*`` task names but live in ``billing_rpa.tasks``.
"""

from celery import shared_task

from . import backup, cleanup
from .locks import job_lock


@shared_task(name="scheduling.backup_data", bind=True, soft_time_limit=1800, time_limit=1900)
def backup_data(self, keep=None):
    with job_lock("BACKUP_DADOS", task_id=self.request.id) as acquired:
        if not acquired:
            return {"skipped": "outro backup em andamento"}
        return backup.backup_create(keep=keep)


@shared_task(name="scheduling.cleanup_logs", bind=True, soft_time_limit=1800, time_limit=1900)
def cleanup_logs(self, retention_days=None):
    with job_lock("LIMPEZA_LOGS", task_id=self.request.id) as acquired:
        if not acquired:
            return {"skipped": "limpeza já em andamento"}
        return {"deleted": cleanup.cleanup_old_rows(retention_days=retention_days)}

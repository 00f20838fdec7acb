"""Deletes old operational rows (job history, task results, and what the apps register:
billing's robot log lines...).

Each entry names a model by label so this module does not import the owning apps; an app
adds its own from its ``AppConfig.ready()`` with :func:`register_cleanup`. The retention of
each comes from settings. Deletes go in batches to keep locks short.
"""

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

BATCH = 5000

# (model label, timestamp field, retention setting)
TARGETS = [
    ("quotes.ProviderAttempt", "created_at", "PROVIDER_ATTEMPT_RETENTION_DAYS"),
    ("scheduling.JobRun", "created_at", "JOBRUN_RETENTION_DAYS"),
    ("django_celery_results.TaskResult", "date_done", "TASK_RESULT_RETENTION_DAYS"),
]


def register_cleanup(label, field, setting):
    """Have the cleanup job delete ``label`` rows whose ``field`` is older than ``settings.<setting>`` days."""
    entry = (label, field, setting)
    if entry not in TARGETS:
        TARGETS.append(entry)


def _delete_older(model, field, cutoff):
    deleted = 0
    while True:
        ids = list(model.objects.filter(**{f"{field}__lt": cutoff}).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += model.objects.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)


def cleanup_old_rows(*, retention_days=None, now=None):
    """Delete rows older than their retention. ``retention_days`` overrides every setting."""
    now = now or timezone.now()
    counts = {}
    for label, field, setting in TARGETS:
        try:
            model = apps.get_model(label)
        except LookupError:
            logger.info("cleanup: %s is not installed, skipped", label)
            continue
        days = retention_days or getattr(settings, setting)
        counts[label] = _delete_older(model, field, now - timedelta(days=days))
    return counts

"""The Celery application. Configuration lives in settings under the ``CELERY_`` prefix."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")

app = Celery("exitus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_filesystem_broker_folders():
    """kombu's filesystem transport expects its folders to exist; create them once."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _on_configure(sender, **kwargs):
    ensure_filesystem_broker_folders()


@app.task(name="exitus.ping", ignore_result=False)
def ping():
    """Answer ``pong``: proves a worker consumes from the configured broker."""
    return "pong"

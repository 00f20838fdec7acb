"""``GET /health/``: is every part this process depends on reachable?

Each check is short and bounded by ``HEALTH_CHECK_TIMEOUT``. The answer names the
failing part but never a URL, password or host. Other apps add checks (beat tick
age, last runs of critical jobs) through :data:`EXTRA_CHECKS`.
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# name -> callable returning a JSON-serialisable detail (``"ok"`` or a dict); raise to fail.
# Checks registered here report but never turn the answer into 503 on their own.
EXTRA_CHECKS = {}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache():
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache read-back failed")
    cache.delete(key)
    return "ok"


def check_broker():
    from exitus.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
        if conn.transport.driver_type == "filesystem":
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            if not folder.is_dir():
                raise RuntimeError("broker folder missing")
    return "ok"


def check_storage():
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return "ok"


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def run_checks():
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure
            logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
            results[name] = {"status": "error", "error": exc.__class__.__name__}
            healthy = False
    for name, check in EXTRA_CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001
            results[name] = {"status": "error", "error": exc.__class__.__name__}
    return healthy, results


@never_cache
@require_GET
def health(request):
    healthy, checks = run_checks()
    body = {"status": "ok" if healthy else "error", "checks": checks, "version": settings.EXITUS_VERSION}
    if not healthy:
        body["failing"] = [name for name, value in checks.items() if value != "ok" and name in CHECKS]
    return JsonResponse(body, status=200 if healthy else 503)

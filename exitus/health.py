"""``GET /health/``: is every part this process depends on reachable?

The checks run concurrently and the answer comes within ``HEALTH_CHECK_TIMEOUT`` (2 s)
whatever hangs. The answer names the failing part but never a URL, password or host. Other apps add checks (beat tick
age, last runs of critical jobs) through :data:`EXTRA_CHECKS`.
"""

import logging
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
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
        if conn.transport.driver_type == "redis":
            conn.default_channel.client.ping()  # a hung Redis accepts the connection but never answers
        elif conn.transport.driver_type == "filesystem":
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


def _run_one(name, check, results):
    """Run one check in its own thread; a database connection it opened is closed with it."""
    try:
        results[name] = check()
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
        results[name] = {"status": "error", "error": exc.__class__.__name__}
    finally:
        connections.close_all()  # this thread's connections only


def run_checks(timeout: float | None = None):
    """Every check at once, each in a thread; the answer never waits longer than ``timeout``.

    A dependency that hangs (Redis stopped with SIGSTOP, a database that never answers) would
    hold a sequential check until its client timeout, and the checks' timeouts would add up.
    Here they run side by side and whatever has not answered by the deadline is reported as
    ``timeout``; its thread finishes (bounded by its client's own timeouts) in the background.
    """
    timeout = settings.HEALTH_CHECK_TIMEOUT if timeout is None else timeout
    every = {**CHECKS, **EXTRA_CHECKS}
    results: dict = {}
    threads = [
        threading.Thread(target=_run_one, args=(name, check, results), name=f"health-{name}", daemon=True)
        for name, check in every.items()
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    answered = dict(results)
    report = {
        name: answered.get(name, {"status": "error", "error": "timeout", "timeout_seconds": timeout}) for name in every
    }
    healthy = all(report[name] == "ok" for name in CHECKS)
    return healthy, report


@never_cache
@require_GET
def health(request):
    healthy, checks = run_checks()
    body = {"status": "ok" if healthy else "error", "checks": checks, "version": settings.EXITUS_VERSION}
    if not healthy:
        body["failing"] = [name for name, value in checks.items() if value != "ok" and name in CHECKS]
    return JsonResponse(body, status=200 if healthy else 503)

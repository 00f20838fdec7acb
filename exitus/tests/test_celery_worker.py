"""A real Celery worker process consumes the ``ping`` task from the configured broker.

Without services the broker is kombu's filesystem transport (what ``make run`` uses);
with ``REDIS_URL`` set it is Redis. No eager mode: the task crosses process boundaries.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def broker_and_backend(tmp_path):
    redis_url = settings.REDIS_URL  # this test worker's own Redis database
    if redis_url:
        return redis_url, redis_url, {}
    # The worker derives the same folders from CELERY_BROKER_DIR (see settings).
    queue = tmp_path / "queue"
    queue.mkdir()
    (tmp_path / "processed").mkdir()
    (tmp_path / "results").mkdir()
    transport = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(tmp_path / "processed"),
    }
    return "filesystem://", f"file://{tmp_path / 'results'}", transport


@pytest.fixture
def worker(tmp_path):
    broker, backend, transport = broker_and_backend(tmp_path)
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_BROKER_DIR": str(tmp_path),
        "CELERY_RESULT_BACKEND": backend,
        "DJANGO_SETTINGS_MODULE": "exitus.settings",
        "TESTING": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "exitus", "worker", "-P", "solo", "-Q", "default", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    client = Celery("test-client", broker=broker, backend=backend)
    client.conf.update(
        broker_transport_options=transport,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        broker_connection_retry_on_startup=True,
    )
    try:
        yield client
    finally:
        process.send_signal(signal.SIGQUIT)  # cold shutdown: nothing is running by now
        try:
            output, _ = process.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode not in (0, -signal.SIGQUIT, -signal.SIGTERM, -signal.SIGKILL):
            print(output.decode(errors="replace"))


def test_ping_runs_on_a_real_worker(worker):
    result = worker.send_task("exitus.ping", queue="default")
    assert result.get(timeout=30) == "pong"
    assert result.successful()

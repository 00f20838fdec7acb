"""A real Celery worker killed in the middle of a robot POST (PostgreSQL + Redis pass).

The worker is SIGKILLed after the robot received ``POST /executar/...`` but before the job id
was committed. The task (acks_late) is redelivered to a second worker, which re-sends the same
idempotency_key: the robot answers with the job it already has. Result: one execution, one job.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from billing_rpa import services
from billing_rpa.choices import ExecutionStatus
from billing_rpa.models import Execution
from billing_rpa.simulator import RpaSimulator, Timing
from exitus.tests.processes import celery_worker

from .conftest import SIM_TOKEN
from .factories import InvoiceProcessFactory, staff_user

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs a database and a broker shared with a worker process: run with DATABASE_URL (PostgreSQL) "
        "and REDIS_URL; SQLite in-memory cannot be seen by another process",
    ),
]


def _worker(env, log):
    return celery_worker(env, log, queue="rpa")


def _wait(predicate, timeout, what):
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_killed_worker_redelivery_creates_no_second_job(tmp_path):
    import redis
    from celery import Celery

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # our own Redis database
    process = InvoiceProcessFactory()
    operador = staff_user("Operador")
    with RpaSimulator(token=SIM_TOKEN, timing=Timing(queued_s=0, running_s=0.1)) as sim:
        sim.faults.slow_ms = 1500  # the robot takes 1.5 s to accept the job
        db = connection.settings_dict
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_RESULT_BACKEND": settings.REDIS_URL,
            "CELERY_VISIBILITY_TIMEOUT": "2",
            "RPA_API_URL": sim.url,
            "RPA_API_TOKEN": SIM_TOKEN,
            "RPA_API_READ_TIMEOUT": "5",
            "BILLING_RPA_CLAIM_LEASE_SECONDS": "1",
            "BILLING_RPA_POLL_INTERVAL_SECONDS": "60",
        }
        if db.get("PASSWORD"):
            env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        execution = services.process_request_download(process=process, actor=operador)
        publisher = Celery("publisher", broker=settings.REDIS_URL)
        publisher.send_task("billing_rpa.start_execution", args=[execution.pk], queue="rpa")

        with (tmp_path / "worker1.log").open("wb") as log1:
            first = _worker(env, log1)
            try:
                _wait(
                    lambda: any(path.startswith("/executar/") for _, path in list(sim.requests)), 30, "the robot POST"
                )
                first.send_signal(signal.SIGKILL)  # dies mid-request, before committing the job id
                first.wait(timeout=10)
            finally:
                if first.poll() is None:
                    first.kill()
        _wait(lambda: len(sim.robot_jobs()) == 1, 5, "the robot to create the job")
        execution.refresh_from_db()
        assert execution.rpa_job_id == ""  # the first worker never stored it

        with (tmp_path / "worker2.log").open("wb") as log2:
            second = _worker(env, log2)
            try:
                _wait(
                    lambda: Execution.objects.filter(pk=execution.pk).exclude(rpa_job_id="").exists(),
                    40,
                    "the redelivered task to store the job id",
                )
            finally:
                second.send_signal(signal.SIGTERM)
                try:
                    second.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    second.kill()
        execution.refresh_from_db()
        assert len(sim.robot_jobs()) == 1
        assert execution.rpa_job_id == sim.robot_jobs()[0].job_id
        assert Execution.objects.filter(process=process).count() == 1
        assert execution.status == ExecutionStatus.EXECUTANDO and execution.start_tries == 1
        posts = [path for method, path in sim.requests if method == "POST"]
        assert len(posts) == 2  # the same request twice, one job

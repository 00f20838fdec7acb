"""Fault drills on real processes (PostgreSQL + Redis pass): what an outage does to the site.

Each drill starts the production web server (gunicorn, DEBUG off) or Celery workers as
subprocesses, then breaks something real: a private redis-server is stopped (SIGTERM) or hung
(SIGSTOP), the database is replaced by a loopback port that accepts connections and never
answers, a worker is SIGKILLed in the middle of a job. The assertions are what a user or an
operator would notice: how long the answer took, its status, that it is JSON, and that nothing
was lost or done twice. The shared Redis on 6379 is never touched.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from exitus.tests.processes import celery_worker

ROOT = Path(__file__).resolve().parents[2]
HEALTH_BOUND = 2.0 + 0.8  # the health timeout, plus the request's own overhead
SIGNING_KEY = "drill-signing-key-" + "x" * 40

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL or not shutil.which("redis-server"),
        reason="drills need PostgreSQL (DATABASE_URL), Redis (REDIS_URL) and redis-server to start a private one",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what):
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def private_redis():
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _accepts(port), 10, "the private redis-server")
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.terminate()
        process.wait(timeout=10)


def _accepts(port) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def black_hole():
    """A loopback port that accepts TCP connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def production_env(**overrides) -> dict:
    """DEBUG off, as deployed: Django's error views and the project's handlers answer."""
    from cryptography.fernet import Fernet

    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": "drill-" + "s" * 60,
            "JWT_SIGNING_KEY": SIGNING_KEY,
            "BILLING_FERNET_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "QUOTES_MODE": "offline",
            "MEDIA_ROOT": overrides.pop("MEDIA_ROOT", "/tmp/exitus-drill-media"),
        }
    )
    env.update(overrides)
    return env


@contextmanager
def web_server(env):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "exitus.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _accepts(port), 30, "gunicorn")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def timed(method, url, **kwargs):
    started = time.monotonic()
    response = httpx.request(method, url, timeout=30, **kwargs)
    response.elapsed_s = time.monotonic() - started
    return response, response.elapsed_s


def report(drill, **measures):
    """One JSON line per drill with its measured times (``pytest -s`` shows them)."""
    seconds = {name: round(getattr(value, "elapsed_s", value), 2) for name, value in measures.items()}
    print(json.dumps({"drill": drill, "seconds": seconds}))


def access_token(user_id) -> str:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex, "user_id": str(user_id)}
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


def test_database_unreachable_answers_json_503_within_seconds():
    with black_hole() as port, private_redis() as (_redis, redis_url):
        env = production_env(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/exitus",
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
        )
        with web_server(env) as base:
            timed("GET", f"{base}/health/")  # the worker's first request also builds the URL resolver
            health, seconds = timed("GET", f"{base}/health/")
            assert health.status_code == 503 and seconds <= HEALTH_BOUND, seconds
            assert health.json()["failing"] == ["database"]
            assert health.json()["checks"]["database"]["error"] == "timeout"

            me, seconds = timed(
                "GET", f"{base}/api/v1/auth/me/", headers={"Authorization": f"Bearer {access_token(1)}"}
            )
            assert me.status_code == 503, me.text
            assert me.headers["content-type"].startswith("application/json")
            assert "Banco de dados indisponível" in me.json()["detail"]
            assert seconds <= 8, seconds  # connect timeout (3 s) + pool timeout (3 s), not a hang
            report("database unreachable", health=health, api=seconds)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outage", ["stopped", "hung"])
def test_redis_outage_keeps_requests_bounded_and_login_throttled(outage):
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        user = UserFactory(username="drill-user")  # a hash the production server can check
    with private_redis() as (redis_process, redis_url):
        env = production_env(DATABASE_URL=database_url(), REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url)
        with web_server(env) as base:
            assert timed("GET", f"{base}/health/")[0].status_code == 200
            if outage == "stopped":
                redis_process.terminate()
                redis_process.wait(timeout=10)
            else:
                redis_process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
            try:
                health, seconds = timed("GET", f"{base}/health/")
                assert health.status_code == 503 and seconds <= HEALTH_BOUND, seconds
                assert {"cache", "broker"} <= set(health.json()["failing"])

                login, seconds = timed(
                    "POST", f"{base}/api/v1/auth/token/", json={"username": user.username, "password": DEFAULT_PASSWORD}
                )
                assert login.status_code == 200 and seconds <= 3.5, (login.status_code, seconds)
                me, seconds = timed(
                    "GET", f"{base}/api/v1/dashboard/", headers={"Authorization": f"Bearer {login.json()['access']}"}
                )
                assert me.status_code == 200 and seconds <= 3.5, (me.status_code, seconds)

                guesses = [
                    timed("POST", f"{base}/api/v1/auth/token/", json={"username": "drill-user", "password": "wrong!!1"})
                    for _ in range(7)
                ]
                assert [r.status_code for r, _ in guesses][-1] == 429  # throttles keep counting without Redis
                assert max(seconds for _, seconds in guesses) <= 3.5
                report(f"redis {outage}", health=health, login=login, dashboard=me)
            finally:
                if redis_process.poll() is None:
                    redis_process.send_signal(signal.SIGCONT)


def _worker(env, log):
    return celery_worker(env, log, queue="default")


@pytest.mark.django_db(transaction=True)
def test_a_backup_whose_worker_is_killed_runs_again_once(tmp_path):
    """The worker dies inside pg_dump; the job is handed out again and leaves exactly one backup."""
    from celery import Celery

    from scheduling.backup import list_backups
    from scheduling.choices import JobRunStatus
    from scheduling.models import JobRun

    slow_bin = tmp_path / "bin"
    slow_bin.mkdir()
    marker = tmp_path / "dump-started"
    real = shutil.which("pg_dump")
    (slow_bin / "pg_dump").write_text(f'#!/bin/sh\ntouch "{marker}"\nsleep 4\nexec "{real}" "$@"\n')
    (slow_bin / "pg_dump").chmod(0o755)
    media = tmp_path / "media"
    with private_redis() as (_redis, redis_url):
        env = production_env(
            DATABASE_URL=database_url(),
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            CELERY_RESULT_BACKEND=redis_url,
            CELERY_VISIBILITY_TIMEOUT="3",
            JOB_LEASE_SECONDS="3",
            MEDIA_ROOT=str(media),
            PATH=f"{slow_bin}:{os.environ['PATH']}",
        )
        publisher = Celery("drill", broker=redis_url)
        task_id = str(uuid.uuid4())
        publisher.send_task("scheduling.backup_data", kwargs={"keep": 5}, task_id=task_id, queue="default")
        with (tmp_path / "worker1.log").open("wb") as log1:
            first = _worker(env, log1)
            try:
                wait_until(marker.exists, 60, "the backup to start")
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                if first.poll() is None:
                    first.kill()
        started = time.monotonic()
        with (tmp_path / "worker2.log").open("wb") as log2:
            second = _worker(env, log2)
            try:
                wait_until(
                    lambda: JobRun.objects.filter(task_id=task_id, status=JobRunStatus.SUCCESS).exists(),
                    90,
                    "the redelivered backup to finish",
                )
                elapsed = time.monotonic() - started
                time.sleep(6)  # a second redelivery, if any, would have run by now
            finally:
                second.terminate()
                second.wait(timeout=20)
    with override_media(media):
        backups = list_backups()
    assert len(backups) == 1, backups  # no second effect
    assert JobRun.objects.filter(task_id=task_id).count() == 1
    assert elapsed < 60, elapsed  # within a minute here (visibility 3 s, lease 3 s); 5 min + 90 s by default
    print(json.dumps({"drill": "worker killed mid-backup", "rerun_seconds": round(elapsed, 1)}))


@contextmanager
def override_media(path):
    with override_settings(MEDIA_ROOT=path):
        yield

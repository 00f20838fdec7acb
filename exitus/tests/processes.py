"""Real processes for the tests that need them: a Celery worker on one queue."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def celery_worker(env: dict, log, *, queue: str) -> subprocess.Popen:
    """A solo Celery worker consuming ``queue``, its output in ``log``; the caller stops it."""
    command = [sys.executable, "-m", "celery", "-A", "exitus", "worker", "-Q", queue, "-P", "solo", "-l", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

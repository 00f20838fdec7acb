"""The monthly creation job for 10,000 clients, end to end through a real Celery worker.

A worker process is started against the bench database and broker (Redis); the job is
sent the way beat sends it (by task name, to the ``rpa`` queue) and timed until its
result is stored. Target: the month's processes exist within 5 s of sending the job.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

TARGET_SECONDS = 5
ROOT = Path(__file__).resolve().parent.parent


def _worker(env):
    command = [sys.executable, "-m", "celery", "-A", "exitus", "worker", "-Q", "rpa,default", "-P", "solo",
               "-l", "WARNING"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(ctx):
    from celery import current_app

    from bench import bench_billing
    from billing_rpa.models import InvoiceProcess

    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        return [ctx.result("scheduling.create_month_10k_via_worker", ok=False, skipped="needs Redis as the broker")]

    bench_billing.cleanup()
    bench_billing.seed()
    # Earlier benches leave thousands of messages queued (the dispatch bench): start clean,
    # as a beat-sent job on a quiet queue would.
    with current_app.connection_for_write() as connection:
        for queue in ("rpa", "default", "quotes"):
            connection.default_channel.queue_purge(queue)
    worker = _worker(dict(os.environ))
    results = []
    try:
        # Wait until the worker consumes (its start-up is not part of the job's time).
        current_app.send_task("exitus.ping", queue="default").get(timeout=60)
        for name in ("scheduling.create_month_10k_via_worker", "scheduling.create_month_10k_via_worker_again"):
            with ctx.timer() as timer:
                outcome = current_app.send_task(
                    "billing_rpa.create_month_processes", kwargs={"month": bench_billing.MONTH}, queue="rpa"
                ).get(timeout=120)
            first = name.endswith("worker")
            valid = outcome["created"] == (bench_billing.CLIENTS if first else 0)
            results.append(
                ctx.result(
                    name,
                    ok=valid and timer.seconds <= TARGET_SECONDS,
                    seconds=round(timer.seconds, 3),
                    target_seconds=TARGET_SECONDS,
                    created=outcome["created"],
                    existing=outcome["existing"],
                    processes=InvoiceProcess.objects.filter(month=bench_billing.MONTH).count(),
                )
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        bench_billing.cleanup()
    return results

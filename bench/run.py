#!/usr/bin/env python
"""``make bench``: the app under its production web server on loopback, driven by wrk.

The production web tier is gunicorn with sync workers (WSGI); the SSE streams have their
own ASGI tier (docs/architecture.md explains the split and its measurements).
``--worker-class uvicorn_worker.UvicornWorker`` measures the single-server ASGI set-up.

See bench/README.md for what a benchmark module gets. Prints one JSON line per
benchmark on stdout (progress goes to stderr), so the output can be piped to a file.
"""

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exitus_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
BASELINE_PASSWORD = "bench-password-123"

WRK_SCRIPT = r"""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
wrk.headers["Content-Type"] = "application/json"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end

done = function(summary, latency, requests)
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
"""


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable(url):
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no Redis"
        return False


def recreate_database(url):
    """Drop and create the bench database through the server's maintenance database."""
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url):
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Timer:
    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


class DbTimer:
    """Database time and query count of the code inside the ``with`` (this process)."""

    def __enter__(self):
        from django.db import connection

        self.seconds, self.queries = 0.0, 0
        self._wrapper = self._measure
        self._cm = connection.execute_wrapper(self._wrapper)
        self._cm.__enter__()
        return self

    def _measure(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


class Context:
    def __init__(self, base_url, seconds, connections, script_path):
        self.base_url = base_url
        self.seconds = seconds
        self.connections = connections
        self._script = script_path
        self.baseline = None

    def create_user(self, username, role="USER", password=BASELINE_PASSWORD):
        from accounts.models import User

        user = User.objects.filter(username=username).first() or User(username=username)
        user.email = f"{username}@bench.local"
        user.role = role
        user.is_superuser = user.is_staff = role == "ADMIN"
        user.set_password(password)
        user.save()
        return user

    def login(self, username, password=BASELINE_PASSWORD):
        import httpx

        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token/", json={"username": username, "password": password}, timeout=30
        )
        response.raise_for_status()
        return response.json()["access"]

    def load(self, path, *, token, seconds=None, connections=None, method="GET", body=None, threads=2, cookie=""):
        """``token``: a JWT (the API); ``cookie``: a ``Cookie`` header instead (the admin's session)."""
        seconds = seconds or self.seconds
        connections = connections or self.connections
        env = {
            **os.environ,
            "BENCH_TOKEN": token or "",
            "BENCH_COOKIE": cookie,
            "BENCH_METHOD": method,
            "BENCH_BODY": json.dumps(body) if body else "",
        }
        command = [
            "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
            "-s", str(self._script), f"{self.base_url}{path}",
        ]  # fmt: skip
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCHJSON "))
        raw = json.loads(line.removeprefix("BENCHJSON "))
        errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
        return {
            "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50_us"] / 1000, 1),
            "p95_ms": round(raw["p95_us"] / 1000, 1),
            "p99_ms": round(raw["p99_us"] / 1000, 1),
            "requests": raw["requests"],
            "errors": errors,
            "non_2xx": raw["status"],
            "connections": connections,
            "seconds": seconds,
        }

    def warm_up(self, path, *, token, cookie=""):
        """A short burst so every worker has loaded its code and opened its connections."""
        self.load(path, token=token, seconds=2, connections=min(8, self.connections), cookie=cookie)

    def timer(self):
        return Timer()

    def db_time(self):
        return DbTimer()

    def result(self, name, *, ok, **figures):
        return {"bench": name, **figures, "ok": bool(ok)}


@contextlib.contextmanager
def server(env, port, workers, worker_class="sync"):
    app = "exitus.asgi:application" if "uvicorn" in worker_class.lower() else "exitus.wsgi:application"
    command = [
        str(VENV_BIN / "gunicorn"), app, "-k", worker_class,
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.5)
        else:
            raise RuntimeError("the server did not become healthy in 60 s")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def discover(selected):
    modules = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        if selected and not any(word in path.stem for word in selected):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((path.stem, module))
    return modules


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-k", action="append", default=[], help="only modules whose name contains this")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 8)))
    parser.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 32)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 3)))
    parser.add_argument(
        "--worker-class",
        default=os.environ.get("BENCH_WORKER_CLASS", "sync"),
        help="gunicorn worker class: sync (the production web tier, WSGI) or "
        "uvicorn_worker.UvicornWorker (the ASGI app, as the stream tier and make run serve it)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database at the end")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        log("wrk not found; installing it from Debian's packages")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            sys.exit("wrk is required: apt-get install -y wrk")

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", os.environ.get("REDIS_URL", DEFAULT_REDIS))
    if not redis_reachable(redis_url):
        log(f"Redis not reachable at {redis_url}: running with the local-memory cache")
        redis_url = ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "exitus.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "TESTING": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "BILLING_FERNET_KEYS": os.environ.get("BILLING_FERNET_KEYS", "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # Admin pages need the static manifest of a production build (collected below).
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "CELERY_BROKER_URL": redis_url or "memory://",
        # Never let a benchmark reach a real quote provider.
        "QUOTES_MODE": "offline",
        "QUOTES_LOOPBACK_ONLY": "true",
        # Login is called by the harness before each measured run; the real limits are tested elsewhere.
        "THROTTLE_LOGIN_IP": "100000/min",
        "THROTTLE_LOGIN_USERNAME": "100000/min",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    log(f"database {db_url.rsplit('@', 1)[-1]} (recreated)")
    recreate_database(db_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    port = free_port()
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT)
    ctx = Context(f"http://127.0.0.1:{port}", args.seconds, args.connections, script)
    try:
        with server(env, port, args.workers, args.worker_class):
            ctx.create_user("bench.baseline")
            token = ctx.login("bench.baseline")
            ctx.warm_up("/api/v1/auth/me/", token=token)
            ctx.baseline = ctx.load("/api/v1/auth/me/", token=token)
            baseline = ctx.result("baseline.jwt_me", ok=ctx.baseline["non_2xx"] == 0, **ctx.baseline)
            print(json.dumps(baseline), flush=True)
            for name, module in discover(args.k):
                log(f"running {name}")
                for result in module.run(ctx):
                    print(json.dumps(result, default=str), flush=True)
    finally:
        script.unlink(missing_ok=True)
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            drop_database(db_url)


if __name__ == "__main__":
    main()

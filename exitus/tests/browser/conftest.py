"""Real-browser tests of the admin console: Debian's chromium driven by pytest-playwright.

The site runs in this process under uvicorn (the production ASGI entry point, so the live log's
SSE stream really streams), on a loopback port, against the test database; the bundled RPA
simulator plays the robots on another loopback port; a "robot driver" thread plays beat and the
worker by running the poller. Screenshots of each step go to ``var/screenshots/``.

Skipped, with the reason, when no ``chromium`` binary is installed (``apt-get install chromium``;
``playwright install`` cannot download browsers here).
"""

import asyncio
import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from billing_rpa.simulator import RpaSimulator, Timing
from exitus.tests.servers import uvicorn_on_loopback

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
SIM_TOKEN = "browser-rpa-token"
# libfaketime (CI's moved clock) preloaded into Chromium can break it; the browser keeps the real
# clock. Nothing the tests check depends on the browser's clock: dates come from the server.
BROWSER_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_RESET")}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if CHROMIUM is None:
        pytest.skip("chromium não instalado (apt-get install chromium): testes no navegador ignorados")
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        "env": BROWSER_ENV,
    }


# pytest-playwright keeps one Playwright driver (and its event loop, in the test thread) for the
# whole session; under pytest-xdist the ordinary tests that follow in the same worker would then
# run "inside an async context" and Django would refuse their ORM calls. Here the driver and the
# browser live for one test and are stopped after it.
@pytest.fixture
def playwright():
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name or "chromium")


@pytest.fixture
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture
def browser(launch_browser):
    instance = launch_browser()
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1366, "height": 900}, "locale": "pt-BR", "timezone_id": "America/Sao_Paulo"}


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop in the test's thread; the ORM calls the test makes
    there are still plain synchronous calls, so Django's async-safety guard is lifted for them."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# SQLite's in-memory test database is shared between this process's threads in "shared cache"
# mode, where a write locks whole tables and a concurrent statement fails at once ("database
# table is locked") instead of waiting as a file database does (make run: WAL and a busy
# timeout). On SQLite the site's requests, the robot driver's polls and the test's own queries
# therefore take turns through one gate; on PostgreSQL the gate is open and they run at once.
# The robots' file link and static files never touch the gate (the SAT robot fetches the PDF
# while the driver, holding the gate, waits for the robot's answer).
DB_GATE = threading.Lock()
UNGATED_PREFIXES = ("/static/", "/api/v1/billing/files/")


def gate():
    """The gate on SQLite; an open door on any other database."""
    engine = django_settings.DATABASES["default"]["ENGINE"]
    return DB_GATE if engine.endswith("sqlite3") else contextlib.nullcontext()


class GatedRequests:
    """ASGI wrapper: each request except the live log stream and the robots' file link holds the gate."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(UNGATED_PREFIXES) or path.endswith("/logs/stream/"):
            return await self.app(scope, receive, send)
        lock = gate()
        if isinstance(lock, contextlib.nullcontext):
            return await self.app(scope, receive, send)
        await asyncio.to_thread(lock.acquire)
        try:
            return await self.app(scope, receive, send)
        finally:
            lock.release()


@pytest.fixture
def site(transactional_db, settings):
    """uvicorn serving ``exitus.asgi`` (static files included, as ``make run`` does with DEBUG) on a
    loopback port; yields its base URL, which is also where robots fetch invoices (url_arquivo)."""
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from exitus.asgi import application

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.BILLING_SSE_POLL_SECONDS = 0.5
    settings.BILLING_SSE_HEARTBEAT_SECONDS = 5
    with uvicorn_on_loopback(GatedRequests(ASGIStaticFilesHandler(application))) as base:
        settings.BILLING_PUBLIC_BASE_URL = base
        yield base


@pytest.fixture
def robots(settings):
    """The RPA simulator on loopback, checking the SAT file link like a real robot would."""
    simulator = RpaSimulator(token=SIM_TOKEN, timing=Timing(queued_s=0.3, running_s=1.5), verify_sat_file=True)
    simulator.start()
    settings.RPA_API_URL = simulator.url
    settings.RPA_API_TOKEN = SIM_TOKEN
    settings.BILLING_RPA_POLL_INTERVAL_SECONDS = 0.2
    yield simulator
    simulator.stop()


class RobotDriver:
    """Beat and the worker, in one thread: runs the poller while ``running`` is set."""

    def __init__(self):
        self.running = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.errors = []
        self.contention = 0

    def _loop(self):
        from django.db import OperationalError, connections

        from billing_rpa import services

        try:
            while not self.stop.is_set():
                if self.running.wait(0.1):
                    try:
                        with gate():
                            services.executions_poll_due(budget_seconds=0.5)
                    except OperationalError as exc:
                        # The in-memory SQLite's shared cache refuses a write while the live log
                        # stream reads (ungated): a test-database artefact; the next poll retries.
                        if "locked" not in str(exc):
                            self.errors.append(exc)
                        self.contention += 1
                    except Exception as exc:  # noqa: BLE001 - reported by the test
                        self.errors.append(exc)
                    time.sleep(0.1)
        finally:
            connections.close_all()


@pytest.fixture
def robot_driver(robots):
    driver = RobotDriver()
    driver.thread.start()
    yield driver
    driver.stop.set()
    driver.thread.join(timeout=10)


@pytest.fixture
def shots(request):
    """``shots("01-login", page)``: a full-page screenshot under var/screenshots/<test>/
    (``full_page=False`` for a page as long as ReDoc's: the visible part only)."""
    folder = SCREENSHOTS / request.node.name.split("[")[0]
    folder.mkdir(parents=True, exist_ok=True)

    def take(name, page, *, full_page=True):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, timeout=60_000)
        return path

    return take


def login(page, base, username, password):
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector(".x-home, #content-main")


def wait_for(predicate, timeout=20.0, step=0.1, what="condition"):
    """Poll ``predicate`` (which may query the database: it takes its turn at the gate)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with gate():
            if predicate():
                return
        time.sleep(step)
    with gate():
        raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")

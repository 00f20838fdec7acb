"""Token buckets and circuits: per process without Redis, shared through Redis when it is there."""

import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings

from quotes import circuit, ratelimit, shared_state


@pytest.fixture(params=["local", "redis"])
def state(request, settings):
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("precisa de REDIS_URL")
        settings.QUOTES_REDIS_URL = settings.REDIS_URL
    else:
        settings.QUOTES_REDIS_URL = ""
    shared_state.reset()
    settings.QUOTES_PROVIDERS = {
        **settings.QUOTES_PROVIDERS,
        "brapi": {**settings.QUOTES_PROVIDERS["brapi"], "rate_limit": "5/min"},
    }
    return request.param


def test_parse_limit():
    assert ratelimit.parse_limit("60/min") == ratelimit.Limit(60, 1.0)
    assert ratelimit.parse_limit("500/day").period == 86400
    assert ratelimit.parse_limit("") is None
    with pytest.raises(ValueError):
        ratelimit.parse_limit("10/fortnight")


def test_bucket_allows_capacity_then_refills(state):
    now = 1_000_000.0
    allowed = [ratelimit.reserve("brapi", now=now, max_wait=0).allowed for _ in range(7)]
    assert allowed == [True] * 5 + [False] * 2
    later = ratelimit.reserve("brapi", now=now + 12, max_wait=0)  # 5/min → one token every 12 s
    assert later.allowed


def test_bucket_reserves_a_short_wait(state):
    now = 2_000_000.0
    for _ in range(5):
        ratelimit.reserve("brapi", now=now, max_wait=0)
    waiting = ratelimit.reserve("brapi", now=now, max_wait=15)
    assert waiting.allowed and waiting.wait == pytest.approx(12.0)
    assert not ratelimit.reserve("brapi", now=now, max_wait=15).allowed  # the next would wait 24 s


def test_bucket_under_threads_never_over_grants(state):
    granted = []

    def worker():
        for _ in range(10):
            if ratelimit.reserve("brapi", max_wait=0).allowed:
                granted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5


def test_usage_reports_available_tokens(state):
    ratelimit.reserve("brapi", max_wait=0)
    usage = ratelimit.usage("brapi")
    assert usage["capacity"] == 5 and 3.9 < usage["available"] <= 4.1


def test_circuit_cycle(state, settings):
    settings.QUOTES_CIRCUIT_FAILURES = 2
    settings.QUOTES_CIRCUIT_COOLDOWN = 10
    now = 3_000_000.0
    assert circuit.allow("yahoo", now=now).allowed
    circuit.record_failure("yahoo", now=now)
    assert circuit.status("yahoo", now=now)["state"] == circuit.CLOSED
    assert circuit.record_failure("yahoo", now=now) == circuit.OPEN
    assert not circuit.allow("yahoo", now=now + 5).allowed
    trial = circuit.allow("yahoo", now=now + 11)
    assert (trial.allowed, trial.state) == (True, circuit.HALF_OPEN)
    assert not circuit.allow("yahoo", now=now + 11).allowed
    circuit.record_success("yahoo")
    assert circuit.allow("yahoo", now=now + 12).state == circuit.CLOSED
    circuit.record_failure("yahoo", now=now)
    circuit.reset("yahoo")
    assert circuit.status("yahoo")["failures"] == 0


@pytest.mark.redis
def test_bucket_is_shared_with_another_process(redis_url, settings):
    """A second Python process takes tokens from the same Redis bucket this process sees."""
    settings.QUOTES_PROVIDERS = {
        **settings.QUOTES_PROVIDERS,
        "brapi": {**settings.QUOTES_PROVIDERS["brapi"], "rate_limit": "5/min"},
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='exitus.settings'; django.setup();"
        "from django.conf import settings;"
        f"settings.QUOTES_REDIS_PREFIX={settings.QUOTES_REDIS_PREFIX!r};"
        "settings.QUOTES_PROVIDERS['brapi']['rate_limit']='5/min';"
        "from quotes import ratelimit;"
        "print(sum(ratelimit.reserve('brapi', max_wait=0).allowed for _ in range(3)))"
    )
    env = {**os.environ, "TESTING": "1", "REDIS_URL": redis_url}  # keeps a shifted test clock (LD_PRELOAD)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=django_settings.BASE_DIR
    )
    assert out.stdout.strip() == "3"
    assert sum(ratelimit.reserve("brapi", max_wait=0).allowed for _ in range(5)) == 2


def test_redis_outage_falls_back_to_local_state(settings):
    settings.QUOTES_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    shared_state.reset()
    settings.QUOTES_PROVIDERS = {
        **settings.QUOTES_PROVIDERS,
        "brapi": {**settings.QUOTES_PROVIDERS["brapi"], "rate_limit": "2/min"},
    }
    assert [ratelimit.reserve("brapi", max_wait=0).allowed for _ in range(3)] == [True, True, False]
    assert circuit.allow("brapi").allowed

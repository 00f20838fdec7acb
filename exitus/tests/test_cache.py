"""With Redis unreachable the site keeps serving; /health/ names the cache."""

import socket

import pytest
from django.core.cache import caches
from django.test import override_settings

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down():
    location = f"redis://127.0.0.1:{closed_port()}/0"
    config = {
        "default": {
            "BACKEND": "exitus.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
        "throttle": {
            "BACKEND": "exitus.cache.FailoverRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    with override_settings(CACHES=config):
        yield caches["default"]


def test_cache_calls_degrade_to_misses(redis_down):
    assert redis_down.get("x", "default") == "default"
    redis_down.set("x", 1)
    assert redis_down.get_many(["x", "y"]) == {}
    assert redis_down.add("lock", 1) is True
    assert redis_down.get_or_set("k", lambda: 42) == 42
    with pytest.raises(ValueError):
        redis_down.incr("counter")


@pytest.mark.django_db
def test_login_and_health_while_redis_is_down(redis_down, api_client, client):
    UserFactory(username="ana")
    login = api_client.post("/api/v1/auth/token/", {"username": "ana", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200  # the site keeps serving
    health = client.get("/health/")
    assert health.status_code == 503
    assert "cache" in health.json()["failing"]


@pytest.mark.django_db
def test_login_throttle_keeps_limiting_while_redis_is_down(redis_down, api_client, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login_username": "3/min", "login_ip": "100/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    UserFactory(username="bia")
    statuses = [
        api_client.post("/api/v1/auth/token/", {"username": "bia", "password": "errada-123"}).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    right = api_client.post("/api/v1/auth/token/", {"username": "bia", "password": DEFAULT_PASSWORD})
    assert right.status_code == 429  # the budget is spent, Redis or not

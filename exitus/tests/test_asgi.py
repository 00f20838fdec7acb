import asyncio

import httpx
import pytest

from exitus import asgi


def test_sync_views_take_the_wsgi_bridge_and_unknown_paths_too():
    assert asgi.is_async_view("/api/v1/users/") is False
    assert asgi.is_async_view("/health/") is False
    assert asgi.is_async_view("/nao-existe/") is False


@pytest.mark.django_db(transaction=True)
def test_asgi_application_serves_requests():
    async def call():
        transport = httpx.ASGITransport(app=asgi.application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/health/"), await client.get("/api/v1/auth/me/")

    health, me = asyncio.run(call())
    assert health.status_code == 200
    assert health.json()["checks"]["database"] == "ok"
    assert me.status_code == 401


def test_marked_streaming_actions_take_the_asgi_path():
    assert asgi.is_async_view("/api/v1/billing/executions/1/logs/stream/") is True
    assert asgi.is_async_view("/api/v1/billing/executions/1/logs/") is False

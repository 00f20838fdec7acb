"""Live prices over SSE: authentication, snapshot, resume with Last-Event-ID, heartbeats, and a
real stream through uvicorn on a loopback port (with Redis pub/sub in the Redis pass)."""

import json
import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import uvicorn
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from quotes import services, shared_state
from quotes.models import Quote
from quotes.tests.factories import hold, make_asset


@pytest.fixture(autouse=True)
def _close_stream_pool():
    """The stream pool's threads hold database connections: close them before the test database goes."""
    yield
    from quotes.api.sse import shutdown_stream_pool

    shutdown_stream_pool()


@pytest.fixture
def fast_stream(settings):
    settings.QUOTES_SSE_POLL_INTERVAL = 0.05
    settings.QUOTES_SSE_HEARTBEAT = 0.2
    settings.QUOTES_SSE_MAX_SECONDS = 0.6


def quote(asset, price, fetched_at):
    Quote.objects.update_or_create(
        asset=asset,
        defaults={
            "price": Decimal(price),
            "currency": asset.currency,
            "source": "teste",
            "market_time": fetched_at,
            "fetched_at": fetched_at,
        },
    )


def parse(text):
    events, comments = [], []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        if all(line.startswith(":") for line in lines):
            comments.append(lines[0])
            continue
        fields = dict(line.split(": ", 1) for line in lines if not line.startswith(":") and ": " in line)
        if "data" in fields:
            events.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
    return events, comments


def read_stream(path, **headers):
    async def run():
        response = await AsyncClient().get(path, headers=headers)
        if not response.streaming:
            return response.status_code, response.content.decode()
        chunks = [chunk async for chunk in response.streaming_content]
        return response.status_code, "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)

    return async_to_sync(run)()


def bearer(user):
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@pytest.mark.django_db(transaction=True)
def test_stream_needs_authentication(fast_stream):
    status, body = read_stream("/api/v1/quotes/stream/")
    assert status == 401 and "credenciais" in body
    status, _body = read_stream("/api/v1/quotes/stream/", Authorization="Bearer nonsense")
    assert status == 401


@pytest.mark.django_db(transaction=True)
def test_stream_sends_held_quotes_heartbeats_and_resumes(fast_stream, user, other_user):
    petr4, vale3, aapl = make_asset("PETR4"), make_asset("VALE3"), make_asset("AAPL", market="US", currency="USD")
    hold(user, petr4)
    hold(user, vale3)
    hold(other_user, aapl)
    base = timezone.now() - timedelta(minutes=5)
    quote(petr4, "37.50", base)
    quote(vale3, "61.00", base + timedelta(seconds=1))
    quote(aapl, "230.10", base)

    status, body = read_stream("/api/v1/quotes/stream/", **bearer(user))
    assert status == 200
    assert body.startswith("retry: ")
    events, comments = parse(body)
    assert [e["data"]["ticker"] for e in events] == ["PETR4", "VALE3"]  # only what the user holds
    assert events[0]["event"] == "quote" and events[0]["data"]["price"] == "37.50000000"
    assert comments and comments[0] == ": heartbeat"

    quote(petr4, "38.00", base + timedelta(seconds=2))
    resumed, _ = parse(
        read_stream("/api/v1/quotes/stream/", **{"Last-Event-ID": str(events[-1]["id"])}, **bearer(user))[1]
    )
    assert [(e["data"]["ticker"], e["data"]["price"]) for e in resumed] == [("PETR4", "38.00000000")]


@pytest.mark.django_db(transaction=True)
def test_stream_of_explicit_tickers_and_unknown_ones(fast_stream, user):
    make_asset("PETR4")
    quote(make_asset("BTC", market="GLOBAL", asset_type="cripto"), "513000", timezone.now())
    events, _ = parse(read_stream("/api/v1/quotes/stream/?tickers=BTC", **bearer(user))[1])
    assert [e["data"]["ticker"] for e in events] == ["BTC"]
    status, body = read_stream("/api/v1/quotes/stream/?tickers=NOPE3", **bearer(user))
    assert status == 404 and "NOPE3" in body


@pytest.mark.django_db(transaction=True)
def test_stream_accepts_the_session(fast_stream, client, user):
    client.force_login(user)

    async def run():
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        response = await async_client.get("/api/v1/quotes/stream/")
        chunks = [chunk async for chunk in response.streaming_content]
        return response.status_code, chunks

    status, chunks = async_to_sync(run)()
    assert status == 200 and chunks


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def uvicorn_server(transactional_db, settings):
    settings.QUOTES_SSE_POLL_INTERVAL = 0.1
    settings.QUOTES_SSE_HEARTBEAT = 0.3
    settings.QUOTES_SSE_MAX_SECONDS = 5
    from django.db import connections

    from exitus.asgi import application

    # Server threads must not keep persistent connections: the test database is dropped afterwards.
    db_settings = connections.settings["default"]
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    db_settings["CONN_MAX_AGE"] = max_age


def test_stream_really_streams_under_uvicorn(uvicorn_server, user):
    petr4 = make_asset("PETR4")
    hold(user, petr4)
    quote(petr4, "37.50", timezone.now() - timedelta(minutes=1))
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}", "Accept": "text/event-stream"}
    received = []
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{uvicorn_server}/api/v1/quotes/stream/", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        started = time.monotonic()
        lines = response.iter_lines()
        for line in lines:
            received.append(line)
            if line.startswith("data:") and "37.50" in line:
                break
        first_event_after = time.monotonic() - started
        # The stream stays open and the server still answers other requests meanwhile.
        auth = {"Authorization": headers["Authorization"]}
        other = httpx.get(f"{uvicorn_server}/api/v1/quotes/updates/", headers=auth, timeout=5)
        assert other.status_code == 200
        # A new price reaches the open stream (pub/sub wake-up with Redis, polling without).
        quote(petr4, "38.25", timezone.now())
        shared_state.publish(services.UPDATES_CHANNEL, json.dumps({"asset_ids": [petr4.pk]}))
        for line in lines:
            received.append(line)
            if line.startswith("data:") and "38.25" in line:
                break
        for line in lines:  # then, with nothing new, a heartbeat keeps the connection alive
            received.append(line)
            if line == ": heartbeat":
                break
    assert first_event_after < 2  # delivered at once, not when the response ends
    assert received[-1] == ": heartbeat"
    ids = [line for line in received if line.startswith("id: ")]
    assert len(ids) == 2 and int(ids[1][4:]) > int(ids[0][4:])


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_pubsub_wakes_the_stream_at_once(redis_url, settings, user):
    """With Redis the stream sleeps on the pub/sub channel: an update arrives long before any timeout."""
    import asyncio

    from asgiref.sync import sync_to_async

    from quotes.api.sse import events

    settings.QUOTES_SSE_HEARTBEAT = 10
    settings.QUOTES_SSE_MAX_SECONDS = 10
    petr4 = make_asset("PETR4")
    quote(petr4, "37.50", timezone.now() - timedelta(minutes=1))

    def update():
        quote(petr4, "39.00", timezone.now())
        shared_state.publish(services.UPDATES_CHANNEL, json.dumps({"asset_ids": [petr4.pk]}))

    async def run():
        stream = events([petr4.pk], None)
        assert (await anext(stream)).startswith("retry:")
        assert "37.5" in await anext(stream)
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.3)  # the stream is now blocked on Redis
        started = time.monotonic()
        await sync_to_async(update)()
        chunk = await asyncio.wait_for(waiting, timeout=3)
        elapsed = time.monotonic() - started
        await stream.aclose()
        return chunk, elapsed

    chunk, elapsed = async_to_sync(run)()
    assert "39.0" in chunk
    assert elapsed < 1.0

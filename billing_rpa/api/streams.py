"""Server-sent events of an execution's robot log.

The view (sync, authenticated by DRF) returns a ``StreamingHttpResponse`` over an
*async* generator: under the ASGI server the stream waits on the event loop, not in a
worker thread. Each event's ``id`` is the log line's sequence, so a reconnecting
``EventSource`` resumes with ``Last-Event-ID``. Comment lines are heartbeats. The stream
ends (``event: end``) once the execution has finished and every line was sent.
"""

import asyncio
import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from rest_framework.renderers import BaseRenderer

from ..choices import ExecutionStatus
from ..live import Waker
from ..models import Execution, ExecutionLogLine

BATCH = 500


class EventStreamRenderer(BaseRenderer):
    """Lets clients ask for ``text/event-stream``; errors are sent as one ``error`` event."""

    media_type = "text/event-stream"
    format = "event-stream"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return f"event: error\ndata: {json.dumps(data, default=str)}\n\n".encode()


def parse_last_event_id(request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id") or "0"
    try:
        return max(int(raw), 0)
    except ValueError:
        return 0


def _snapshot(execution_id, after):
    """Status first, then lines: a finished execution already has all its lines stored."""
    status = Execution.objects.filter(pk=execution_id).values_list("status", flat=True).first()
    lines = list(
        ExecutionLogLine.objects.filter(execution_id=execution_id, seq__gt=after)
        .order_by("seq")
        .values("seq", "timestamp", "level", "message")[:BATCH]
    )
    return status, lines


def format_event(line) -> str:
    data = {**line, "timestamp": line["timestamp"].isoformat()}
    return f"id: {line['seq']}\nevent: log\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def log_events(execution_id: int, after: int):
    try:
        async for chunk in _log_events(execution_id, after):
            yield chunk
    finally:
        # A stream may live for an hour: give its database connection back when it ends
        # (same thread as the queries: thread-sensitive).
        await sync_to_async(_release_connection)()


def _release_connection():
    if not connection.in_atomic_block:
        connection.close()


async def _log_events(execution_id: int, after: int):
    loop = asyncio.get_running_loop()
    heartbeat = settings.BILLING_SSE_HEARTBEAT_SECONDS
    poll = settings.BILLING_SSE_POLL_SECONDS
    started = last_sent = loop.time()
    yield "retry: 3000\n\n"
    async with Waker(execution_id) as waker:
        while True:
            status, lines = await sync_to_async(_snapshot)(execution_id, after)
            for line in lines:
                after = line["seq"]
                yield format_event(line)
            if lines:
                last_sent = loop.time()
                if len(lines) == BATCH:
                    continue
            if status is None or (status != ExecutionStatus.EXECUTANDO and not lines):
                yield f"event: end\ndata: {json.dumps({'status': status, 'last_seq': after})}\n\n"
                return
            now = loop.time()
            if now - started >= settings.BILLING_SSE_MAX_SECONDS:
                return  # the client reconnects with Last-Event-ID
            if now - last_sent >= heartbeat:
                yield ": heartbeat\n\n"
                last_sent = now
            await waker.wait(max(0.01, min(poll, heartbeat - (loop.time() - last_sent))))

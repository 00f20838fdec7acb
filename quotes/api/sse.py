"""``GET /api/v1/quotes/stream/``: Server-Sent Events of quote updates.

An async Django view (served by the ASGI server, so an open stream holds no worker thread)
returning a ``StreamingHttpResponse`` over an async generator:

* authentication inside the view (JWT ``Authorization: Bearer`` or the session), via
  ``sync_to_async`` because both read the database;
* the stream covers the assets the user holds, or ``?tickers=A,B``;
* each event is ``id: <fetched_at in µs>`` / ``event: quote`` / ``data: {json}``; a client that
  reconnects with ``Last-Event-ID`` (or ``?last_event_id=``) gets every quote updated after it,
  then the live feed; without it, the current quotes first;
* the database is the source of truth: with Redis the refresh task's pub/sub message wakes
  the stream up, without Redis it polls every ``QUOTES_SSE_POLL_INTERVAL`` seconds;
* a comment heartbeat every ``QUOTES_SSE_HEARTBEAT`` seconds keeps proxies from closing it;
* after ``QUOTES_SSE_MAX_SECONDS`` the server ends the response and ``EventSource`` reconnects
  with its last id (bounded connections, nothing lost).
"""

import asyncio
import contextlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.http import JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from .. import cache as quote_cache
from .. import selectors, services, shared_state
from .serializers import ErrorSerializer, TickerListField
from .views import stream_asset_ids

logger = logging.getLogger("quotes.sse")


def _authenticate_jwt(request):
    try:
        found = JWTAuthentication().authenticate(request)
    except (AuthenticationFailed, InvalidToken, TokenError):
        return None, True
    return (found[0] if found else None), False


async def authenticate(request):
    """The requesting user (JWT first, then session), or ``None``."""
    user, bad_token = await sync_to_async(_authenticate_jwt)(request)
    if user is not None or bad_token:
        return user
    session_user = await request.auser()
    return session_user if session_user.is_authenticated else None


def parse_last_event_id(value):
    """``Last-Event-ID`` → the datetime it stands for; anything unusable means "from the start"."""
    try:
        micros = int(str(value).strip())
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC) if micros > 0 else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# The streams' database reads run on this small pool: an idle stream holds no thread, and all
# open streams share these few connections instead of holding one connection each.
STREAM_THREADS = 4
_executor = {"pool": ThreadPoolExecutor(max_workers=STREAM_THREADS, thread_name_prefix="quotes-sse")}


def _updates(**kwargs):
    close_old_connections()
    return selectors.quote_updates_since(**kwargs)


def _close_connections(barrier):
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=2)
    connections.close_all()


def shutdown_stream_pool():
    """Close the pool's database connections and threads (tests; a new pool takes over)."""
    pool, _executor["pool"] = (
        _executor["pool"],
        ThreadPoolExecutor(max_workers=STREAM_THREADS, thread_name_prefix="quotes-sse"),
    )
    barrier = threading.Barrier(STREAM_THREADS)
    for _ in range(STREAM_THREADS):
        pool.submit(_close_connections, barrier)
    pool.shutdown(wait=True)


def format_event(row) -> str:
    payload = quote_cache.decorate(quote_cache.quote_payload(row, row.asset), cached=False)
    return f"id: {services.event_id(row.fetched_at)}\nevent: quote\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _subscribe():
    """A Redis pub/sub subscription to quote updates, or ``None`` (then the stream polls)."""
    url = settings.QUOTES_REDIS_URL
    if not url:
        return None
    try:
        import redis.asyncio as aioredis

        client = aioredis.from_url(url, socket_connect_timeout=1)
        pubsub = client.pubsub()
        await pubsub.subscribe(shared_state.key(services.UPDATES_CHANNEL))
        return pubsub
    except Exception as exc:  # noqa: BLE001 - any Redis problem: fall back to polling
        logger.warning("quotes: SSE sem Redis (%s), usando polling", exc.__class__.__name__)
        return None


async def _close(pubsub):
    try:
        await pubsub.unsubscribe()
        await pubsub.aclose()
    except Exception:
        logger.debug("closing pubsub failed", exc_info=True)


async def events(asset_ids, since):
    """The event stream itself (an async generator of SSE text chunks)."""
    loop = asyncio.get_running_loop()
    heartbeat = settings.QUOTES_SSE_HEARTBEAT
    deadline = loop.time() + settings.QUOTES_SSE_MAX_SECONDS
    updates = sync_to_async(_updates, thread_sensitive=False, executor=_executor["pool"])
    yield f"retry: {int(settings.QUOTES_SSE_POLL_INTERVAL * 1000) + 1000}\n\n"
    pubsub = await _subscribe()
    last_beat = loop.time()
    try:
        while True:
            for row in await updates(asset_ids=asset_ids, since=since, limit=None):
                since = row.fetched_at
                yield format_event(row)
            now = loop.time()
            if now >= deadline:
                break
            if now - last_beat >= heartbeat:
                yield ": heartbeat\n\n"
                last_beat = now
            wait = max(0.01, min(deadline - now, heartbeat - (now - last_beat)))
            if pubsub is None:
                await asyncio.sleep(min(wait, settings.QUOTES_SSE_POLL_INTERVAL))
                continue
            try:
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            except Exception as exc:  # noqa: BLE001 - Redis went away mid-stream: keep serving by polling
                logger.warning("quotes: SSE perdeu o Redis (%s), usando polling", exc.__class__.__name__)
                await _close(pubsub)
                pubsub = None
    finally:
        if pubsub is not None:
            await _close(pubsub)


async def quote_stream(request):
    if request.method != "GET":
        return JsonResponse({"detail": "Método não permitido."}, status=405)
    user = await authenticate(request)
    if user is None:
        return JsonResponse(
            {"detail": "As credenciais de autenticação não foram fornecidas ou são inválidas."}, status=401
        )
    try:
        tickers = (
            TickerListField(required=False).to_internal_value(request.GET["tickers"])
            if request.GET.get("tickers")
            else None
        )
        asset_ids = await sync_to_async(stream_asset_ids)(user, tickers)
    except NotFound as exc:
        return JsonResponse({"detail": str(exc.detail)}, status=404)
    except Exception as exc:  # noqa: BLE001 - a ValidationError from the ticker list
        detail = getattr(exc, "detail", None) or str(exc)
        return JsonResponse({"detail": detail if isinstance(detail, str) else detail[0]}, status=400)
    since = parse_last_event_id(request.headers.get("Last-Event-ID") or request.GET.get("last_event_id"))
    response = StreamingHttpResponse(events(asset_ids, since), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


class QuoteStreamView(APIView):
    """Schema holder for the SSE endpoint; ``as_view`` returns the async streaming view."""

    @extend_schema(
        operation_id="quotes_stream",
        summary="Cotações ao vivo (Server-Sent Events)",
        description=(
            "Eventos `quote` com `id` (microssegundos de `fetched_at`) e `data` = a cotação em JSON, "
            "como em `GET /quotes/{ticker}/`. Reenvie `Last-Event-ID` para retomar. Comentários "
            "`: heartbeat` mantêm a conexão. Sem SSE, use `GET /quotes/updates/`."
        ),
        parameters=[
            OpenApiParameter(
                "tickers", OpenApiTypes.STR, description="Tickers separados por vírgula (padrão: sua carteira)"
            ),
            OpenApiParameter("last_event_id", OpenApiTypes.INT, description="Alternativa ao cabeçalho Last-Event-ID"),
            OpenApiParameter(
                "Last-Event-ID", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Último id recebido"
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description="Fluxo de eventos SSE"),
            401: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request):  # pragma: no cover - served by quote_stream
        raise NotImplementedError

    @classmethod
    def as_view(cls, **initkwargs):
        async def view(request, *args, **kwargs):
            return await quote_stream(request)

        view.cls = cls
        view.initkwargs = initkwargs
        view.csrf_exempt = True
        return view

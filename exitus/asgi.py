"""ASGI entry point: uvicorn (or gunicorn with uvicorn workers) serves this.

ASGI lets the live streams (SSE of quotes and robot logs) wait on I/O without holding a
worker. Those streams (async views, or views marked with ``exitus.streaming.streams_over_asgi``)
go through Django's ASGI handler. Every other
view is synchronous: running it through the ASGI handler costs several thread hops per
request (sync middleware ↔ event loop), which halves throughput on two cores. So plain
requests take one hop into Django's WSGI handler instead (a2wsgi's ``WSGIMiddleware``, the
whole middleware chain and view on one thread), and only async views use the ASGI path.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")

django_asgi = get_asgi_application()
django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=int(os.environ.get("WEB_THREADS", "2")))

from django.urls import Resolver404, resolve  # noqa: E402 - needs settings loaded

from exitus.streaming import is_streaming_view  # noqa: E402

_async_paths: dict[str, bool] = {}


def is_async_view(path: str) -> bool:
    """Whether ``path`` resolves to a streaming (SSE) or async view. Cached per path."""
    cached = _async_paths.get(path)
    if cached is None:
        try:
            func = resolve(path).func
        except Resolver404:
            cached = False
        else:
            cached = is_streaming_view(func)
        if len(_async_paths) < 10_000:
            _async_paths[path] = cached
    return cached


async def application(scope, receive, send):
    if scope["type"] == "http" and not is_async_view(scope["path"]):
        await django_wsgi(scope, receive, send)
    else:
        await django_asgi(scope, receive, send)

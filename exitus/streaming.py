"""Mark views whose response streams (SSE) so the ASGI entry point serves them natively.

``exitus.asgi`` sends ordinary synchronous views through a one-hop WSGI bridge for speed;
a view that returns a ``StreamingHttpResponse`` over an *async* generator must instead go
through Django's ASGI handler, or the stream would be buffered. Decorate such a view (a
function, or a DRF viewset action) with :func:`streams_over_asgi`; async views need nothing.
"""

import asyncio

STREAMING_ATTRIBUTE = "streams_over_asgi"


def streams_over_asgi(view):
    setattr(view, STREAMING_ATTRIBUTE, True)
    return view


def is_streaming_view(func) -> bool:
    """Whether a resolved view function streams: async, marked, or a marked DRF action."""
    if asyncio.iscoroutinefunction(func) or getattr(func, STREAMING_ATTRIBUTE, False):
        return True
    view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
    if view_class is not None and (
        getattr(view_class, "view_is_async", False) or getattr(view_class, STREAMING_ATTRIBUTE, False)
    ):
        return True
    actions = getattr(func, "actions", None) or {}
    return any(getattr(getattr(view_class, name, None), STREAMING_ATTRIBUTE, False) for name in actions.values())

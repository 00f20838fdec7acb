"""State shared by every web and worker process through Redis: token buckets, circuits, live updates.

Without ``QUOTES_REDIS_URL`` (or while Redis is unreachable) each process falls back to its
own in-memory state: limits and circuits then hold per process, and the live stream polls the
database. A Redis outage is noticed once and retried after :data:`RETRY_AFTER` seconds instead
of paying a connection timeout on every call.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

RETRY_AFTER = 30.0

_lock = threading.Lock()
_clients = {}
_down_until = {"at": 0.0}


def key(*parts) -> str:
    return settings.QUOTES_REDIS_PREFIX + ":".join(str(p) for p in parts)


def redis_client():
    """A shared sync Redis client, or ``None`` without Redis (or while it is down)."""
    url = settings.QUOTES_REDIS_URL
    if not url or time.monotonic() < _down_until["at"]:
        return None
    with _lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)
            _clients[url] = client
        return client


def mark_down(exc):
    """Remember that Redis failed; callers use their local fallback for a while."""
    logger.warning(
        "quotes: Redis indisponível (%s); usando estado local por %.0fs", exc.__class__.__name__, RETRY_AFTER
    )
    _down_until["at"] = time.monotonic() + RETRY_AFTER


def reset():
    """Forget clients and outages (tests)."""
    with _lock:
        for client in _clients.values():
            try:
                client.close()
            except Exception:
                logger.debug("closing Redis client failed", exc_info=True)
        _clients.clear()
    _down_until["at"] = 0.0


def run(script_or_callable, fallback):
    """Call ``script_or_callable(client)`` on Redis, or ``fallback()`` without it or on a Redis error."""
    client = redis_client()
    if client is None:
        return fallback()
    import redis

    try:
        return script_or_callable(client)
    except redis.RedisError as exc:
        mark_down(exc)
        return fallback()


def publish(channel: str, message: str) -> bool:
    """Publish on Redis pub/sub; ``False`` when there is no Redis (subscribers poll instead)."""
    return bool(run(lambda client: client.publish(key(channel), message) or True, lambda: False))

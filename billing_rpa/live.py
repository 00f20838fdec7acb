"""Live-log fan-out: the poller publishes "execution N changed" after commit; SSE streams wake up.

Only used when ``REDIS_URL`` is set; without it streams fall back to polling the database.
Publishing is best effort: a lost message only delays a stream by one poll interval.
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def channel(execution_id: int) -> str:
    return f"exitus:billing:execution:{execution_id}"


_sync_client = None


def _client():
    global _sync_client
    if _sync_client is None:
        import redis

        _sync_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _sync_client


def publish(execution_id: int) -> None:
    if not settings.REDIS_URL:
        return
    try:
        _client().publish(channel(execution_id), b"1")
    except Exception as exc:  # noqa: BLE001 - never fail a write because the fan-out is down
        logger.info("live-log publish failed: %s", exc.__class__.__name__)


class Waker:
    """Async helper for a stream: ``await waker.wait(timeout)`` returns early when woken."""

    def __init__(self, execution_id: int):
        self.execution_id = execution_id
        self._redis = None
        self._pubsub = None

    async def __aenter__(self):
        if settings.REDIS_URL:
            try:
                import redis.asyncio as aioredis

                self._redis = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
                self._pubsub = self._redis.pubsub()
                await self._pubsub.subscribe(channel(self.execution_id))
            except Exception as exc:  # noqa: BLE001
                logger.info("live-log subscribe failed, polling instead: %s", exc.__class__.__name__)
                await self._close()
        return self

    async def __aexit__(self, *exc):
        await self._close()

    async def _close(self):
        try:
            if self._pubsub is not None:
                await self._pubsub.aclose()
            if self._redis is not None:
                await self._redis.aclose()
        except Exception as exc:  # noqa: BLE001
            logger.debug("live-log close: %s", exc.__class__.__name__)
        self._pubsub = self._redis = None

    async def wait(self, timeout: float) -> None:
        import asyncio

        if self._pubsub is None:
            await asyncio.sleep(timeout)
            return
        try:
            await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - Redis restarted: degrade to polling
            logger.info("live-log wait failed, polling instead: %s", exc.__class__.__name__)
            await self._close()
            await asyncio.sleep(timeout)

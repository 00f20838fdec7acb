"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache holds only what can be rebuilt (throttle counters, quote and dashboard caches).
With Django's plain ``RedisCache`` a Redis restart turns every request that touches the cache
— logging in included, through its throttles — into a 500. Here a connection or timeout
error is logged and the call behaves like a miss (``get`` → default, ``set`` → not stored,
``incr`` → the error of a missing key), so the site keeps serving and ``/health/`` still
reports the cache as failing (its read-back check misses). ``add`` answers ``True``: the
best-effort locks built on it fail open, doing the work rather than skipping it.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrading(method, fallback):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("cache unavailable (%s) in %s: serving without it", exc.__class__.__name__, method.__name__)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    return wrapper


def _default(key, default=None, *args, **kwargs):
    return default


def _raise_missing(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (cache unavailable)")


class ResilientRedisCache(RedisCache):
    get = _degrading(RedisCache.get, _default)
    get_many = _degrading(RedisCache.get_many, {})
    has_key = _degrading(RedisCache.has_key, False)
    set = _degrading(RedisCache.set, None)
    set_many = _degrading(RedisCache.set_many, lambda data, *a, **k: list(data))
    add = _degrading(RedisCache.add, True)
    touch = _degrading(RedisCache.touch, False)
    delete = _degrading(RedisCache.delete, False)
    delete_many = _degrading(RedisCache.delete_many, None)
    incr = _degrading(RedisCache.incr, _raise_missing)
    clear = _degrading(RedisCache.clear, False)

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            self.set(key, value, timeout=timeout, version=version)
        return value

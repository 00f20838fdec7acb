"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache holds only what can be rebuilt (throttle counters, quote and dashboard caches).
With Django's plain ``RedisCache`` a Redis restart turns every request that touches the cache
— logging in included, through its throttles — into a 500. Here a connection or timeout
error is logged and the call behaves like a miss (``get`` → default, ``set`` → not stored,
``incr`` → the error of a missing key), so the site keeps serving and ``/health/`` still
reports the cache as failing (its read-back check misses). ``add`` answers ``True``: the
best-effort locks built on it fail open, doing the work rather than skipping it.

Login throttles cannot fail open: with Redis down, unlimited password guesses would get
through. They use :class:`FailoverRedisCache` (the ``throttle`` cache), which keeps counting
in a per-process local cache while Redis is unreachable: each web process then limits on its
own, so an attacker gets at most the budget times the number of processes, never unlimited.
"""

import functools
import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


# After a failure, Redis is left alone for this long in this process: a hung Redis costs one
# socket timeout per process every few seconds, not one per cache call (a request makes several).
RETRY_AFTER = 5.0
_down_until = {"at": 0.0}


def redis_resting() -> bool:
    return time.monotonic() < _down_until["at"]


def _mark_down(exc, name, what):
    _down_until["at"] = time.monotonic() + RETRY_AFTER
    logger.warning("cache unavailable (%s) in %s: %s for %.0fs", exc.__class__.__name__, name, what, RETRY_AFTER)


def _degrading(method, fallback):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not redis_resting():
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                _mark_down(exc, method.__name__, "serving without it")
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


def _failing_over(name):
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not redis_resting():
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                _mark_down(exc, name, "counting in this process")
        return getattr(self.local, name)(*args, **kwargs)

    return wrapper


class FailoverRedisCache(RedisCache):
    """Redis while it answers; a local, per-process cache while it does not (see the module doc)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # One local store per process, shared by every thread's instance of this cache (Django
        # builds one per thread; LocMemCache shares storage between instances of the same name).
        self.local = LocMemCache(f"failover:{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})

    get = _failing_over("get")
    get_many = _failing_over("get_many")
    set = _failing_over("set")
    set_many = _failing_over("set_many")
    add = _failing_over("add")
    delete = _failing_over("delete")
    incr = _failing_over("incr")
    has_key = _failing_over("has_key")
    touch = _failing_over("touch")
    clear = _failing_over("clear")

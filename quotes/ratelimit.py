"""Per-provider token buckets, shared by every process through Redis (one Lua script, atomic).

A limit reads ``"N/unit"`` (``sec``, ``min``, ``hour``, ``day``): the bucket holds ``N``
tokens and refills ``N`` per unit, continuously. A caller *reserves* what a request costs;
if the tokens are there it goes at once, if they will be there within
``QUOTES_RATE_LIMIT_MAX_WAIT`` seconds it waits exactly that long (the reservation keeps
concurrent callers in order), otherwise the provider is skipped for this call and the chain
moves on. Time comes from the caller's clock so every process agrees within NTP skew.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from . import shared_state

UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}

# KEYS[1] bucket; ARGV: capacity, refill per second, now, cost, max wait, ttl.
# Returns {allowed (0/1), wait seconds, tokens left} (numbers as strings: Lua floats).
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1])
local ts = tonumber(data[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local remaining = tokens - cost
local wait = 0
if remaining < 0 then
  wait = -remaining / rate
end
if wait > max_wait then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  return {0, tostring(wait), tostring(tokens)}
end
redis.call('HSET', KEYS[1], 'tokens', remaining, 'ts', ts)
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {1, tostring(wait), tostring(remaining)}
"""


@dataclass(frozen=True)
class Limit:
    capacity: float
    per_second: float

    @property
    def period(self):
        return self.capacity / self.per_second


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    wait: float  # seconds to sleep before the request (allowed) or that would have been needed
    tokens: float  # left after the reservation (negative: reserved ahead)


def parse_limit(text: str) -> Limit | None:
    """``"60/min"`` → ``Limit(60, 1.0)``; empty → ``None`` (unlimited)."""
    text = (text or "").strip().lower()
    if not text:
        return None
    count, _, unit = text.partition("/")
    try:
        capacity = float(count)
        seconds = UNITS[unit.strip() or "s"]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"limite inválido: {text!r} (use N/sec, N/min, N/hour ou N/day)") from exc
    if capacity <= 0:
        raise ValueError(f"limite inválido: {text!r}")
    return Limit(capacity=capacity, per_second=capacity / seconds)


def provider_limit(name: str) -> Limit | None:
    return parse_limit(settings.QUOTES_PROVIDERS.get(name, {}).get("rate_limit", ""))


# --- Local fallback (one process) ---------------------------------------------

_local_lock = threading.Lock()
_local = {}


def _local_take(name, limit, now, cost, max_wait):
    with _local_lock:
        tokens, ts = _local.get(name, (limit.capacity, now))
        if now > ts:
            tokens, ts = min(limit.capacity, tokens + (now - ts) * limit.per_second), now
        remaining = tokens - cost
        wait = -remaining / limit.per_second if remaining < 0 else 0.0
        if wait > max_wait:
            _local[name] = (tokens, ts)
            return Reservation(False, wait, tokens)
        _local[name] = (remaining, ts)
        return Reservation(True, wait, remaining)


def reset_local():
    with _local_lock:
        _local.clear()
        _local_paused.clear()


# --- API ---------------------------------------------------------------------


def reserve(name: str, cost: float = 1, *, max_wait: float | None = None, now: float | None = None) -> Reservation:
    """Reserve ``cost`` tokens of provider ``name``'s bucket (no limit configured: always allowed)."""
    limit = provider_limit(name)
    if limit is None:
        return Reservation(True, 0.0, float("inf"))
    max_wait = settings.QUOTES_RATE_LIMIT_MAX_WAIT if max_wait is None else max_wait
    now = time.time() if now is None else now
    ttl = int(limit.period * 2) + 60

    def on_redis(client):
        allowed, wait, tokens = client.eval(
            _TAKE, 1, shared_state.key("bucket", name), limit.capacity, limit.per_second, now, cost, max_wait, ttl
        )
        return Reservation(bool(int(allowed)), float(wait), float(tokens))

    return shared_state.run(on_redis, lambda: _local_take(name, limit, now, cost, max_wait))


# --- Waits a provider asked for (HTTP 429) ----------------------------------------------

_local_paused = {}
DEFAULT_PAUSE = 60.0


def pause_seconds(name: str, retry_after: float | None) -> float:
    """How long to leave ``name`` alone after a 429: its ``Retry-After``, else the time its
    configured limit takes to give back one request, else a minute."""
    if retry_after is not None:
        return max(1.0, min(retry_after, 86400.0))
    limit = provider_limit(name)
    return max(DEFAULT_PAUSE, 1 / limit.per_second) if limit else DEFAULT_PAUSE


def pause(name: str, seconds: float, *, now: float | None = None) -> None:
    """No call to ``name`` from any process until ``seconds`` have passed."""
    until = (time.time() if now is None else now) + seconds
    key = shared_state.key("paused", name)

    def on_redis(client):
        client.set(key, repr(until), ex=max(1, int(seconds) + 1))

    def local():
        with _local_lock:
            _local_paused[name] = until

    shared_state.run(on_redis, local)


def paused_for(name: str, *, now: float | None = None) -> float:
    """Seconds left of a pause the provider asked for (0: none)."""
    now = time.time() if now is None else now

    def on_redis(client):
        value = client.get(shared_state.key("paused", name))
        return float(value) if value is not None else 0.0

    def local():
        with _local_lock:
            return _local_paused.get(name, 0.0)

    return max(0.0, shared_state.run(on_redis, local) - now)


def acquire(name: str, cost: float = 1, *, max_wait: float | None = None) -> Reservation:
    """:func:`reserve`, then sleep the reserved wait. ``allowed=False``: skip this provider now."""
    reservation = reserve(name, cost, max_wait=max_wait)
    if reservation.allowed and reservation.wait > 0:
        time.sleep(reservation.wait)
    return reservation


def usage(name: str, *, now: float | None = None) -> dict | None:
    """``{"capacity", "available", "limit"}`` for the admin (``None``: unlimited)."""
    limit = provider_limit(name)
    if limit is None:
        return None
    now = time.time() if now is None else now

    def on_redis(client):
        tokens, ts = client.hmget(shared_state.key("bucket", name), "tokens", "ts")
        return (float(tokens), float(ts)) if tokens is not None and ts is not None else None

    def local():
        with _local_lock:
            return _local.get(name)

    state = shared_state.run(on_redis, local)
    if state is None:
        available = limit.capacity
    else:
        tokens, ts = state
        available = min(limit.capacity, tokens + max(0.0, now - ts) * limit.per_second)
    return {
        "capacity": limit.capacity,
        "available": round(available, 2),
        "limit": settings.QUOTES_PROVIDERS[name]["rate_limit"],
    }

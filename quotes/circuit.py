"""Circuit breaker per provider, shared by every process through Redis.

closed ──(``QUOTES_CIRCUIT_FAILURES`` failures in a row)──▶ open ──(``QUOTES_CIRCUIT_COOLDOWN``
seconds)──▶ half-open: exactly one caller gets a trial request (a lock with a TTL, so a trial
that never reports back frees itself); its success closes the circuit, its failure opens it
again for another cool-down. While open the chain skips the provider and records why.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from . import shared_state
from .choices import CircuitState

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED.value, CircuitState.OPEN.value, CircuitState.HALF_OPEN.value

# KEYS: circuit hash, trial lock. ARGV: now, cooldown. → {allowed, state}
_ALLOW = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'closed' then
  return {1, 'closed'}
end
local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[2])
if state == 'open' and now - opened < cooldown then
  return {0, 'open'}
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', math.max(1, math.ceil(cooldown))) then
  redis.call('HSET', KEYS[1], 'state', 'half_open')
  return {1, 'half_open'}
end
return {0, 'half_open'}
"""

# KEYS: circuit hash, trial lock. ARGV: now, threshold. → {state, failures}
_FAILURE = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last_failure_at', ARGV[1])
if state == 'half_open' or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
  redis.call('DEL', KEYS[2])
  return {'open', failures}
end
return {state, failures}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    state: str


# --- Local fallback -------------------------------------------------------------

_local_lock = threading.Lock()
_local = {}


def _local_state(name):
    return _local.setdefault(name, {"state": CLOSED, "failures": 0, "opened_at": 0.0, "trial_until": 0.0})


def _local_allow(name, now, cooldown):
    with _local_lock:
        state = _local_state(name)
        if state["state"] == CLOSED:
            return Decision(True, CLOSED)
        if state["state"] == OPEN and now - state["opened_at"] < cooldown:
            return Decision(False, OPEN)
        if state["trial_until"] > now:
            return Decision(False, HALF_OPEN)
        state.update(state=HALF_OPEN, trial_until=now + max(1.0, cooldown))
        return Decision(True, HALF_OPEN)


def _local_failure(name, now, threshold):
    with _local_lock:
        state = _local_state(name)
        state["failures"] += 1
        state["last_failure_at"] = now
        if state["state"] == HALF_OPEN or state["failures"] >= threshold:
            state.update(state=OPEN, opened_at=now, trial_until=0.0)
        return state["state"]


def _local_success(name):
    with _local_lock:
        _local[name] = {"state": CLOSED, "failures": 0, "opened_at": 0.0, "trial_until": 0.0}


def _local_release(name):
    with _local_lock:
        _local_state(name)["trial_until"] = 0.0


def reset_local():
    with _local_lock:
        _local.clear()


# --- API ---------------------------------------------------------------------


def _keys(name):
    return shared_state.key("circuit", name), shared_state.key("circuit", name, "trial")


def allow(name: str, *, now: float | None = None) -> Decision:
    """May a request go to provider ``name`` now? (half-open: only the one trial caller)."""
    now = time.time() if now is None else now
    cooldown = settings.QUOTES_CIRCUIT_COOLDOWN

    def on_redis(client):
        allowed, state = client.eval(_ALLOW, 2, *_keys(name), now, cooldown)
        return Decision(bool(int(allowed)), state.decode() if isinstance(state, bytes) else state)

    return shared_state.run(on_redis, lambda: _local_allow(name, now, cooldown))


def record_success(name: str) -> None:
    hash_key, trial_key = _keys(name)

    def on_redis(client):
        pipe = client.pipeline()
        pipe.hset(hash_key, mapping={"state": CLOSED, "failures": 0, "last_success_at": time.time()})
        pipe.delete(trial_key)
        pipe.execute()

    shared_state.run(on_redis, lambda: _local_success(name))


def record_failure(name: str, *, now: float | None = None) -> str:
    """Count a failure; returns the state after it (``open`` once the threshold is reached)."""
    now = time.time() if now is None else now
    threshold = settings.QUOTES_CIRCUIT_FAILURES

    def on_redis(client):
        state, _failures = client.eval(_FAILURE, 2, *_keys(name), now, threshold)
        return state.decode() if isinstance(state, bytes) else state

    return shared_state.run(on_redis, lambda: _local_failure(name, now, threshold))


def release_trial(name: str) -> None:
    """Give back a half-open trial that was not used (e.g. the rate limit said no)."""
    shared_state.run(lambda client: client.delete(_keys(name)[1]), lambda: _local_release(name))


def reset(name: str) -> None:
    """Close the circuit by hand (admin action)."""
    hash_key, trial_key = _keys(name)
    shared_state.run(lambda client: client.delete(hash_key, trial_key), lambda: _local_success(name))


def status(name: str, *, now: float | None = None) -> dict:
    """``{"state", "failures", "opened_at", "retry_in"}`` for the admin and health check."""
    now = time.time() if now is None else now

    def on_redis(client):
        raw = client.hgetall(_keys(name)[0])
        return {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()
        }

    def local():
        with _local_lock:
            return dict(_local.get(name) or {})

    raw = shared_state.run(on_redis, local)
    state = raw.get("state") or CLOSED
    opened_at = float(raw.get("opened_at") or 0)
    retry_in = max(0.0, opened_at + settings.QUOTES_CIRCUIT_COOLDOWN - now) if state == OPEN else 0.0
    return {
        "state": state,
        "failures": int(raw.get("failures") or 0),
        "opened_at": opened_at or None,
        "retry_in": retry_in,
    }

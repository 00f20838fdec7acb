"""Versions that key the cached dashboard: bumped after a write commits, never before.

Each owner has a version (their trades, cash, receipts) and there is one global version
(assets, events, dividends: they touch everybody). A dashboard cached under old versions is
simply never read again and expires by its TTL.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

GLOBAL_KEY = "portfolio:v:global"


def owner_key(owner_id) -> str:
    return f"portfolio:v:owner:{owner_id}"


def _bump(key: str) -> None:
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex[:12], None))


def owner_changed(owner_id) -> None:
    _bump(owner_key(owner_id))


def everyone_changed() -> None:
    _bump(GLOBAL_KEY)


def versions(owner_id) -> tuple[str, str]:
    found = cache.get_many([GLOBAL_KEY, owner_key(owner_id)])
    return found.get(GLOBAL_KEY, "0"), found.get(owner_key(owner_id), "0")

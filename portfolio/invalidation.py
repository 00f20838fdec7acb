"""Versions that key the cached dashboard: bumped after a write commits, never before.

Each owner has a version (their trades, cash, receipts) and there is one global version
(assets, events, dividends: they touch everybody). A cached dashboard remembers the versions it
was computed under; once they change it is recomputed on the next read.
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


def version_keys(owner_id) -> list[str]:
    """The cache keys whose values version an owner's cached views (read them with ``get_many``)."""
    return [GLOBAL_KEY, owner_key(owner_id)]

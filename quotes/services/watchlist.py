"""The user's watchlist (assets followed without holding them)."""

from ..models import WatchlistItem


def watchlist_add(*, owner, asset) -> WatchlistItem:
    item, _created = WatchlistItem.objects.get_or_create(owner=owner, asset=asset)
    return item


def watchlist_remove(*, item) -> None:
    item.delete()

"""Reads on portfolio data. Other apps use these instead of querying portfolio models directly."""

from .models import Position


def held_asset_ids():
    """Ids of assets someone currently holds (quantity > 0): what the quote refresh must keep fresh."""
    return set(Position.objects.filter(quantity__gt=0).values_list("asset_id", flat=True).distinct())


def held_asset_ids_for(*, owner):
    """Ids of the assets one user currently holds (their live-price stream)."""
    return set(Position.objects.filter(owner=owner, quantity__gt=0).values_list("asset_id", flat=True).distinct())

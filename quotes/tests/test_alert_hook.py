"""Storing quotes tells portfolio (after the commit) so it can evaluate the alerts that watch them."""

from unittest import mock

import pytest
from django.utils import timezone

from portfolio.models import Asset
from quotes.services.refresh import after_store

pytestmark = pytest.mark.django_db


def test_quote_refresh_calls_the_portfolio_hook():
    asset = Asset.objects.create(ticker="PETR4", market="BR", asset_type="acao", asset_class="renda_variavel")
    with (
        mock.patch("quotes.services.refresh.quotes_changed") as hook,
        mock.patch("quotes.services.refresh.quote_cache.store"),
        mock.patch("quotes.services.refresh.shared_state.publish"),
    ):
        after_store([{"asset_id": asset.pk, "ticker": "PETR4"}], timezone.now())
    hook.assert_called_once_with(asset_ids=[asset.pk])

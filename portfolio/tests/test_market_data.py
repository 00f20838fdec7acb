"""portfolio.market_data: the one door to market data, registered by the quotes app."""

from decimal import Decimal

import pytest

from portfolio import market_data


def test_every_read_refuses_without_a_registered_source(monkeypatch):
    monkeypatch.setattr(market_data, "_source", None)
    with pytest.raises(market_data.MarketDataUnavailable):
        market_data.fx_rate_on(currency="USD")
    with pytest.raises(market_data.MarketDataUnavailable):
        market_data.latest_quotes(asset_ids=[1])
    with pytest.raises(market_data.MarketDataUnavailable):
        market_data.version()


@pytest.mark.django_db
def test_the_installed_quotes_app_is_the_source():
    assert market_data.fx_rate_on(currency="BRL") == Decimal("1")
    assert market_data.fx_rate_on(currency="USD") is None
    assert market_data.latest_quotes(asset_ids=[]) == {}
    assert market_data.close_series(asset_ids=[], start=None, end=None) == {}

"""Fixtures of the quotes tests: isolated limiter/circuit state, assets, the loopback fake market."""

import uuid
from decimal import Decimal

import pytest

from quotes import circuit, ratelimit, shared_state
from quotes.tests.factories import make_asset
from quotes.tests.fakes.market import FakeMarket

DEFAULT_PRICES = {
    "PETR4": Decimal("37.50"),
    "VALE3": Decimal("61.00"),
    "ITUB4": Decimal("36.80"),
    "HGLG11": Decimal("158.40"),
    "AAPL": Decimal("230.10"),
    "MSFT": Decimal("420.50"),
    "BTC": Decimal("513000.00"),
}


@pytest.fixture(autouse=True)
def _isolated_quote_state(settings):
    """Own Redis key prefix per test and empty per-process limiter/circuit state."""
    settings.QUOTES_REDIS_PREFIX = f"test:{uuid.uuid4().hex[:12]}:"
    settings.QUOTES_REDIS_URL = settings.REDIS_URL
    shared_state.reset()
    ratelimit.reset_local()
    circuit.reset_local()
    yield
    shared_state.reset()
    ratelimit.reset_local()
    circuit.reset_local()


@pytest.fixture
def no_redis(settings):
    """Force the per-process fallback even in the Redis pass."""
    settings.QUOTES_REDIS_URL = ""
    shared_state.reset()


@pytest.fixture
def redis_url(settings):
    if not settings.REDIS_URL:
        pytest.skip("precisa de REDIS_URL")
    return settings.REDIS_URL


@pytest.fixture
def market():
    with FakeMarket(DEFAULT_PRICES) as fake:
        yield fake


@pytest.fixture
def live(settings, market):
    """Live mode with every provider pointed at the loopback fake market."""
    settings.QUOTES_MODE = "live"
    settings.QUOTES_PROVIDERS = market.provider_settings()
    settings.QUOTES_RATE_LIMIT_MAX_WAIT = 0.2
    settings.QUOTES_CIRCUIT_FAILURES = 3
    settings.QUOTES_CIRCUIT_COOLDOWN = 30
    return market


@pytest.fixture
def petr4(db):
    return make_asset("PETR4", name="Petrobras PN")


@pytest.fixture
def aapl(db):
    return make_asset("AAPL", market="US", asset_type="stock", currency="USD", name="Apple Inc.")

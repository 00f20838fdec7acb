"""Market hours and the cache lifetime derived from them (B3 holidays included)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from quotes import markets


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def test_open_b3_keeps_a_quote_for_the_short_ttl(settings):
    settings.QUOTES_CACHE_TTL_OPEN = 300
    fetched = at("2026-11-23T14:00:00-03:00")
    assert markets.fresh_until("BR", fetched) == fetched + timedelta(seconds=300)
    assert markets.cache_ttl("BR", fetched, now=fetched) == 300


def test_closed_b3_keeps_a_quote_until_the_next_open_across_a_holiday():
    # Thursday 19/11/2026 after the close; Friday 20/11 is Consciência Negra (no session).
    fetched = at("2026-11-19T19:30:00-03:00")
    assert markets.fresh_until("BR", fetched) == at("2026-11-23T10:00:00-03:00")
    # 19/11 19:30 → 23/11 10:00 = 3 days 14 h 30 min
    assert markets.cache_ttl("BR", fetched, now=fetched) == (3 * 24 + 14) * 3600 + 30 * 60


def test_weekend_and_carnival():
    saturday = at("2026-02-14T12:00:00-03:00")
    assert markets.next_open("BR", saturday) == at("2026-02-18T10:00:00-03:00")  # Carnival Monday/Tuesday closed


def test_closed_ttl_is_capped(settings):
    settings.QUOTES_CACHE_TTL_MAX = 3600
    fetched = at("2026-11-21T12:00:00-03:00")
    assert markets.fresh_until("BR", fetched) == fetched + timedelta(hours=1)


def test_us_market_uses_nyse_calendar():
    thanksgiving = at("2026-11-26T12:00:00-05:00")
    assert not markets.is_open("US", thanksgiving)
    assert markets.next_open("US", thanksgiving) == at("2026-11-27T09:30:00-05:00")
    assert markets.is_open("US", at("2026-11-23T10:00:00-05:00"))


def test_crypto_is_always_open(settings):
    settings.QUOTES_CACHE_TTL_CRYPTO = 120
    sunday = at("2026-11-22T03:00:00+00:00")
    assert markets.is_open("GLOBAL", sunday)
    assert markets.fresh_until("GLOBAL", sunday) == sunday + timedelta(seconds=120)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T12:00:00-03:00", date(2026, 11, 19)),  # Monday during the session: last full one was Thursday
        ("2026-11-23T18:30:00-03:00", date(2026, 11, 23)),
        ("2026-11-22T12:00:00-03:00", date(2026, 11, 19)),
    ],
)
def test_last_completed_session(moment, expected):
    assert markets.last_completed_session("BR", at(moment)) == expected


def test_trading_days_back_skips_holidays():
    days = markets.trading_days_back("BR", date(2026, 11, 23), 3)
    assert days == [date(2026, 11, 23), date(2026, 11, 19), date(2026, 11, 18)]

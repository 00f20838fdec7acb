from datetime import date, datetime

from exitus.calendars import (
    SAO_PAULO,
    b3_is_open,
    b3_next_open,
    is_b3_trading_day,
    last_business_day_of_month,
    next_trading_day,
)


def test_carnival_and_weekends_are_not_trading_days():
    assert not is_b3_trading_day(date(2026, 2, 16))  # Carnaval
    assert not is_b3_trading_day(date(2026, 2, 14))  # Saturday
    assert is_b3_trading_day(date(2026, 2, 18))  # Ash Wednesday trades (afternoon)
    assert next_trading_day(date(2026, 2, 13)) == date(2026, 2, 18)


def test_last_business_day_skips_holidays():
    # 31/12/2026 is a B3 holiday (no trading) → 30/12.
    assert last_business_day_of_month(2026, 12) == date(2026, 12, 30)
    # April 2026 ends on a Thursday.
    assert last_business_day_of_month(2026, 4) == date(2026, 4, 30)
    # May 2026: 31 is a Sunday, 30 a Saturday → Friday 29.
    assert last_business_day_of_month(2026, 5) == date(2026, 5, 29)


def test_market_hours():
    assert b3_is_open(datetime(2026, 11, 23, 11, 0, tzinfo=SAO_PAULO))
    assert not b3_is_open(datetime(2026, 11, 23, 9, 0, tzinfo=SAO_PAULO))
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=SAO_PAULO)
    assert b3_next_open(friday_evening) == datetime(2026, 11, 30, 10, 0, tzinfo=SAO_PAULO)

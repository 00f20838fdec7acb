"""Business-day calendars: B3 trading days and Brazilian national holidays.

Used by the quote cache (is the market open?), trade-date warnings (weekend or
holiday), and tax due dates (last business day of a month). Holidays come from the
``holidays`` package (B3 = ISO 10383 ``BVMF``; national = ``BR``).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# B3 cash-equities continuous session (local time). Kept wide enough for the closing call.
B3_OPEN = time(10, 0)
B3_CLOSE = time(18, 0)


@lru_cache(maxsize=64)
def b3_holidays(year: int) -> dict:
    return dict(holidays.financial_holidays("BVMF", years=year))


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict:
    return dict(holidays.country_holidays("BR", years=year))


def is_b3_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in b3_holidays(day.year)


def is_business_day(day: date) -> bool:
    """A weekday that is neither a national nor a B3 holiday (banks and the exchange open)."""
    return is_b3_trading_day(day) and day not in national_holidays(day.year)


def next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_b3_trading_day(day):
        day += timedelta(days=1)
    return day


def previous_trading_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_b3_trading_day(day):
        day -= timedelta(days=1)
    return day


def last_business_day_of_month(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    day = first_of_next - timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def b3_is_open(moment: datetime) -> bool:
    local = moment.astimezone(SAO_PAULO)
    return is_b3_trading_day(local.date()) and B3_OPEN <= local.time() < B3_CLOSE


def b3_next_open(moment: datetime) -> datetime:
    """The next moment the B3 session opens after ``moment`` (``moment`` itself if open now)."""
    local = moment.astimezone(SAO_PAULO)
    if b3_is_open(local):
        return local
    day = local.date()
    if not is_b3_trading_day(day) or local.time() >= B3_CLOSE:
        day = next_trading_day(day)
    return datetime.combine(day, B3_OPEN, tzinfo=SAO_PAULO)

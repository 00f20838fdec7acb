"""Trading calendars and session hours per market: the cache TTL, stale flags and backfill gaps use them.

B3 comes from ``exitus.calendars`` (the project's single B3 calendar). Other markets use the
``holidays`` package's exchange calendars (NYSE, Xetra, Tokyo); crypto trades every day
(daily bars are UTC days).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from exitus import calendars


@dataclass(frozen=True)
class Session:
    zone: ZoneInfo
    opens: time
    closes: time
    exchange: str | None  # ``holidays`` financial calendar; None = weekdays only / B3 handled apart
    every_day: bool = False


SESSIONS = {
    "BR": Session(calendars.SAO_PAULO, calendars.B3_OPEN, calendars.B3_CLOSE, "BVMF"),
    "US": Session(ZoneInfo("America/New_York"), time(9, 30), time(16, 0), "NYSE"),
    "EU": Session(ZoneInfo("Europe/Berlin"), time(9, 0), time(17, 30), "XETR"),
    "ASIA": Session(ZoneInfo("Asia/Tokyo"), time(9, 0), time(15, 30), "XJPX"),
    "GLOBAL": Session(ZoneInfo("UTC"), time(0, 0), time(23, 59, 59), None, every_day=True),
}
# FX (PTAX) is published on Brazilian business days.
FX_MARKET = "FX"


def session(market: str) -> Session:
    return SESSIONS.get(market, SESSIONS["US"])


@lru_cache(maxsize=256)
def _exchange_holidays(exchange: str, year: int) -> frozenset:
    return frozenset(holidays.financial_holidays(exchange, years=year))


def is_trading_day(market: str, day: date) -> bool:
    if market == FX_MARKET:
        return calendars.is_business_day(day)
    if market == "BR":
        return calendars.is_b3_trading_day(day)
    spec = session(market)
    if spec.every_day:
        return True
    return day.weekday() < 5 and day not in _exchange_holidays(spec.exchange, day.year)


def market_date(market: str, moment: datetime) -> date:
    return moment.astimezone(session(market).zone).date()


def is_open(market: str, moment: datetime) -> bool:
    spec = session(market)
    if spec.every_day:
        return True
    local = moment.astimezone(spec.zone)
    return is_trading_day(market, local.date()) and spec.opens <= local.time() < spec.closes


def next_open(market: str, moment: datetime) -> datetime:
    """When the market next opens after ``moment`` (``moment`` itself while it is open)."""
    if is_open(market, moment):
        return moment
    spec = session(market)
    local = moment.astimezone(spec.zone)
    day = local.date()
    if not is_trading_day(market, day) or local.time() >= spec.closes:
        day = next_trading_day(market, day)
    return datetime.combine(day, spec.opens, tzinfo=spec.zone)


def next_trading_day(market: str, day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(market, day):
        day += timedelta(days=1)
    return day


def previous_trading_day(market: str, day: date) -> date:
    day -= timedelta(days=1)
    while not is_trading_day(market, day):
        day -= timedelta(days=1)
    return day


def session_close(market: str, day: date) -> datetime:
    spec = session(market)
    return datetime.combine(day, spec.closes, tzinfo=spec.zone)


def last_completed_session(market: str, moment: datetime) -> date:
    """The latest trading day whose session had closed by ``moment``."""
    spec = session(market)
    local = moment.astimezone(spec.zone)
    day = local.date()
    if spec.every_day:
        return day - timedelta(days=1)
    if is_trading_day(market, day) and local.time() >= spec.closes:
        return day
    return previous_trading_day(market, day)


def trading_days_back(market: str, anchor: date, count: int) -> list:
    """``count`` trading days ending at ``anchor`` (included if it trades), newest first."""
    days, day = [], anchor
    if not is_trading_day(market, day):
        day = previous_trading_day(market, day)
    while len(days) < count:
        days.append(day)
        day = previous_trading_day(market, day)
    return days


def trading_days_between(market: str, start: date, end: date) -> list:
    days, day = [], start
    while day <= end:
        if is_trading_day(market, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def fresh_until(market: str, fetched_at: datetime) -> datetime:
    """Until when a quote fetched at ``fetched_at`` is current.

    While the market is open: a short TTL. While it is closed: until the next open (a quote
    taken after the close stays right through the night, weekends and holidays), capped.
    """
    if session(market).every_day:
        return fetched_at + timedelta(seconds=settings.QUOTES_CACHE_TTL_CRYPTO)
    if is_open(market, fetched_at):
        return fetched_at + timedelta(seconds=settings.QUOTES_CACHE_TTL_OPEN)
    return min(next_open(market, fetched_at), fetched_at + timedelta(seconds=settings.QUOTES_CACHE_TTL_MAX))


def cache_ttl(market: str, fetched_at: datetime, now: datetime | None = None) -> int:
    """Seconds a quote fetched at ``fetched_at`` may stay in the cache from ``now`` (≥ 1)."""
    now = now or datetime.now(UTC)
    return max(1, int((fresh_until(market, fetched_at) - now).total_seconds()))

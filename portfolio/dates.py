"""Moments used to order trades, events and dividends on one time line (São Paulo local days)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the project's time zone: when an event dated ``day`` takes effect."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def midday(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


def dividend_cutoff(data_com: date) -> datetime:
    """Holdings at the end of the data com: everything strictly before the next midnight counts."""
    return start_of_day(data_com + timedelta(days=1))


def as_moment(value) -> datetime:
    """A date becomes its local midnight; a naive datetime is read as local time."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return start_of_day(value)

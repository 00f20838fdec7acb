"""Shared helpers to turn a provider's daily rows into :class:`Bar` values."""

from datetime import date

from django.utils import timezone

from .base import BadResponse, Bar, optional_decimal, optional_int, to_decimal


def range_for(ranges, start: date) -> str:
    """The shortest of a provider's ``(name, days)`` ranges that reaches back to ``start``."""
    days = (timezone.localdate() - start).days + 1
    for name, covers in ranges:
        if covers >= days:
            return name
    return ranges[-1][0]


def bars_from_rows(
    rows,
    *,
    start,
    end,
    day,
    open="open",
    high="high",
    low="low",
    close="close",
    volume="volume",
    adjusted=None,
):
    """Bars within ``[start, end]`` from dict rows; ``day(row)`` gives the row's date.

    Rows without a close (no trade that day) are skipped; a present but non-positive or
    non-numeric close is a :class:`BadResponse`.
    """
    bars = {}
    for row in rows:
        if not isinstance(row, dict):
            raise BadResponse("linha de histórico inválida")
        if row.get(close) in (None, ""):
            continue
        when = day(row)
        if when < start or when > end:
            continue
        bars[when] = Bar(
            date=when,
            close=to_decimal(row.get(close), what="fechamento"),
            open=optional_decimal(row.get(open), positive=True),
            high=optional_decimal(row.get(high), positive=True),
            low=optional_decimal(row.get(low), positive=True),
            adjusted_close=optional_decimal(row.get(adjusted), positive=True) if adjusted else None,
            volume=optional_int(row.get(volume)),
        )
    return [bars[d] for d in sorted(bars)]

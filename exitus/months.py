"""Months as the product writes them, parsed and bounded in one place.

Two spellings are accepted everywhere: ``AAAA-MM`` (the API) and ``MM/AAAA`` (the billing
processes and the scheduling catalogue, as the source documents write them). A month is also
bounded before any work: from :data:`EARLIEST_YEAR` to next year. A far-future month such as
``9999-12`` would otherwise make the tax engine roll its carry-forward month by month.
"""

import re
from datetime import date

from django.utils import timezone

PATTERNS = (re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})$"), re.compile(r"^(?P<m>[0-9]{2})/(?P<y>[0-9]{4})$"))
EARLIEST_YEAR = 1990  # before the Real and before any tax rule the engine knows


def latest_year() -> int:
    return timezone.localdate().year + 1


def parse_month(text, *, earliest: int = EARLIEST_YEAR, latest: int | None = None) -> date:
    """The first day of the month named by ``text``; ``ValueError`` (in Portuguese) otherwise.

    Years outside ``[earliest, latest]`` (default: :data:`EARLIEST_YEAR` to next year) are refused.
    """
    for pattern in PATTERNS:
        found = pattern.match(str(text).strip())
        if found and 1 <= int(found["m"]) <= 12:
            month = date(int(found["y"]), int(found["m"]), 1)
            check_year(month.year, earliest=earliest, latest=latest)
            return month
    raise ValueError(f"Mês inválido: {str(text)[:20]!r} (use AAAA-MM ou MM/AAAA).")


def check_year(year: int, *, earliest: int = EARLIEST_YEAR, latest: int | None = None) -> int:
    """``year`` when within ``[earliest, latest]`` (default latest: next year); ``ValueError`` otherwise."""
    latest = latest_year() if latest is None else latest
    if not earliest <= int(year) <= latest:
        raise ValueError(f"Ano fora do intervalo aceito ({earliest} a {latest}).")
    return int(year)


def month_label(month: date) -> str:
    """``MM/AAAA``, the way the billing processes and the admin show a month."""
    return f"{month.month:02d}/{month.year}"


def month_key(month: date) -> str:
    """``AAAA-MM``, the way the API and the tax pages show a month."""
    return f"{month.year}-{month.month:02d}"

"""Month arguments of tasks and commands: ``YYYY-MM`` or ``MM/YYYY`` (the scheduling catalogue's form)."""

import re
from datetime import date

PATTERNS = (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})$"), re.compile(r"^(?P<m>\d{2})/(?P<y>\d{4})$"))


def parse_month(text: str) -> date:
    """The first day of the month named by ``text``; ``ValueError`` when it names none."""
    for pattern in PATTERNS:
        found = pattern.match(str(text).strip())
        if found:
            return date(int(found["y"]), int(found["m"]), 1)
    raise ValueError(f"Mês inválido: {text!r} (use AAAA-MM ou MM/AAAA).")

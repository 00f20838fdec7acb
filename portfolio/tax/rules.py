"""The dated rule table as a pure lookup: ``RuleBook.get(key, on)``. No database here.

``portfolio.tax.selectors.rulebook()`` loads the rows once; the engine asks for each value on
the date it applies to (the month of a sale, the payment date of a dividend...).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .choices import RuleKey


class MissingRule(LookupError):
    """No row of the table covers that key on that date."""

    def __init__(self, key, on):
        super().__init__(f"Sem regra '{key}' vigente em {on:%d/%m/%Y}.")
        self.key = key
        self.on = on


@dataclass(frozen=True)
class RuleRow:
    key: str
    value: Decimal
    valid_from: date
    valid_to: date | None
    legal_basis: str = ""


class RuleBook:
    def __init__(self, rows):
        self._rows: dict[str, list[RuleRow]] = {}
        for row in rows:
            self._rows.setdefault(str(row.key), []).append(row)
        for values in self._rows.values():
            values.sort(key=lambda r: r.valid_from, reverse=True)

    def find(self, key: str, on: date) -> RuleRow | None:
        for row in self._rows.get(str(key), ()):
            if row.valid_from <= on and (row.valid_to is None or on <= row.valid_to):
                return row
        return None

    def get(self, key: str, on: date, default=None) -> Decimal:
        row = self.find(key, on)
        if row is not None:
            return row.value
        if default is not None:
            return default
        raise MissingRule(key, on)

    def has(self, key: str, on: date) -> bool:
        return self.find(key, on) is not None

    def rate(self, key: str, on: date) -> Decimal:
        """A percentage as a fraction (15 → 0.15)."""
        return self.get(key, on) / Decimal(100)

    def basis(self, key: str, on: date) -> str:
        row = self.find(key, on)
        return row.legal_basis if row else ""

    def gcap_brackets(self, on: date) -> list[tuple[Decimal | None, Decimal]]:
        """Progressive capital-gain brackets ``[(upper limit or None, rate fraction), ...]``."""
        brackets = []
        for n in (1, 2, 3):
            brackets.append((self.get(f"gcap_limit_{n}", on), self.rate(f"gcap_rate_{n}", on)))
        brackets.append((None, self.rate(RuleKey.GCAP_RATE_4, on)))
        return brackets

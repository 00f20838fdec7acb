"""Brazilian document numbers and the ``MM/AAAA`` month: validate, normalise, format."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exitus import months

MONTH_RE = re.compile(r"^(0[1-9]|1[0-2])/(\d{4})$")
BILLING_YEARS = (2000, 2100)  # invoice processes may be planned ahead


def only_digits(value) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _check_digit(digits: str, weights: list[int]) -> str:
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=False))
    rest = total % 11
    return "0" if rest < 2 else str(11 - rest)


def cnpj_is_valid(value) -> bool:
    digits = only_digits(value)
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    first = _check_digit(digits[:12], [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _check_digit(digits[:12] + first, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return digits[12:] == first + second


def cpf_is_valid(value) -> bool:
    digits = only_digits(value)
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    first = _check_digit(digits[:9], list(range(10, 1, -1)))
    second = _check_digit(digits[:9] + first, list(range(11, 1, -1)))
    return digits[9:] == first + second


def normalize_cnpj(value) -> str:
    """Digits only; raise ``ValidationError`` when the check digits are wrong."""
    digits = only_digits(value)
    if not cnpj_is_valid(digits):
        raise ValidationError(_("CNPJ inválido: %(value)s"), code="invalid_cnpj", params={"value": value})
    return digits


def normalize_cpf(value) -> str:
    """Digits only (empty allowed); raise ``ValidationError`` when the check digits are wrong."""
    if not str(value or "").strip():
        return ""
    digits = only_digits(value)
    if not cpf_is_valid(digits):
        raise ValidationError(_("CPF inválido: %(value)s"), code="invalid_cpf", params={"value": value})
    return digits


def validate_cnpj(value):
    normalize_cnpj(value)


def validate_cpf(value):
    normalize_cpf(value)


def format_cnpj(digits: str) -> str:
    d = only_digits(digits)
    if len(d) != 14:
        return digits or ""
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def format_cpf(digits: str) -> str:
    d = only_digits(digits)
    if len(d) != 11:
        return digits or ""
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def parse_month(value) -> date:
    """``"MM/AAAA"`` (the form processes are stored in) → the first day of that month, within the
    years ``exitus.months`` accepts; ``ValidationError`` otherwise."""
    text = str(value or "").strip()
    try:
        if not MONTH_RE.match(text):
            raise ValueError(text)
        return months.parse_month(text, earliest=BILLING_YEARS[0], latest=BILLING_YEARS[1])
    except ValueError as exc:
        raise ValidationError(
            _("Mês inválido: %(value)s (use MM/AAAA, por exemplo 03/2025)."),
            code="invalid_month",
            params={"value": value},
        ) from exc


def validate_month(value):
    parse_month(value)


month_label = months.month_label

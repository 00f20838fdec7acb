"""Numbers as Brazilians read them: ``R$ 42.325,30``, ``1.234,5``, ``12,5%``.

One helper for every admin page, template (``{% load exitus_format %}``) and e-mail. Input is a
``Decimal`` (or an int); a float is refused rather than rounded silently.
"""

from decimal import ROUND_HALF_EVEN, Decimal

CURRENCY_SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€", "GBP": "£"}


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number_br(value, places: int = 2) -> str:
    """``Decimal("42325.3")`` → ``"42.325,30"``; ``None`` → ``"—"``."""
    if value is None or value == "":
        return "—"
    amount = _decimal(value)
    quantum = Decimal(1).scaleb(-places)
    amount = amount.quantize(quantum, rounding=ROUND_HALF_EVEN)
    text = f"{abs(amount):,.{places}f}"  # 42,325.30
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"-{text}" if amount < 0 else text


def money_br(value, currency: str = "BRL", places: int = 2) -> str:
    """``R$ 42.325,30`` (``-R$ 10,00`` when negative); ``None`` → ``"—"``."""
    if value is None or value == "":
        return "—"
    amount = _decimal(value)
    symbol = CURRENCY_SYMBOLS.get((currency or "BRL").upper(), (currency or "").upper())
    text = number_br(abs(amount), places)
    return f"-{symbol} {text}" if amount < 0 else f"{symbol} {text}"


def percent_br(value, places: int = 1) -> str:
    """``Decimal("12.5")`` → ``"12,5%"`` (the value is already a percentage)."""
    if value is None:
        return "—"
    return f"{number_br(value, places)}%"


def parse_money_br(text) -> Decimal:
    """What people type for an amount: ``1.234,56``, ``1234,56``, ``R$ 1.234,56`` or ``1234.56``.

    ``ValueError`` when it is not an amount (never a guess: ``1.234`` alone is refused as ambiguous).
    """
    raw = str(text or "").strip().replace("R$", "").replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise ValueError("empty")
    if "," in raw:
        whole, _sep, cents = raw.rpartition(",")
        if "," in whole or not cents.isdigit():
            raise ValueError(raw)
        groups = whole.split(".")
        if len(groups) > 1 and not all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            raise ValueError(raw)
        normalised = "".join(groups) + "." + cents
    elif raw.count(".") == 1 and len(raw.split(".")[1]) == 3:
        raise ValueError(raw)  # "1.234": thousands or decimals? refuse rather than guess
    else:
        normalised = raw
    try:
        value = Decimal(normalised)
    except ArithmeticError as exc:
        raise ValueError(raw) from exc
    if not value.is_finite():
        raise ValueError(raw)
    return value


def moment_br(value) -> str:
    """An aware moment in São Paulo time, with seconds: ``30/11/2026 14:05:09``; ``None`` → ``"—"``."""
    if value is None:
        return "—"
    from django.utils import timezone

    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S")

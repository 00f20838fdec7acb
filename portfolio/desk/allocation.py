"""Splitting a brokerage note's fees among its trades in proportion to their value. Pure.

Each amount is split on its own with the largest-remainder method: every trade gets its share
rounded down to the cent, and the cents left over go, one each, to the trades with the largest
remainders (ties to the earlier line). So the parts always add up to the note's figure exactly —
what the trades' cost and cash then show is what the note charged, to the cent.
"""

from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def pro_rata(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` (cents) split in proportion to ``weights`` (≥ 0); zero weights get zero.

    With every weight zero the amount goes in equal parts (a note of zero-value lines still charged it).
    """
    amount = Decimal(amount).quantize(CENT)
    if not weights:
        return []
    total = sum(weights, ZERO)
    if total <= 0:
        weights = [Decimal(1)] * len(weights)
        total = Decimal(len(weights))
    cents = int(amount / CENT)
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    raw = [Decimal(cents) * w / total for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_FLOOR)) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * CENT for f in floors]


def allocate(fees: dict, values: list[Decimal]) -> list[dict]:
    """``[{fee: part}]`` per trade: each fee of ``fees`` split by the trades' ``values``."""
    parts = {name: pro_rata(amount, values) for name, amount in fees.items()}
    return [{name: parts[name][i] for name in fees} for i in range(len(values))]

"""Turn the engine's dicts (``Decimal``, ``date``, dataclasses) into JSON: money as strings, dates ISO."""

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal


def to_json(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_json(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return to_json(asdict(value))
    return value

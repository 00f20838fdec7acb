"""Query parameters read by hand, validated once: ASCII digits only, bounded, a field-level 400.

``str.isdigit()`` is true for ``"²"`` or ``"٣"``, which ``int()`` then refuses (or reads as
another number): every integer parameter goes through :func:`int_param` instead.
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

ASCII_INT = re.compile(r"^-?[0-9]{1,19}$")
MAX_ID = 2**63 - 1


def parse_int(raw: str, *, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``raw`` as an integer within ``[minimum, maximum]``; a 400 on ``name`` otherwise."""
    text = str(raw).strip()
    value = int(text) if ASCII_INT.match(text) else None
    if value is None or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            message = _("Informe um número inteiro entre %(min)s e %(max)s.") % {"min": minimum, "max": maximum}
        else:
            message = _("Informe um número inteiro.")
        raise ValidationError({name: [message]})
    return value


def int_param(request, name: str, *, default: int | None = None, minimum=None, maximum=None) -> int | None:
    """The integer query parameter ``name`` (``default`` when absent or empty)."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    return parse_int(raw, name=name, minimum=minimum, maximum=maximum)


def id_param(request, name: str) -> int | None:
    """A database id named in the query (``?owner=12``), or ``None`` when absent."""
    return int_param(request, name, minimum=1, maximum=MAX_ID)

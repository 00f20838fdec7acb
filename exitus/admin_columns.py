"""Admin columns every console page shares: a moment with seconds, in São Paulo time."""

from django.contrib import admin

from .formats import moment_br, money_br


def seconds_column(field: str, description, *, ordering: str | None = None):
    """A read-only column/field showing ``field`` as ``30/11/2026 14:05:09`` (``—`` when empty).

    Use as a class attribute: ``started_s = seconds_column("started_at", _("início"))``.
    """

    @admin.display(description=description, ordering=ordering or field)
    def column(modeladmin, obj):
        return moment_br(getattr(obj, field))

    column.__name__ = f"{field}_s"
    return column


def money_column(field: str, description, *, currency: str | None = "BRL", currency_from: str | None = None):
    """A read-only column showing ``field`` as ``R$ 42.325,30`` (pt-BR separators, ``—`` when empty).

    ``currency_from`` names the attribute path holding the row's currency (``"asset.currency"``);
    otherwise ``currency`` (BRL by default). Use as a class attribute:
    ``darf_amount_br = money_column("darf_amount", _("DARF 6015 a pagar"))``.
    """

    @admin.display(description=description, ordering=field)
    def column(modeladmin, obj):
        code = currency
        if currency_from:
            code = obj
            for part in currency_from.split("."):
                code = getattr(code, part, None)
        return money_br(getattr(obj, field), code or "BRL")

    column.__name__ = f"{field}_br"
    return column

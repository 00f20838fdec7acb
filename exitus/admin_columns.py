"""Admin columns every console page shares: a moment with seconds, in São Paulo time."""

from django.contrib import admin

from .formats import moment_br


def seconds_column(field: str, description, *, ordering: str | None = None):
    """A read-only column/field showing ``field`` as ``30/11/2026 14:05:09`` (``—`` when empty).

    Use as a class attribute: ``started_s = seconds_column("started_at", _("início"))``.
    """

    @admin.display(description=description, ordering=ordering or field)
    def column(modeladmin, obj):
        return moment_br(getattr(obj, field))

    column.__name__ = f"{field}_s"
    return column

"""Abstract models and field factories shared by every app.

Money, prices and quantities use one precision project-wide (see settings), so
sums across apps never lose cents and never mix float into Decimal.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds ``created_at`` / ``updated_at`` maintained by the database layer."""

    created_at = models.DateTimeField(_("criado em"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        abstract = True


def money_field(verbose_name, **kwargs):
    """A ``DecimalField`` for amounts of money (cents)."""
    kwargs.setdefault("max_digits", settings.MONEY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", settings.MONEY_DECIMAL_PLACES)
    return models.DecimalField(verbose_name, **kwargs)


def price_field(verbose_name, **kwargs):
    """A ``DecimalField`` for unit prices and rates (8 decimal places: crypto, FX)."""
    kwargs.setdefault("max_digits", settings.PRICE_MAX_DIGITS)
    kwargs.setdefault("decimal_places", settings.PRICE_DECIMAL_PLACES)
    return models.DecimalField(verbose_name, **kwargs)


def quantity_field(verbose_name, **kwargs):
    """A ``DecimalField`` for quantities (fractional shares, crypto units)."""
    kwargs.setdefault("max_digits", settings.QUANTITY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", settings.QUANTITY_DECIMAL_PLACES)
    return models.DecimalField(verbose_name, **kwargs)

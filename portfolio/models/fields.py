"""Field helpers and constants shared by the portfolio models."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
HALF_CENT = Decimal("0.005")


def percent_field(verbose_name, **kwargs):
    """A percentage as a number (``6.5`` means 6.5 %), never a fraction."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 4)
    return models.DecimalField(verbose_name, **kwargs)


def ratio_field(verbose_name, **kwargs):
    """A multiple such as P/L or beta."""
    kwargs.setdefault("max_digits", 16)
    kwargs.setdefault("decimal_places", 6)
    return models.DecimalField(verbose_name, **kwargs)


def currency_field(verbose_name=None, **kwargs):
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("default", "BRL")
    return models.CharField(verbose_name or _("moeda"), **kwargs)

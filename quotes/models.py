"""Market data: the latest quote per asset, daily price bars and FX rates.

Written only by ``quotes.services`` (the provider chain and backfills); read by the
portfolio valuation through ``quotes.selectors``.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import price_field


class Quote(models.Model):
    """The latest known price of an asset, with where and when it came from."""

    asset = models.OneToOneField(
        "portfolio.Asset", verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="quote"
    )
    price = price_field(_("preço"))
    previous_close = price_field(_("fechamento anterior"), null=True, blank=True)
    change = price_field(_("variação"), null=True, blank=True)
    change_percent = models.DecimalField(_("variação (%)"), max_digits=12, decimal_places=4, null=True, blank=True)
    volume = models.BigIntegerField(_("volume"), null=True, blank=True)
    currency = models.CharField(_("moeda"), max_length=3, default="BRL")
    source = models.CharField(_("fonte"), max_length=32)
    market_time = models.DateTimeField(_("horário de mercado"))
    fetched_at = models.DateTimeField(_("obtida em"), db_index=True)

    class Meta:
        verbose_name = _("cotação")
        verbose_name_plural = _("cotações")
        ordering = ["asset__ticker"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="quote_price_positive")]

    def __str__(self):
        return f"{self.asset} {self.price.normalize():f} {self.currency}"


class PriceBar(models.Model):
    """One trading day of an asset: OHLCV, unadjusted close and adjusted close."""

    asset = models.ForeignKey(
        "portfolio.Asset", verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="price_bars"
    )
    date = models.DateField(_("data"))
    open = price_field(_("abertura"), null=True, blank=True)
    high = price_field(_("máxima"), null=True, blank=True)
    low = price_field(_("mínima"), null=True, blank=True)
    close = price_field(_("fechamento"))
    adjusted_close = price_field(_("fechamento ajustado"), null=True, blank=True)
    volume = models.BigIntegerField(_("volume"), null=True, blank=True)
    source = models.CharField(_("fonte"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("barra de preço")
        verbose_name_plural = _("histórico de preços")
        ordering = ["asset_id", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "date"], name="pricebar_asset_date_unique"),
            models.CheckConstraint(condition=Q(close__gt=0), name="pricebar_close_positive"),
        ]

    def __str__(self):
        return f"{self.asset} {self.date:%d/%m/%Y} {self.close.normalize():f}"


class FxRate(models.Model):
    """Price of one unit of the base currency in the quote currency on a day (``USD-BRL`` = BRL per USD)."""

    pair = models.CharField(_("par"), max_length=7, help_text=_("Ex.: USD-BRL"))
    date = models.DateField(_("data"))
    rate = price_field(_("taxa"))
    source = models.CharField(_("fonte"), max_length=32, blank=True)
    fetched_at = models.DateTimeField(_("obtida em"), auto_now=True)

    class Meta:
        verbose_name = _("taxa de câmbio")
        verbose_name_plural = _("taxas de câmbio")
        ordering = ["pair", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "date"], name="fxrate_pair_date_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fxrate_rate_positive"),
        ]

    def __str__(self):
        return f"{self.pair} {self.date:%d/%m/%Y} {self.rate.normalize():f}"

    @property
    def base(self):
        return self.pair[:3]

    @property
    def quote_currency(self):
        return self.pair[4:]

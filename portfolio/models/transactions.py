"""Trades (one line of a brokerage note)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from ..choices import (
    TransactionKind,
)
from .catalogue import Asset, Broker, Portfolio
from .fields import HALF_CENT, ZERO, currency_field


class Transaction(TimeStampedModel):
    """One trade line of a brokerage note. Totals are derived and stored on save by the services."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(
        Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="transactions"
    )
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("tipo"), max_length=12, choices=TransactionKind.choices)
    trade_date = models.DateTimeField(_("data do negócio"))
    quantity = quantity_field(_("quantidade"))
    unit_price = price_field(_("preço unitário"))
    brokerage_fee = money_field(_("corretagem"), default=ZERO)
    settlement_fee = money_field(_("taxa de liquidação"), default=ZERO)
    emoluments = money_field(_("emolumentos"), default=ZERO)
    other_costs = money_field(_("outros custos"), default=ZERO)
    withheld_tax = money_field(_("IRRF retido"), default=ZERO)
    currency = currency_field()
    fx_rate = price_field(_("câmbio para BRL"), default=Decimal("1"))
    fx_source = models.CharField(
        _("fonte do câmbio"),
        max_length=24,
        blank=True,
        editable=False,
        help_text=_("bcb = PTAX do Banco Central; informado = digitado na operação; brl = sem conversão."),
    )
    notes = models.TextField(_("observações"), blank=True)
    import_hash = models.CharField(_("hash de importação"), max_length=64, blank=True)
    source_file = models.CharField(_("arquivo de origem"), max_length=255, blank=True)

    # Derived (stored so lists, exports and sums need no Python per row).
    gross_amount = money_field(_("valor bruto"), default=ZERO, editable=False)
    total_costs = money_field(_("custos"), default=ZERO, editable=False)
    net_amount = money_field(_("valor líquido"), default=ZERO, editable=False)

    class Meta:
        verbose_name = _("transação")
        verbose_name_plural = _("transações")
        ordering = ["-trade_date", "-id"]
        indexes = [
            models.Index(fields=["owner", "asset", "trade_date"], name="tx_owner_asset_date"),
            models.Index(fields=["portfolio", "trade_date"], name="tx_portfolio_date"),
            models.Index(fields=["owner", "trade_date"], name="tx_owner_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="tx_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="tx_price_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="tx_price_positive"),
            # net = gross ± costs (to the cent; the tolerance only absorbs SQLite's binary floats).
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["compra", "subscricao"])
                    & Q(net_amount__gt=F("gross_amount") + F("total_costs") - HALF_CENT)
                    & Q(net_amount__lt=F("gross_amount") + F("total_costs") + HALF_CENT)
                )
                | (
                    Q(kind__in=["venda", "amortizacao"])
                    & Q(net_amount__gt=F("gross_amount") - F("total_costs") - HALF_CENT)
                    & Q(net_amount__lt=F("gross_amount") - F("total_costs") + HALF_CENT)
                ),
                name="tx_totals_consistent",
            ),
            models.CheckConstraint(condition=Q(fx_rate__gt=0), name="tx_fx_rate_positive"),
            models.CheckConstraint(
                condition=Q(brokerage_fee__gte=0)
                & Q(settlement_fee__gte=0)
                & Q(emoluments__gte=0)
                & Q(other_costs__gte=0)
                & Q(withheld_tax__gte=0),
                name="tx_costs_not_negative",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "import_hash"], condition=~Q(import_hash=""), name="tx_import_hash_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity.normalize():f} {self.asset} @ {self.unit_price.normalize():f}"

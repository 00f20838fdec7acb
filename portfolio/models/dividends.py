"""Proventos announced per share and what each holder receives."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from ..choices import (
    DividendKind,
)
from .catalogue import Asset
from .fields import ZERO, currency_field, percent_field
from .positions import Position


class Dividend(TimeStampedModel):
    """A provento announced by the issuer, per share. What each holder receives is a ``DividendReceipt``."""

    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="dividends")
    kind = models.CharField(_("tipo"), max_length=24, choices=DividendKind.choices)
    value_per_share = price_field(_("valor por ação"))
    data_com = models.DateField(_("data com"))
    payment_date = models.DateField(_("data de pagamento"), null=True, blank=True)
    withholding_rate = percent_field(
        _("alíquota retida (%)"),
        null=True,
        blank=True,
        help_text=_("Vazio num JCP: a alíquota da tabela de regras vigente na data do pagamento."),
    )
    currency = currency_field()
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("provento")
        verbose_name_plural = _("proventos")
        ordering = ["-data_com", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "kind", "data_com", "value_per_share"], name="dividend_unique"),
            models.CheckConstraint(condition=Q(value_per_share__gt=0), name="dividend_value_positive"),
            models.CheckConstraint(
                condition=Q(withholding_rate__isnull=True)
                | (Q(withholding_rate__gte=0) & Q(withholding_rate__lte=100)),
                name="dividend_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(payment_date__isnull=True) | Q(payment_date__gte=F("data_com")),
                name="dividend_payment_after_data_com",
            ),
        ]

    def __str__(self):
        return f"{self.asset} {self.get_kind_display()} {self.value_per_share.normalize():f} ({self.data_com:%d/%m/%Y})"


class DividendReceipt(TimeStampedModel):
    """What one position received of a dividend: quantity held on the data com × value per share."""

    dividend = models.ForeignKey(
        Dividend, verbose_name=_("provento"), on_delete=models.CASCADE, related_name="receipts"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("posição"), on_delete=models.CASCADE, related_name="dividend_receipts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    quantity = quantity_field(_("quantidade na data com"))
    gross_amount = money_field(_("valor bruto"))
    tax_amount = money_field(_("imposto retido"), default=ZERO)
    net_amount = money_field(_("valor líquido"))
    fx_rate = price_field(
        _("câmbio para BRL"),
        null=True,
        blank=True,
        default=Decimal("1"),
        help_text=_("Vazio: sem câmbio conhecido para a data (fora dos totais em BRL até ser conhecido)."),
    )
    fx_source = models.CharField(_("fonte do câmbio"), max_length=24, blank=True)
    tax_rate = percent_field(_("alíquota aplicada (%)"), default=ZERO)
    tax_rate_source = models.CharField(
        _("origem da alíquota"), max_length=120, blank=True, help_text=_("informada, ou a regra da tabela usada.")
    )
    paid = models.BooleanField(_("pago"), default=False, db_index=True)

    class Meta:
        verbose_name = _("provento recebido")
        verbose_name_plural = _("proventos recebidos")
        ordering = ["-dividend__data_com", "-id"]
        indexes = [models.Index(fields=["owner", "paid"], name="receipt_owner_paid")]
        constraints = [
            models.UniqueConstraint(fields=["dividend", "position"], name="receipt_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_quantity_positive"),
            models.CheckConstraint(condition=Q(tax_amount__gte=0), name="receipt_tax_not_negative"),
            models.CheckConstraint(condition=Q(net_amount__lte=F("gross_amount")), name="receipt_net_le_gross"),
        ]

    def __str__(self):
        return f"{self.dividend} → {self.position}"

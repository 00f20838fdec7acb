"""Custody changes that are neither a purchase nor a sale of the taxpayer's average: transfers between
brokers (portabilidade) and the cash of a leilão de frações."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, quantity_field

from .catalogue import Asset, Broker, Portfolio
from .events import CorporateEvent
from .fields import currency_field


class CustodyTransfer(TimeStampedModel):
    """Shares moved from one broker to another (portabilidade, B3 "Transferência - Liquidação").

    Not a sale and not a purchase: the taxpayer's preço médio and history are kept. At the custody
    level the shares leave the source broker's position at its average cost and arrive at the
    destination's with that cost. Validated against what the source held at that moment.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.PROTECT, related_name="+")
    from_broker = models.ForeignKey(
        Broker, verbose_name=_("corretora de origem"), on_delete=models.PROTECT, related_name="+"
    )
    to_broker = models.ForeignKey(
        Broker, verbose_name=_("corretora de destino"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateTimeField(_("data"))
    quantity = quantity_field(_("quantidade"))
    notes = models.TextField(_("observações"), blank=True)
    import_hash = models.CharField(_("hash de importação"), max_length=64, blank=True)
    source_file = models.CharField(_("arquivo de origem"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("transferência de custódia")
        verbose_name_plural = _("transferências de custódia")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="custody_transfer_quantity_positive"),
            models.CheckConstraint(condition=~Q(from_broker=F("to_broker")), name="custody_transfer_two_brokers"),
            models.UniqueConstraint(
                fields=["portfolio", "import_hash"], condition=~Q(import_hash=""), name="custody_transfer_hash_unique"
            ),
        ]

    def __str__(self):
        return f"{self.quantity.normalize():f} {self.asset}: {self.from_broker} → {self.to_broker}"


class FractionSale(TimeStampedModel):
    """The leilão de frações: the fraction a grupamento or bonificação left at one broker, sold for cash.

    Until it is recorded the position shows the fraction as pending; once recorded the fraction
    leaves with a realized result assessed like a sale (Lei 6.404/1976, art. 169, §3º: fractions are
    sold on the exchange and the proceeds split among their holders).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="+")
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(
        CorporateEvent,
        verbose_name=_("evento que gerou a fração"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    date = models.DateTimeField(_("data do crédito"))
    quantity = quantity_field(_("fração vendida"))
    amount = money_field(_("valor recebido"))
    currency = currency_field()
    fx_rate = models.DecimalField(_("câmbio para BRL"), max_digits=20, decimal_places=8, default=1)
    fx_source = models.CharField(_("fonte do câmbio"), max_length=24, blank=True)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("leilão de frações")
        verbose_name_plural = _("leilões de frações")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(quantity__lt=1), name="fraction_sale_below_one"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fraction_sale_amount_not_negative"),
        ]

    def __str__(self):
        return f"Frações {self.asset} @ {self.broker} ({self.date:%d/%m/%Y})"

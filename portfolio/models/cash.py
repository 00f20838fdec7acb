"""Cash movements of broker accounts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field

from ..choices import (
    CASH_INFLOW_KINDS,
    CASH_OUTFLOW_KINDS,
    CashKind,
)
from .catalogue import Broker, Portfolio
from .custody import FractionSale
from .dividends import DividendReceipt
from .fields import currency_field
from .transactions import Transaction


class CashMovement(TimeStampedModel):
    """Money in or out of a broker account, in one currency.

    ``amount`` is signed relative to ``broker`` (in > 0, out < 0). A transfer is one row:
    it leaves ``broker`` and arrives at ``destination_broker``. Trades and dividend
    payments create their own movement (``transaction`` / ``dividend_receipt``).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+"
    )
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    destination_broker = models.ForeignKey(
        Broker,
        verbose_name=_("corretora de destino"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    portfolio = models.ForeignKey(
        Portfolio, verbose_name=_("carteira"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=CashKind.choices)
    amount = money_field(_("valor"))
    currency = currency_field()
    date = models.DateTimeField(_("data"))
    description = models.CharField(_("descrição"), max_length=255, blank=True)
    transaction = models.OneToOneField(
        Transaction,
        verbose_name=_("transação"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cash_movement",
    )
    fraction_sale = models.OneToOneField(
        FractionSale,
        verbose_name=_("leilão de frações"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cash_movement",
    )
    dividend_receipt = models.OneToOneField(
        DividendReceipt,
        verbose_name=_("provento recebido"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cash_movement",
    )

    class Meta:
        verbose_name = _("movimentação de caixa")
        verbose_name_plural = _("movimentações de caixa")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["owner", "broker", "currency"], name="cash_owner_broker_ccy")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="cash_amount_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in CASH_INFLOW_KINDS]) | Q(amount__gt=0),
                name="cash_inflow_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in CASH_OUTFLOW_KINDS]) | Q(amount__lt=0),
                name="cash_outflow_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CashKind.TRANSFERENCIA.value)
                | (Q(destination_broker__isnull=False) & ~Q(destination_broker=F("broker"))),
                name="cash_transfer_has_destination",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.broker})"

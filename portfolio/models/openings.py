"""Opening balances: history kept elsewhere, brought in as of a date (no fake trades)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from .catalogue import Asset, Broker, Portfolio


class OpeningPosition(TimeStampedModel):
    """A position at one broker as of ``as_of`` (at 00:00 of that day): quantity and average cost.

    It enters the position's ledger (and the consolidated preço médio) before any trade or event
    of that day; trades of that position before ``as_of`` are refused (the opening is their sum).
    ``cost_basis_brl`` is the cost in reais (what the income tax uses); for a BRL asset it is
    quantity × average cost, for a foreign one it must be given (never converted by a guess).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="+")
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("posição em"))
    quantity = quantity_field(_("quantidade"))
    average_cost = price_field(_("preço médio"))
    cost_basis = money_field(_("custo total"), editable=False)
    cost_basis_brl = money_field(_("custo total (BRL)"))
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("saldo inicial de posição")
        verbose_name_plural = _("saldos iniciais de posições")
        ordering = ["owner_id", "as_of", "id"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "broker", "asset"], name="opening_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="opening_quantity_positive"),
            models.CheckConstraint(condition=Q(average_cost__gte=0), name="opening_average_not_negative"),
            models.CheckConstraint(condition=Q(cost_basis_brl__gte=0), name="opening_cost_brl_not_negative"),
        ]

    def __str__(self):
        return f"{self.asset} @ {self.broker} em {self.as_of:%d/%m/%Y}"

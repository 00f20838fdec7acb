"""Corporate events: splits, grupamentos, bonificações, ticker changes, delistings."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, price_field

from ..choices import (
    CorporateEventKind,
)
from .catalogue import Asset


class CorporateEvent(TimeStampedModel):
    """Split, grupamento, bonificação, ticker change, delisting — applied to positions as of ``event_date``.

    ``ratio_from:ratio_to`` reads "for every ``ratio_from`` shares held":
    split / grupamento → the holder ends with ``ratio_to`` shares (1:2 doubles, 10:1 divides by ten);
    bonificação → the holder *receives* ``ratio_to`` new shares (10:1 adds 10 %), at ``assigned_cost`` each.
    """

    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("tipo"), max_length=16, choices=CorporateEventKind.choices)
    event_date = models.DateField(_("data do evento"))
    data_com = models.DateField(_("data com"), null=True, blank=True)
    ratio_from = models.DecimalField(_("proporção (de)"), max_digits=16, decimal_places=6, null=True, blank=True)
    ratio_to = models.DecimalField(_("proporção (para)"), max_digits=16, decimal_places=6, null=True, blank=True)
    assigned_cost = price_field(_("custo atribuído por ação"), null=True, blank=True)
    zero_cost_confirmed = models.BooleanField(
        _("custo zero confirmado"),
        default=False,
        help_text=_("Uma bonificação com custo atribuído zero só é aceita com esta confirmação explícita."),
    )
    new_asset = models.ForeignKey(
        Asset,
        verbose_name=_("novo ativo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("evento corporativo")
        verbose_name_plural = _("eventos corporativos")
        ordering = ["-event_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "kind", "event_date"], name="event_unique_per_day"),
            models.CheckConstraint(
                condition=(Q(ratio_from__isnull=True) | Q(ratio_from__gt=0))
                & (Q(ratio_to__isnull=True) | Q(ratio_to__gt=0)),
                name="event_ratio_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["split", "grupamento", "bonificacao"])
                | (Q(ratio_from__isnull=False) & Q(ratio_to__isnull=False)),
                name="event_ratio_required",
            ),
            models.CheckConstraint(
                condition=~Q(kind="mudanca_ticker") | Q(new_asset__isnull=False), name="event_ticker_change_target"
            ),
            models.CheckConstraint(
                condition=Q(data_com__isnull=True) | Q(data_com__lte=F("event_date")), name="event_data_com_before"
            ),
            # Lei 9.249/1995, art. 10, parágrafo único: a bonificação has a cost; zero only when confirmed.
            models.CheckConstraint(
                condition=~Q(kind="bonificacao")
                | Q(assigned_cost__gt=0)
                | (Q(assigned_cost=0) & Q(zero_cost_confirmed=True)),
                name="event_bonus_has_cost",
            ),
        ]

    def __str__(self):
        return f"{self.asset} {self.get_kind_display()} {self.event_date:%d/%m/%Y}"

    @property
    def ratio(self):
        if self.ratio_from is None or self.ratio_to is None:
            return ""
        return f"{self.ratio_from.normalize():f}:{self.ratio_to.normalize():f}"

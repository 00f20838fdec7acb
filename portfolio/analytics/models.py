"""Monthly patrimony snapshots (month-end value per portfolio and per user) and the admin's chart entry."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field

from ..models.catalogue import Portfolio


class PatrimonySnapshot(TimeStampedModel):
    """Value on the last day of ``month`` in BRL: total, cost, cash and the split by class and type.

    One row per portfolio and month, plus one per user and month with ``portfolio`` empty (all of
    the user's portfolios and the cash not assigned to any). Written only by
    ``portfolio.analytics.services.snapshots_build`` (the month-end task and the backfill command).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+"
    )
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("carteira"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    month = models.DateField(_("mês"), help_text=_("Último dia do mês."))
    total = money_field(_("patrimônio total (BRL)"))
    invested = money_field(_("valor em ativos (BRL)"))
    cash = money_field(_("caixa (BRL)"))
    cost = money_field(_("custo dos ativos (BRL)"))
    by_class = models.JSONField(_("por classe"), default=dict, blank=True)
    by_type = models.JSONField(_("por tipo"), default=dict, blank=True)
    net_flows = money_field(_("aportes líquidos no mês (BRL)"), default=0)
    dividends = money_field(_("proventos no mês (BRL)"), default=0)

    class Meta:
        verbose_name = _("fotografia patrimonial")
        verbose_name_plural = _("fotografias patrimoniais")
        ordering = ["owner_id", "portfolio_id", "-month"]
        indexes = [models.Index(fields=["owner", "month"], name="snapshot_owner_month")]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "month"], condition=Q(portfolio__isnull=False), name="snapshot_portfolio_month"
            ),
            models.UniqueConstraint(
                fields=["owner", "month"], condition=Q(portfolio__isnull=True), name="snapshot_owner_month_total"
            ),
        ]

    def __str__(self):
        return f"{self.portfolio or self.owner} {self.month:%m/%Y}"


class PortfolioEvolution(Portfolio):
    """A portfolio as the admin's analytics page shows it: evolution and allocation charts."""

    class Meta:
        proxy = True
        verbose_name = _("evolução da carteira")
        verbose_name_plural = _("evolução das carteiras")

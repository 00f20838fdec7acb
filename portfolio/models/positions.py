"""Positions and their ledger (derived from trades and corporate events by ``portfolio.services``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from ..choices import whole_units
from .catalogue import Asset, Broker, Portfolio
from .events import CorporateEvent
from .fields import ZERO
from .transactions import Transaction


class Position(TimeStampedModel):
    """Holding of one asset at one broker in one portfolio, at the Receita's preço médio.

    ``average_cost`` and ``cost_basis`` are in the asset's currency; ``cost_basis_brl``
    converts each acquisition at its own FX rate (what the income tax uses).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(
        Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="positions"
    )
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.PROTECT, related_name="positions")
    quantity = quantity_field(_("quantidade"), default=ZERO)
    average_cost = price_field(_("preço médio"), default=ZERO)
    cost_basis = money_field(_("custo total"), default=ZERO)
    cost_basis_brl = money_field(_("custo total (BRL)"), default=ZERO)
    realized_pnl = money_field(_("resultado realizado"), default=ZERO)
    realized_pnl_brl = money_field(_("resultado realizado (BRL)"), default=ZERO)
    first_trade_date = models.DateTimeField(_("primeira operação"), null=True, blank=True)
    last_trade_date = models.DateTimeField(_("última operação"), null=True, blank=True)

    class Meta:
        verbose_name = _("posição")
        verbose_name_plural = _("posições")
        ordering = ["portfolio_id", "asset__ticker"]
        indexes = [
            models.Index(fields=["owner", "asset"], name="position_owner_asset"),
            models.Index(fields=["asset", "quantity"], name="position_asset_qty"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "broker", "asset"], name="position_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="position_quantity_not_negative"),
            models.CheckConstraint(condition=Q(average_cost__gte=0), name="position_average_not_negative"),
            models.CheckConstraint(condition=Q(cost_basis__gte=0), name="position_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.asset} @ {self.broker} ({self.portfolio})"

    @property
    def is_open(self):
        return self.quantity > 0

    @property
    def fraction_pending(self):
        """The fraction a grupamento/bonificação left, pending until its leilão de frações is recorded."""
        if not whole_units(asset_type=self.asset.asset_type, market=self.asset.market):
            return ZERO
        return self.quantity - int(self.quantity)


SOURCES = ("transaction", "event", "opening", "transfer", "fraction_sale")


def _one_source() -> Q:
    """Exactly one of the source foreign keys is set."""
    condition = Q()
    for name in SOURCES:
        one = Q(**{f"{name}__isnull": False})
        for other in SOURCES:
            if other != name:
                one &= Q(**{f"{other}__isnull": True})
        condition |= one
    return condition


class PositionEntry(models.Model):
    """One change of a position, in order: a trade, or a corporate event applied to it.

    The ledger behind :class:`Position`: each row keeps the position's state *after* the change,
    so the state at any moment is one indexed lookup (dividends use it for the quantity held on
    the data com) and a replay can start from the last row before the date it replays from.
    Rows sort by ``(at, order, ref_id)``: on the same instant events come before trades.
    Written only by ``portfolio.services.positions``.
    """

    # Same instant: opening balances, then events, then trades, custody transfers, leilões de frações.
    ORDER_OPENING = 0
    ORDER_EVENT = 1
    ORDER_TRADE = 2
    ORDER_TRANSFER = 3
    ORDER_FRACTION = 4

    position = models.ForeignKey(Position, verbose_name=_("posição"), on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("momento"))
    order = models.PositiveSmallIntegerField(_("ordem no instante"))
    ref_id = models.BigIntegerField(_("id da origem"))
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("transação"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        CorporateEvent, verbose_name=_("evento"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    opening = models.ForeignKey(
        "portfolio.OpeningPosition",
        verbose_name=_("saldo inicial"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    transfer = models.ForeignKey(
        "portfolio.CustodyTransfer",
        verbose_name=_("transferência de custódia"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    fraction_sale = models.ForeignKey(
        "portfolio.FractionSale",
        verbose_name=_("leilão de frações"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    quantity_delta = quantity_field(_("variação da quantidade"))
    cost_basis_delta = money_field(_("variação do custo"), default=ZERO)
    cost_basis_brl_delta = money_field(_("variação do custo (BRL)"), default=ZERO)
    realized_pnl_delta = money_field(_("resultado realizado na operação"), default=ZERO)
    realized_pnl_brl_delta = money_field(_("resultado realizado na operação (BRL)"), default=ZERO)
    quantity = quantity_field(_("quantidade após"))
    average_cost = price_field(_("preço médio após"))
    cost_basis = money_field(_("custo total após"))
    cost_basis_brl = money_field(_("custo total após (BRL)"))
    realized_pnl = money_field(_("resultado realizado acumulado"))
    realized_pnl_brl = money_field(_("resultado realizado acumulado (BRL)"))
    first_trade_date = models.DateTimeField(_("primeira operação"), null=True, blank=True)
    last_trade_date = models.DateTimeField(_("última operação"), null=True, blank=True)

    class Meta:
        verbose_name = _("lançamento de posição")
        verbose_name_plural = _("lançamentos de posição")
        ordering = ["position_id", "at", "order", "ref_id"]
        indexes = [models.Index(fields=["position", "at", "order", "ref_id"], name="entry_position_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "transaction"], condition=Q(transaction__isnull=False), name="entry_unique_tx"
            ),
            models.UniqueConstraint(
                fields=["position", "event"], condition=Q(event__isnull=False), name="entry_unique_event"
            ),
            models.UniqueConstraint(
                fields=["position", "transfer"], condition=Q(transfer__isnull=False), name="entry_unique_transfer"
            ),
            models.CheckConstraint(condition=_one_source(), name="entry_one_source"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="entry_quantity_not_negative"),
        ]

    def __str__(self):
        return f"{self.position} {self.at:%d/%m/%Y} {self.quantity_delta.normalize():+f}"

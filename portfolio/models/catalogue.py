"""Brokers, assets and portfolios: the catalogue the trades refer to."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, price_field

from ..choices import (
    DEFAULT_CLASS_BY_TYPE,
    AssetClass,
    AssetType,
    BrokerKind,
    Indexer,
    Market,
)
from .fields import currency_field, percent_field, ratio_field


class Broker(TimeStampedModel):
    """A broker (corretora) or crypto exchange. Its cash balance is derived from cash movements."""

    name = models.CharField(_("nome"), max_length=120, unique=True)
    kind = models.CharField(_("tipo"), max_length=12, choices=BrokerKind.choices, default=BrokerKind.CORRETORA)
    country = models.CharField(_("país (ISO-2)"), max_length=2, default="BR")
    default_currency = currency_field(_("moeda padrão (ISO-3)"))
    cnpj = models.CharField(_("CNPJ"), max_length=14, blank=True, help_text=_("Usado no informe do IR."))
    active = models.BooleanField(_("ativa"), default=True)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("corretora")
        verbose_name_plural = _("corretoras")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Asset(TimeStampedModel):
    """A security, fund, fixed-income title or crypto asset. Global: ADMIN edits, everyone reads."""

    ticker = models.CharField(_("ticker"), max_length=32)
    market = models.CharField(_("mercado"), max_length=6, choices=Market.choices, default=Market.BR)
    name = models.CharField(_("nome"), max_length=200, blank=True)
    asset_type = models.CharField(_("tipo"), max_length=16, choices=AssetType.choices, db_index=True)
    asset_class = models.CharField(_("classe"), max_length=16, choices=AssetClass.choices, db_index=True)
    currency = currency_field()
    sector = models.CharField(_("setor"), max_length=120, blank=True)
    isin = models.CharField(_("ISIN"), max_length=12, blank=True)
    cnpj = models.CharField(_("CNPJ do emissor/fundo"), max_length=14, blank=True)

    # Fundamentals, as published on ``fundamentals_as_of``. Percentages are numbers (6.5 = 6.5 %).
    dividend_yield = percent_field(_("dividend yield (%)"), null=True, blank=True)
    pe_ratio = ratio_field(_("P/L"), null=True, blank=True)
    pb_ratio = ratio_field(_("P/VP"), null=True, blank=True)
    roe = percent_field(_("ROE (%)"), null=True, blank=True)
    beta = ratio_field(_("beta"), null=True, blank=True)
    eps = price_field(_("LPA (lucro por ação)"), null=True, blank=True)
    bvps = price_field(_("VPA (valor patrimonial por ação)"), null=True, blank=True)
    dps = price_field(_("DPA (dividendos por ação, 12 meses)"), null=True, blank=True)
    fcf_per_share = price_field(_("FCL por ação"), null=True, blank=True)
    ffo_per_share = price_field(_("FFO por cota (FII)"), null=True, blank=True)
    affo_per_share = price_field(_("AFFO por cota (FII)"), null=True, blank=True)
    fundamentals_as_of = models.DateField(_("fundamentos em"), null=True, blank=True)

    # Fixed income.
    indexer = models.CharField(_("indexador"), max_length=10, choices=Indexer.choices, blank=True)
    rate = percent_field(_("taxa (% a.a. ou % do indexador)"), null=True, blank=True)
    face_value = price_field(_("valor de face"), null=True, blank=True)
    maturity_date = models.DateField(_("vencimento"), null=True, blank=True)

    delisted = models.BooleanField(_("deslistado"), default=False, db_index=True)
    delisted_at = models.DateField(_("deslistado em"), null=True, blank=True)
    active = models.BooleanField(_("ativo"), default=True)
    # Set when an import had to create the asset without being sure of its type (``outro``).
    needs_review = models.BooleanField(_("revisar cadastro"), default=False, db_index=True)
    review_note = models.CharField(_("motivo da revisão"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ativo")
        verbose_name_plural = _("ativos")
        ordering = ["ticker"]
        constraints = [
            models.UniqueConstraint(fields=["ticker", "market"], name="asset_ticker_market_unique"),
            models.CheckConstraint(
                condition=Q(delisted=False) | Q(delisted_at__isnull=False), name="asset_delisted_has_date"
            ),
        ]

    def __str__(self):
        return self.ticker if self.market == Market.BR else f"{self.ticker} ({self.market})"

    def save(self, *args, **kwargs):
        self.ticker = self.ticker.strip().upper()
        self.currency = self.currency.upper()
        if not self.asset_class and self.asset_type:
            self.asset_class = DEFAULT_CLASS_BY_TYPE[AssetType(self.asset_type)]
        super().save(*args, **kwargs)


class Portfolio(TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="portfolios"
    )
    name = models.CharField(_("nome"), max_length=120)
    description = models.TextField(_("descrição"), blank=True)
    goal = models.CharField(_("objetivo"), max_length=200, blank=True)
    target_allocation = models.JSONField(
        _("alocação-alvo por classe (%)"),
        default=dict,
        blank=True,
        help_text=_('Ex.: {"renda_variavel": 60, "renda_fixa": 40}'),
    )
    active = models.BooleanField(_("ativa"), default=True)

    class Meta:
        verbose_name = _("carteira")
        verbose_name_plural = _("carteiras")
        ordering = ["owner_id", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="portfolio_owner_name_unique")]

    def __str__(self):
        return self.name

"""Market data: the latest quote per asset, daily price bars and FX rates.

Written only by ``quotes.services`` (the provider chain and backfills); read by the
portfolio valuation through ``portfolio.market_data`` (implemented in ``quotes.market_data``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import price_field
from portfolio.models import Asset

from .choices import AnomalyKind, AnomalyStatus, IndicatorSeries, Operation, Outcome


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
    close = price_field(
        _("fechamento (sem ajuste)"),
        help_text=_("O preço negociado naquele dia: a base das quantidades do livro de posições daquela data."),
    )
    adjusted_close = price_field(
        _("fechamento ajustado"),
        null=True,
        blank=True,
        help_text=_("Como o provedor o envia (ajustado por desdobramentos e, em alguns, proventos)."),
    )
    split_factor = models.DecimalField(
        _("fator de desdobramento aplicado"),
        max_digits=24,
        decimal_places=12,
        default=1,
        help_text=_(
            "fechamento sem ajuste = fechamento do provedor × fator (eventos entre a data e a data-base); "
            "1 para provedores que enviam o preço negociado."
        ),
    )
    basis_date = models.DateField(
        _("data-base do ajuste do provedor"),
        null=True,
        blank=True,
        help_text=_("Até quando o provedor já tinha ajustado o fechamento; vazio: fechamento sem ajuste."),
    )
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


class Provider(models.Model):
    """A quote provider as the operator sees it: an on/off switch and notes.

    Live state (circuit, rate-limit use) lives in Redis/the process and is shown next to
    it in the admin; a missing row means "enabled".
    """

    name = models.CharField(_("nome"), max_length=32, unique=True)
    enabled = models.BooleanField(
        _("ativo"), default=True, help_text=_("Desative para pular o provedor em todas as cadeias.")
    )
    notes = models.TextField(_("observações"), blank=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("provedor de cotações")
        verbose_name_plural = _("provedores de cotações")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProviderAttempt(models.Model):
    """One call (or skipped call) to a provider, with why it was skipped or failed.

    Kept short by ``quotes.cleanup_provider_attempts``.
    """

    provider = models.CharField(_("provedor"), max_length=32, db_index=True)
    operation = models.CharField(_("operação"), max_length=12, choices=Operation.choices)
    market = models.CharField(_("mercado"), max_length=8, blank=True)
    symbols = models.TextField(_("símbolos"), blank=True, help_text=_("Separados por vírgula."))
    symbol_count = models.PositiveIntegerField(_("símbolos pedidos"), default=0)
    ok_count = models.PositiveIntegerField(_("símbolos obtidos"), default=0)
    outcome = models.CharField(_("resultado"), max_length=24, choices=Outcome.choices, db_index=True)
    http_status = models.PositiveSmallIntegerField(_("status HTTP"), null=True, blank=True)
    detail = models.TextField(_("detalhe"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duração (ms)"), default=0)
    created_at = models.DateTimeField(_("em"), db_index=True)

    class Meta:
        verbose_name = _("tentativa de provedor")
        verbose_name_plural = _("tentativas de provedores")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "-created_at"], name="attempt_provider_recent")]

    def __str__(self):
        return f"{self.provider} {self.get_operation_display()} {self.get_outcome_display()}"


class PriceAnomaly(models.Model):
    """A price that moved ≥ the threshold against the previous close with no corporate event nearby.

    It is held here, not written to ``Quote``/``PriceBar``, until an operator approves it.
    """

    asset = models.ForeignKey(
        "portfolio.Asset", verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="price_anomalies"
    )
    kind = models.CharField(_("origem"), max_length=8, choices=AnomalyKind.choices)
    date = models.DateField(_("data"))
    reference_close = price_field(_("fechamento de referência"))
    reference_date = models.DateField(_("data da referência"), null=True, blank=True)
    price = price_field(_("preço recebido"))
    change_percent = models.DecimalField(_("variação (%)"), max_digits=12, decimal_places=4)
    source = models.CharField(_("fonte"), max_length=32)
    payload = models.JSONField(_("dados recebidos"), default=dict, blank=True)
    status = models.CharField(
        _("situação"), max_length=10, choices=AnomalyStatus.choices, default=AnomalyStatus.PENDING, db_index=True
    )
    detected_at = models.DateTimeField(_("detectada em"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revisada por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("revisada em"), null=True, blank=True)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("anomalia de preço")
        verbose_name_plural = _("anomalias de preço")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind", "date"],
                condition=Q(status="pending"),
                name="anomaly_one_pending_per_asset_day",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="anomaly_price_positive"),
        ]

    def __str__(self):
        return f"{self.asset} {self.date:%d/%m/%Y} {self.change_percent:+.2f}%"


class MacroParameters(models.Model):
    """Inputs of the ceiling-price methods for one market. Percentages as numbers (6 = 6 %)."""

    market = models.CharField(_("mercado"), max_length=6, unique=True)
    risk_free_rate = models.DecimalField(_("taxa livre de risco (% a.a.)"), max_digits=8, decimal_places=4)
    cost_of_capital = models.DecimalField(_("custo de capital próprio k (% a.a.)"), max_digits=8, decimal_places=4)
    growth_rate = models.DecimalField(
        _("crescimento g (% a.a.)"), max_digits=8, decimal_places=4, help_text=_("Gordon e DCF (anos 1–N).")
    )
    terminal_growth_rate = models.DecimalField(
        _("crescimento na perpetuidade (% a.a.)"), max_digits=8, decimal_places=4
    )
    bazin_yield = models.DecimalField(_("dividend yield exigido (Bazin, %)"), max_digits=8, decimal_places=4)
    fii_cap_rate = models.DecimalField(_("cap rate de FII/REIT (%)"), max_digits=8, decimal_places=4)
    dcf_years = models.PositiveSmallIntegerField(_("anos do DCF"), default=5)
    notes = models.TextField(_("fonte / observações"), blank=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("parâmetros macro")
        verbose_name_plural = _("parâmetros macro")
        ordering = ["market"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_of_capital__gt=F("growth_rate")), name="macro_k_gt_g"),
            models.CheckConstraint(
                condition=Q(cost_of_capital__gt=F("terminal_growth_rate")), name="macro_k_gt_terminal_g"
            ),
            models.CheckConstraint(condition=Q(bazin_yield__gt=0), name="macro_bazin_yield_positive"),
            models.CheckConstraint(condition=Q(fii_cap_rate__gt=0), name="macro_cap_rate_positive"),
            models.CheckConstraint(condition=Q(dcf_years__gte=1) & Q(dcf_years__lte=30), name="macro_dcf_years"),
        ]

    def __str__(self):
        return str(self.market)


class IndicatorRate(models.Model):
    """One published value of a Banco Central series (CDI, Selic, IPCA), as a percentage."""

    series = models.CharField(_("série"), max_length=12, choices=IndicatorSeries.choices)
    date = models.DateField(_("data"))
    value = models.DecimalField(_("valor (%)"), max_digits=14, decimal_places=8)
    source = models.CharField(_("fonte"), max_length=32, blank=True)
    fetched_at = models.DateTimeField(_("obtida em"), auto_now=True)

    class Meta:
        verbose_name = _("indicador econômico")
        verbose_name_plural = _("indicadores econômicos")
        ordering = ["series", "-date"]
        constraints = [models.UniqueConstraint(fields=["series", "date"], name="indicator_series_date_unique")]

    def __str__(self):
        return f"{self.series} {self.date:%d/%m/%Y} {self.value.normalize():f}%"


class WatchlistItem(models.Model):
    """An asset a user follows for the buy-signal ranking."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="watchlist_items"
    )
    asset = models.ForeignKey("portfolio.Asset", verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("item da lista de acompanhamento")
        verbose_name_plural = _("lista de acompanhamento")
        ordering = ["owner_id", "asset__ticker"]
        constraints = [models.UniqueConstraint(fields=["owner", "asset"], name="watchlist_owner_asset_unique")]

    def __str__(self):
        return f"{self.owner} → {self.asset}"


class QuotedAsset(Asset):
    """The portfolio's ``Asset`` seen from the quotes admin: quote, history chart, refresh actions."""

    class Meta:
        proxy = True
        verbose_name = _("histórico por ativo")
        verbose_name_plural = _("histórico por ativo")

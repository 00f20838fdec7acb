"""Investment data: brokers, assets, portfolios, trades, positions, events, dividends, cash.

Positions are *derived* from transactions and corporate events and kept incrementally
by ``portfolio.services``; nothing else writes them. Money, prices and quantities are
``Decimal`` with the project-wide precision (``exitus.models``).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from .choices import (
    CASH_INFLOW_KINDS,
    CASH_OUTFLOW_KINDS,
    DEFAULT_CLASS_BY_TYPE,
    AssetClass,
    AssetType,
    BrokerKind,
    CashKind,
    CorporateEventKind,
    DividendKind,
    Indexer,
    Market,
    TransactionKind,
)

ZERO = Decimal("0")
HALF_CENT = Decimal("0.005")


def percent_field(verbose_name, **kwargs):
    """A percentage as a number (``6.5`` means 6.5 %), never a fraction."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 4)
    return models.DecimalField(verbose_name, **kwargs)


def ratio_field(verbose_name, **kwargs):
    """A multiple such as P/L or beta."""
    kwargs.setdefault("max_digits", 16)
    kwargs.setdefault("decimal_places", 6)
    return models.DecimalField(verbose_name, **kwargs)


def currency_field(verbose_name=None, **kwargs):
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("default", "BRL")
    return models.CharField(verbose_name or _("moeda"), **kwargs)


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
        ]

    def __str__(self):
        return f"{self.asset} {self.get_kind_display()} {self.event_date:%d/%m/%Y}"

    @property
    def ratio(self):
        if self.ratio_from is None or self.ratio_to is None:
            return ""
        return f"{self.ratio_from.normalize():f}:{self.ratio_to.normalize():f}"


class PositionEntry(models.Model):
    """One change of a position, in order: a trade, or a corporate event applied to it.

    The ledger behind :class:`Position`: each row keeps the position's state *after* the change,
    so the state at any moment is one indexed lookup (dividends use it for the quantity held on
    the data com) and a replay can start from the last row before the date it replays from.
    Rows sort by ``(at, order, ref_id)``: on the same instant events come before trades.
    Written only by ``portfolio.services.positions``.
    """

    ORDER_EVENT = 0
    ORDER_TRADE = 1

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
            models.CheckConstraint(
                condition=(Q(transaction__isnull=False) & Q(event__isnull=True))
                | (Q(transaction__isnull=True) & Q(event__isnull=False)),
                name="entry_one_source",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="entry_quantity_not_negative"),
        ]

    def __str__(self):
        return f"{self.position} {self.at:%d/%m/%Y} {self.quantity_delta.normalize():+f}"


class Dividend(TimeStampedModel):
    """A provento announced by the issuer, per share. What each holder receives is a ``DividendReceipt``."""

    asset = models.ForeignKey(Asset, verbose_name=_("ativo"), on_delete=models.CASCADE, related_name="dividends")
    kind = models.CharField(_("tipo"), max_length=24, choices=DividendKind.choices)
    value_per_share = price_field(_("valor por ação"))
    data_com = models.DateField(_("data com"))
    payment_date = models.DateField(_("data de pagamento"), null=True, blank=True)
    withholding_rate = percent_field(_("alíquota retida (%)"), default=ZERO)
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
                condition=Q(withholding_rate__gte=0) & Q(withholding_rate__lte=100), name="dividend_rate_range"
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
    fx_rate = price_field(_("câmbio para BRL"), default=Decimal("1"))
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


from .analytics.models import MonthlyAssessment, PatrimonySnapshot, PortfolioEvolution, TaxRule  # noqa: E402, F401

"""Input and output shapes of the portfolio API. Rules live in the services, not here."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exitus.api.fields import DateTimeField

from .. import importers
from ..choices import CashKind, TransactionKind
from ..filters import visible_portfolios
from ..models import (
    Asset,
    Broker,
    CashMovement,
    CorporateEvent,
    CustodyTransfer,
    Dividend,
    DividendReceipt,
    FractionSale,
    OpeningPosition,
    Portfolio,
    Position,
    Transaction,
)


def money(**kwargs):
    return serializers.DecimalField(
        max_digits=settings.MONEY_MAX_DIGITS, decimal_places=settings.MONEY_DECIMAL_PLACES, **kwargs
    )


def price(**kwargs):
    return serializers.DecimalField(
        max_digits=settings.PRICE_MAX_DIGITS, decimal_places=settings.PRICE_DECIMAL_PLACES, **kwargs
    )


def quantity(**kwargs):
    return serializers.DecimalField(
        max_digits=settings.QUANTITY_MAX_DIGITS, decimal_places=settings.QUANTITY_DECIMAL_PLACES, **kwargs
    )


@extend_schema_field(OpenApiTypes.INT)
class VisiblePortfolioField(serializers.PrimaryKeyRelatedField):
    """A portfolio id the requesting user may use: someone else's reads exactly like one that does not exist."""

    def get_queryset(self):
        return visible_portfolios(self.context.get("request"))


# --- summaries embedded in other objects -------------------------------------------------


class BrokerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Broker
        fields = ["id", "name", "country", "default_currency"]
        read_only_fields = fields


class AssetSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["id", "ticker", "name", "asset_type", "asset_class", "market", "currency", "delisted"]
        read_only_fields = fields


class PortfolioSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Portfolio
        fields = ["id", "name"]
        read_only_fields = fields


# --- catalogues ----------------------------------------------------------------------------


class BrokerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Broker
        fields = ["id", "name", "kind", "country", "default_currency", "cnpj", "active", "notes", "created_at"]
        read_only_fields = ["id", "created_at"]


class AssetSerializer(serializers.ModelSerializer):
    asset_class = serializers.ChoiceField(
        choices=Asset._meta.get_field("asset_class").choices,
        required=False,
        help_text=_("Padrão: a classe do tipo."),
    )

    class Meta:
        model = Asset
        fields = [
            "id",
            "ticker",
            "market",
            "name",
            "asset_type",
            "asset_class",
            "currency",
            "sector",
            "isin",
            "cnpj",
            "dividend_yield",
            "pe_ratio",
            "pb_ratio",
            "roe",
            "beta",
            "eps",
            "bvps",
            "dps",
            "fcf_per_share",
            "ffo_per_share",
            "affo_per_share",
            "fundamentals_as_of",
            "indexer",
            "rate",
            "face_value",
            "maturity_date",
            "delisted",
            "delisted_at",
            "active",
            "needs_review",
            "review_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # uniqueness is the service's (field-level message), not a generic one


class RatioMixin(serializers.Serializer):
    ratio = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_('Proporção "a:b" (alternativa a ratio_from/ratio_to). Ex.: "1:2" desdobra em dobro.'),
    )

    def validate_ratio(self, value):
        if not value:
            return None
        try:
            left, right = (Decimal(part.strip().replace(",", ".")) for part in value.split(":"))
        except (ValueError, InvalidOperation) as exc:
            raise serializers.ValidationError(_('Use o formato "a:b", ex.: "1:2".')) from exc
        if left <= 0 or right <= 0:
            raise serializers.ValidationError(_("Os dois lados da proporção devem ser maiores que zero."))
        return left, right

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        ratio = values.pop("ratio", None)
        if ratio:
            values["ratio_from"], values["ratio_to"] = ratio
        return values


class CorporateEventSerializer(RatioMixin, serializers.ModelSerializer):
    asset_detail = AssetSummarySerializer(source="asset", read_only=True)
    new_asset_detail = AssetSummarySerializer(source="new_asset", read_only=True, allow_null=True)

    class Meta:
        model = CorporateEvent
        fields = [
            "id",
            "asset",
            "asset_detail",
            "kind",
            "event_date",
            "data_com",
            "ratio",
            "ratio_from",
            "ratio_to",
            "assigned_cost",
            "new_asset",
            "new_asset_detail",
            "notes",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["ratio"] = instance.ratio
        return data


class DividendSerializer(serializers.ModelSerializer):
    asset_detail = AssetSummarySerializer(source="asset", read_only=True)
    currency = serializers.CharField(max_length=3, required=False, help_text=_("Padrão: a moeda do ativo."))
    receipts_count = serializers.SerializerMethodField()

    class Meta:
        model = Dividend
        fields = [
            "id",
            "asset",
            "asset_detail",
            "kind",
            "value_per_share",
            "data_com",
            "payment_date",
            "withholding_rate",
            "currency",
            "notes",
            "receipts_count",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators = []

    @extend_schema_field(serializers.IntegerField())
    def get_receipts_count(self, obj):
        count = getattr(obj, "receipts_count", None)
        return count if count is not None else obj.receipts.count()


# --- investor data ------------------------------------------------------------------------


class PortfolioSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Portfolio
        fields = [
            "id",
            "owner",
            "name",
            "description",
            "goal",
            "target_allocation",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]
        validators = []


class TransactionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    portfolio_detail = PortfolioSummarySerializer(source="portfolio", read_only=True)
    broker_detail = BrokerSummarySerializer(source="broker", read_only=True)
    asset_detail = AssetSummarySerializer(source="asset", read_only=True)
    warnings = serializers.SerializerMethodField(help_text=_("Avisos que não impedem o registro (ex.: feriado)."))

    class Meta:
        model = Transaction
        fields = [
            "id",
            "owner",
            "portfolio",
            "portfolio_detail",
            "broker",
            "broker_detail",
            "asset",
            "asset_detail",
            "kind",
            "trade_date",
            "quantity",
            "unit_price",
            "brokerage_fee",
            "settlement_fee",
            "emoluments",
            "other_costs",
            "withheld_tax",
            "currency",
            "fx_rate",
            "gross_amount",
            "total_costs",
            "net_amount",
            "notes",
            "import_hash",
            "source_file",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, obj):
        return list(getattr(obj, "warnings", []))


class TransactionWriteSerializer(serializers.Serializer):
    """A trade as typed. Dates may be a date (``2025-03-10``: the start of that day) or a datetime."""

    portfolio = VisiblePortfolioField()
    broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all())
    kind = serializers.ChoiceField(choices=TransactionKind.choices)
    trade_date = DateTimeField(
        input_formats=["iso-8601", "%Y-%m-%d"], help_text=_("Data/hora do negócio; uma data sozinha vale 00:00.")
    )
    quantity = quantity()
    unit_price = price()
    brokerage_fee = money(required=False, default=Decimal("0"))
    settlement_fee = money(required=False, default=Decimal("0"))
    emoluments = money(required=False, default=Decimal("0"))
    other_costs = money(required=False, default=Decimal("0"))
    withheld_tax = money(required=False, default=Decimal("0"))
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    fx_rate = price(required=False, allow_null=True, default=None, help_text=_("Padrão: 1 em BRL, PTAX do dia."))
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class AllOptionalMixin:
    """Every field optional and without defaults (PUT included): send only what changes."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            if field.default is not serializers.empty:
                field.default = serializers.empty
        return fields


class TransactionUpdateSerializer(AllOptionalMixin, TransactionWriteSerializer):
    """Every field optional (PUT included): send only what changes."""


class PositionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    portfolio = PortfolioSummarySerializer(read_only=True)
    broker = BrokerSummarySerializer(read_only=True)
    asset = AssetSummarySerializer(read_only=True)
    price = serializers.SerializerMethodField(help_text=_("Última cotação (moeda da cotação); nulo sem cotação."))
    market_value = serializers.SerializerMethodField(help_text=_("Quantidade × cotação (ou custo, sem cotação)."))
    unrealized_pnl = serializers.SerializerMethodField()
    priced = serializers.SerializerMethodField()
    view = serializers.SerializerMethodField(
        help_text=_(
            "'custodia': posição numa corretora e carteira (a custódia). O preço médio do IR é por CPF: "
            "positions/consolidated/."
        )
    )
    fraction_pending = serializers.DecimalField(
        max_digits=28,
        decimal_places=10,
        read_only=True,
        help_text=_("Fração deixada por grupamento/bonificação, pendente até o leilão de frações."),
    )

    class Meta:
        model = Position
        fields = [
            "id",
            "view",
            "fraction_pending",
            "owner",
            "portfolio",
            "broker",
            "asset",
            "quantity",
            "average_cost",
            "cost_basis",
            "cost_basis_brl",
            "realized_pnl",
            "realized_pnl_brl",
            "first_trade_date",
            "last_trade_date",
            "price",
            "market_value",
            "unrealized_pnl",
            "priced",
        ]
        read_only_fields = fields

    def get_view(self, obj) -> str:
        return "custodia"

    def _quote(self, obj):
        return self.context.get("quotes", {}).get(obj.asset_id)

    @extend_schema_field(serializers.DecimalField(max_digits=24, decimal_places=8, allow_null=True))
    def get_price(self, obj):
        quote = self._quote(obj)
        return str(quote.price) if quote else None

    def _value(self, obj):
        quote = self._quote(obj)
        value = obj.quantity * quote.price if quote else obj.cost_basis
        return value.quantize(Decimal("0.01"))

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=2))
    def get_market_value(self, obj):
        return str(self._value(obj))

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=2))
    def get_unrealized_pnl(self, obj):
        return str(self._value(obj) - obj.cost_basis)

    @extend_schema_field(serializers.BooleanField())
    def get_priced(self, obj):
        return self._quote(obj) is not None


class CustodyQuantitySerializer(serializers.Serializer):
    broker_id = serializers.IntegerField()
    broker = serializers.CharField()
    quantity = quantity()


class ConsolidatedPositionSerializer(serializers.Serializer):
    """Per owner × asset at the Receita's preço médio (per CPF): the figures the tax engine uses."""

    view = serializers.SerializerMethodField(help_text=_("'contribuinte': preço médio por CPF (o do IR)."))
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    market = serializers.CharField()
    currency = serializers.CharField()
    category = serializers.CharField(help_text=_("Categoria fiscal (portfolio.tax.engine.category_of)."))
    quantity = quantity()
    average_cost = serializers.DecimalField(max_digits=24, decimal_places=8)
    average_cost_brl = serializers.DecimalField(max_digits=24, decimal_places=8)
    cost_basis = money()
    cost_basis_brl = money()
    realized_pnl_brl = money(help_text=_("Resultado realizado em BRL: vendas comuns, day trades e leilões."))
    first_trade_date = DateTimeField(allow_null=True)
    last_trade_date = DateTimeField(allow_null=True)
    custody = CustodyQuantitySerializer(many=True, help_text=_("Quantidade em custódia em cada corretora."))

    def get_view(self, row) -> str:
        return "contribuinte"


class LedgerSaleSerializer(serializers.Serializer):
    date = serializers.DateField()
    ticker = serializers.CharField()
    broker = serializers.CharField()
    category = serializers.CharField()
    day_trade = serializers.BooleanField()
    kind = serializers.CharField()
    quantity = quantity()
    sale_value = money()
    fees = money()
    net_value = money()
    average_cost = serializers.DecimalField(max_digits=24, decimal_places=8)
    cost = money()
    result = money()
    withheld = money()
    refs = serializers.ListField(child=serializers.IntegerField())


class LedgerEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text=_(
            "saldo_inicial, compra, venda, amortizacao, day_trade, split, grupamento, bonificacao, "
            "mudanca_ticker, mudanca_ticker_entrada, transferencia, leilao_fracoes"
        )
    )
    date = serializers.DateField()
    at = DateTimeField(allow_null=True)
    ticker = serializers.CharField()
    broker = serializers.CharField(allow_blank=True)
    refs = serializers.ListField(child=serializers.IntegerField(), help_text=_("Ids de origem (operações, evento...)."))
    quantity_delta = quantity()
    cost_basis_brl_delta = money()
    realized_pnl_brl_delta = money()
    quantity = quantity()
    average_cost = serializers.DecimalField(max_digits=24, decimal_places=8)
    cost_basis = money()
    cost_basis_brl = money()
    realized_pnl_brl = money()
    sale = LedgerSaleSerializer(allow_null=True)


class ConsolidatedLedgerSerializer(serializers.Serializer):
    position = ConsolidatedPositionSerializer()
    entries = LedgerEntrySerializer(many=True)


class DividendBriefSerializer(serializers.ModelSerializer):
    asset = AssetSummarySerializer(read_only=True)

    class Meta:
        model = Dividend
        fields = ["id", "asset", "kind", "value_per_share", "data_com", "payment_date", "withholding_rate", "currency"]
        read_only_fields = fields


class DividendReceiptSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    dividend = DividendBriefSerializer(read_only=True)
    portfolio = PortfolioSummarySerializer(source="position.portfolio", read_only=True)
    broker = BrokerSummarySerializer(source="position.broker", read_only=True)
    net_amount_brl = serializers.SerializerMethodField()

    class Meta:
        model = DividendReceipt
        fields = [
            "id",
            "owner",
            "dividend",
            "position",
            "portfolio",
            "broker",
            "quantity",
            "gross_amount",
            "tax_amount",
            "net_amount",
            "fx_rate",
            "net_amount_brl",
            "paid",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=2))
    def get_net_amount_brl(self, obj):
        return str((obj.net_amount * obj.fx_rate).quantize(Decimal("0.01")))


class CashMovementSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    broker_detail = BrokerSummarySerializer(source="broker", read_only=True)

    class Meta:
        model = CashMovement
        fields = [
            "id",
            "owner",
            "broker",
            "broker_detail",
            "destination_broker",
            "portfolio",
            "kind",
            "amount",
            "currency",
            "date",
            "description",
            "transaction",
            "dividend_receipt",
            "created_at",
        ]
        read_only_fields = fields


class CashMovementWriteSerializer(serializers.Serializer):
    """Deposits, withdrawals, transfers, fees, taxes, adjustments. Amounts are positive except ``ajuste``."""

    broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    destination_broker = serializers.PrimaryKeyRelatedField(
        queryset=Broker.objects.all(), required=False, allow_null=True, default=None
    )
    portfolio = VisiblePortfolioField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=list(CashKind.choices))
    amount = money()
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    date = DateTimeField(input_formats=["iso-8601", "%Y-%m-%d"], required=False, default=None)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CashMovementUpdateSerializer(AllOptionalMixin, CashMovementWriteSerializer):
    """Every field optional (PUT included): send only what changes."""


class BalanceSerializer(serializers.Serializer):
    broker = serializers.IntegerField(source="broker_id")
    currency = serializers.CharField()
    balance = money()


# --- dashboard (output only; the dict is built by portfolio.selectors) ----------------------


class AllocationSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = money()
    weight = serializers.DecimalField(max_digits=7, decimal_places=2, help_text=_("% do valor total"))


class DashboardTotalsSerializer(serializers.Serializer):
    market_value = money()
    cost = money()
    unrealized_pnl = money()
    unrealized_pnl_pct = serializers.DecimalField(max_digits=12, decimal_places=2)
    realized_pnl = money()
    dividends_12m = money()
    positions = serializers.IntegerField()
    assets = serializers.IntegerField()


class DashboardAllocationSerializer(serializers.Serializer):
    by_class = AllocationSerializer(many=True)
    by_type = AllocationSerializer(many=True)
    by_market = AllocationSerializer(many=True)
    by_currency = AllocationSerializer(many=True)
    by_broker = AllocationSerializer(many=True)


class TopPositionSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    asset_class = serializers.CharField()
    currency = serializers.CharField()
    quantity = quantity()
    average_cost = price()
    price = price(allow_null=True)
    market_value = money()
    cost = money()
    unrealized_pnl = money()
    weight = serializers.DecimalField(max_digits=7, decimal_places=2)
    priced = serializers.BooleanField(help_text=_("Falso: sem cotação, avaliado pelo custo médio."))
    delisted = serializers.BooleanField()
    quote_age_seconds = serializers.IntegerField(allow_null=True)


class QuoteFreshnessSerializer(serializers.Serializer):
    priced = serializers.IntegerField()
    unpriced = serializers.IntegerField()
    unpriced_tickers = serializers.ListField(child=serializers.CharField())
    oldest = serializers.DateTimeField(allow_null=True)
    newest = serializers.DateTimeField(allow_null=True)
    oldest_age_seconds = serializers.IntegerField(allow_null=True)
    newest_age_seconds = serializers.IntegerField(allow_null=True)


class TargetAllocationSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    target_pct = serializers.DecimalField(max_digits=7, decimal_places=2)
    actual_pct = serializers.DecimalField(max_digits=7, decimal_places=2)
    difference_pct = serializers.DecimalField(max_digits=7, decimal_places=2)


class DashboardScopeSerializer(serializers.Serializer):
    owner = serializers.IntegerField()
    portfolio = serializers.IntegerField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    scope = DashboardScopeSerializer()
    currency = serializers.CharField()
    generated_at = serializers.DateTimeField()
    totals = DashboardTotalsSerializer()
    allocation = DashboardAllocationSerializer()
    top_positions = TopPositionSerializer(many=True)
    quotes = QuoteFreshnessSerializer()
    fx = serializers.DictField(child=serializers.CharField(), help_text=_("Câmbio usado (BRL por unidade)."))
    missing_fx = serializers.ListField(child=serializers.CharField())
    target_allocation = TargetAllocationSerializer(many=True)


# --- import --------------------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    portfolio = VisiblePortfolioField()
    source = serializers.ChoiceField(
        choices=importers.SOURCE_CHOICES,
        default="auto",
    )
    broker = serializers.PrimaryKeyRelatedField(
        queryset=Broker.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Corretora das linhas que não dizem a sua."),
    )
    dry_run = serializers.BooleanField(default=True, help_text=_("Só pré-visualizar (padrão). False importa."))
    fill_b3_fees = serializers.BooleanField(
        default=False, help_text=_("Preencher emolumentos e taxa de liquidação da B3 quando ausentes.")
    )


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["new", "duplicate", "ignored", "error"])
    kind = serializers.CharField(allow_blank=True)
    ticker = serializers.CharField(allow_blank=True)
    trade_date = serializers.CharField(allow_blank=True)
    quantity = serializers.CharField(allow_blank=True)
    unit_price = serializers.CharField(allow_blank=True)
    broker = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportNewAssetSerializer(serializers.Serializer):
    ticker = serializers.CharField()
    market = serializers.CharField()
    asset_type = serializers.CharField()
    reason = serializers.CharField()
    needs_review = serializers.BooleanField()


class ImportResultSerializer(serializers.Serializer):
    source = serializers.CharField()
    dry_run = serializers.BooleanField()
    file_name = serializers.CharField()
    summary = serializers.DictField(child=serializers.IntegerField())
    new_assets = ImportNewAssetSerializer(many=True)
    new_brokers = serializers.ListField(child=serializers.CharField())
    errors = ImportErrorSerializer(many=True)
    rows = ImportRowSerializer(many=True)


# --- opening balances, custody transfers, leilões de frações ------------------------------------


class OpeningPositionSerializer(serializers.ModelSerializer):
    portfolio = PortfolioSummarySerializer(read_only=True)
    broker = BrokerSummarySerializer(read_only=True)
    asset = AssetSummarySerializer(read_only=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = OpeningPosition
        fields = [
            "id",
            "owner",
            "portfolio",
            "broker",
            "asset",
            "as_of",
            "quantity",
            "average_cost",
            "cost_basis",
            "cost_basis_brl",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OpeningPositionWriteSerializer(serializers.Serializer):
    """A position brought from elsewhere: quantity and average cost as of a date (no fake trades)."""

    portfolio = VisiblePortfolioField()
    broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all())
    as_of = serializers.DateField()
    quantity = quantity()
    average_cost = serializers.DecimalField(max_digits=24, decimal_places=8, min_value=Decimal(0))
    cost_basis_brl = money(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Custo total em reais: obrigatório para ativo em moeda estrangeira."),
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class OpeningPositionUpdateSerializer(AllOptionalMixin, OpeningPositionWriteSerializer):
    """Every field optional (PUT included): send only what changes."""


class CustodyTransferSerializer(serializers.ModelSerializer):
    portfolio = PortfolioSummarySerializer(read_only=True)
    from_broker = BrokerSummarySerializer(read_only=True)
    to_broker = BrokerSummarySerializer(read_only=True)
    asset = AssetSummarySerializer(read_only=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    date = DateTimeField(read_only=True)

    class Meta:
        model = CustodyTransfer
        fields = [
            "id",
            "owner",
            "portfolio",
            "asset",
            "from_broker",
            "to_broker",
            "date",
            "quantity",
            "notes",
            "source_file",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustodyTransferWriteSerializer(serializers.Serializer):
    """Shares moved between brokers (portabilidade): neither a sale nor a purchase."""

    portfolio = VisiblePortfolioField()
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all())
    from_broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    to_broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    date = DateTimeField(input_formats=["iso-8601", "%Y-%m-%d"])
    quantity = quantity()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CustodyTransferUpdateSerializer(AllOptionalMixin, CustodyTransferWriteSerializer):
    """Every field optional (PUT included): send only what changes."""


class FractionSaleSerializer(serializers.ModelSerializer):
    portfolio = PortfolioSummarySerializer(read_only=True)
    broker = BrokerSummarySerializer(read_only=True)
    asset = AssetSummarySerializer(read_only=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    date = DateTimeField(read_only=True)

    class Meta:
        model = FractionSale
        fields = [
            "id",
            "owner",
            "portfolio",
            "broker",
            "asset",
            "event",
            "date",
            "quantity",
            "amount",
            "currency",
            "fx_rate",
            "fx_source",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class FractionSaleWriteSerializer(serializers.Serializer):
    """The cash of a leilão de frações: the pending fraction leaves like a sale."""

    portfolio = VisiblePortfolioField()
    broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all())
    date = DateTimeField(input_formats=["iso-8601", "%Y-%m-%d"])
    amount = money(min_value=Decimal(0))
    quantity = serializers.DecimalField(
        max_digits=28,
        decimal_places=10,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A fração pendente; vazio: a que a posição tem na data."),
    )
    fx_rate = serializers.DecimalField(
        max_digits=24, decimal_places=8, required=False, allow_null=True, default=None, min_value=Decimal("0.00000001")
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")

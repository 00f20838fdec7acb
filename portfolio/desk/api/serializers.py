"""Input and output shapes of the desk API. Rules live in ``portfolio.desk.services``."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from exitus.api.fields import DateTimeField

from ...api.serializers import (
    AllOptionalMixin,
    AssetSummarySerializer,
    BrokerSummarySerializer,
    PortfolioSummarySerializer,
    VisiblePortfolioField,
    money,
    price,
)
from ...models import Asset, Broker
from ..choices import AlertKind, ReconciliationKind
from ..models import (
    Alert,
    BrokerageNote,
    BrokerageNoteTrade,
    Notification,
    Reconciliation,
    ReconciliationLine,
)

# --- reconciliation ---------------------------------------------------------------------------


class ReconciliationLineSerializer(serializers.ModelSerializer):
    broker = BrokerSummarySerializer(read_only=True, allow_null=True)
    asset = AssetSummarySerializer(read_only=True, allow_null=True)
    ledger_url = serializers.SerializerMethodField(help_text=_("A explicação da posição consolidada deste ativo."))

    class Meta:
        model = ReconciliationLine
        fields = [
            "id",
            "broker",
            "institution",
            "asset",
            "ticker",
            "product",
            "currency",
            "statement",
            "books",
            "difference",
            "status",
            "cause",
            "cause_detail",
            "ledger_url",
        ]
        read_only_fields = fields

    def get_ledger_url(self, line) -> str | None:
        if line.asset_id is None:
            return None
        return reverse("v1:position-ledger", kwargs={"asset_id": line.asset_id})


class ReconciliationSerializer(serializers.ModelSerializer):
    portfolio = PortfolioSummarySerializer(read_only=True, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    open_issues = serializers.IntegerField(read_only=True)
    last_run_at = DateTimeField(read_only=True)

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "owner",
            "portfolio",
            "kind",
            "source",
            "as_of",
            "file_name",
            "matches",
            "differences",
            "only_statement",
            "only_books",
            "open_issues",
            "problems",
            "runs",
            "last_run_at",
            "created_at",
        ]
        read_only_fields = fields


class ReconciliationDetailSerializer(ReconciliationSerializer):
    issues = serializers.SerializerMethodField(help_text=_("As linhas que não conferem (todas estão em lines/)."))

    class Meta(ReconciliationSerializer.Meta):
        fields = [*ReconciliationSerializer.Meta.fields, "issues"]
        read_only_fields = fields

    def get_issues(self, run) -> list[dict]:
        lines = run.lines.exclude(status="confere").select_related("broker", "asset")
        return ReconciliationLineSerializer(lines, many=True).data


class ReconciliationRunSerializer(ReconciliationDetailSerializer):
    created = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField(help_text=_("Mesmo arquivo e mesmo resultado: nada foi gravado."))

    class Meta(ReconciliationDetailSerializer.Meta):
        fields = [*ReconciliationDetailSerializer.Meta.fields, "created", "unchanged"]
        read_only_fields = fields

    def get_created(self, run) -> bool:
        return bool(getattr(run, "created", False))

    def get_unchanged(self, run) -> bool:
        return bool(getattr(run, "unchanged", False))


class ReconciliationImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("Extrato de posição da B3 (XLSX/CSV) ou saldos (Instituição;Saldo;Moeda).")
    )
    kind = serializers.ChoiceField(choices=ReconciliationKind.choices, default=ReconciliationKind.POSITIONS)
    as_of = serializers.DateField(required=False, allow_null=True, default=None, help_text=_("Padrão: a do arquivo."))
    portfolio = VisiblePortfolioField(required=False, allow_null=True, default=None)


class CashBalanceSerializer(serializers.Serializer):
    broker = serializers.PrimaryKeyRelatedField(queryset=Broker.objects.all())
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True, default="")
    balance = money(min_value=-(Decimal(10) ** 15), max_value=Decimal(10) ** 15)


class CashReconciliationSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    portfolio = VisiblePortfolioField(required=False, allow_null=True, default=None)
    balances = CashBalanceSerializer(many=True, allow_empty=False, max_length=500)


# --- alerts and notifications ------------------------------------------------------------------


class AlertSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    asset = AssetSummarySerializer(read_only=True, allow_null=True)
    portfolio = PortfolioSummarySerializer(read_only=True, allow_null=True)
    snoozed_until = DateTimeField(read_only=True, allow_null=True)
    last_fired_at = DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "owner",
            "kind",
            "asset",
            "portfolio",
            "threshold",
            "note",
            "active",
            "notify_email",
            "snoozed_until",
            "triggered",
            "last_value",
            "last_fired_at",
            "fire_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AlertWriteSerializer(serializers.Serializer):
    """``threshold``: a price (price alerts, in the asset's currency), a percentage (day change,
    dividend yield), percentage points (allocation drift) or days (DARF due)."""

    kind = serializers.ChoiceField(choices=AlertKind.choices)
    asset = serializers.PrimaryKeyRelatedField(
        queryset=Asset.objects.all(), required=False, allow_null=True, default=None
    )
    portfolio = VisiblePortfolioField(required=False, allow_null=True, default=None)
    threshold = price(min_value=Decimal(0), max_value=Decimal(10) ** 12)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    active = serializers.BooleanField(required=False, default=True)
    notify_email = serializers.BooleanField(required=False, default=True)


class AlertUpdateSerializer(AllOptionalMixin, AlertWriteSerializer):
    """Every field optional (PUT included): send only what changes."""


class SnoozeSerializer(serializers.Serializer):
    until = DateTimeField(required=False, allow_null=True, default=None, input_formats=["iso-8601"])
    hours = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=24 * 366)

    def validate(self, attrs):
        if (attrs.get("until") is None) == (attrs.get("hours") is None):
            raise serializers.ValidationError({"until": [_("Informe until ou hours (um dos dois).")]})
        return attrs


class NotificationSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    alert = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    created_at = DateTimeField(read_only=True)
    read_at = DateTimeField(read_only=True, allow_null=True)
    emailed_at = DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "owner",
            "alert",
            "kind",
            "title",
            "message",
            "data",
            "created_at",
            "read_at",
            "email_status",
            "emailed_at",
        ]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=1000
    )


class CountSerializer(serializers.Serializer):
    updated = serializers.IntegerField()


# --- income calendar -------------------------------------------------------------------------


class IncomeMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    gross_brl = serializers.CharField()
    tax_brl = serializers.CharField()
    net_brl = serializers.CharField()
    confirmed_brl = serializers.CharField()
    projected_brl = serializers.CharField()
    count = serializers.IntegerField()


class IncomePastMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    expected_brl = serializers.CharField()
    paid_brl = serializers.CharField()
    pending_brl = serializers.CharField()
    count = serializers.IntegerField()


class IncomeEventSerializer(serializers.Serializer):
    receipt_id = serializers.IntegerField()
    dividend_id = serializers.IntegerField()
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    kind = serializers.CharField()
    data_com = serializers.DateField()
    payment_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["confirmado", "previsto"])
    portfolio_id = serializers.IntegerField()
    portfolio = serializers.CharField()
    broker = serializers.CharField()
    quantity = serializers.CharField()
    value_per_share = serializers.CharField()
    currency = serializers.CharField()
    gross = serializers.CharField()
    tax = serializers.CharField()
    tax_rate = serializers.CharField()
    tax_rate_source = serializers.CharField(allow_blank=True)
    net = serializers.CharField()
    fx_rate = serializers.CharField(allow_null=True)
    fx_estimated = serializers.BooleanField()
    net_brl = serializers.CharField(allow_null=True)


class IncomeByAssetSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    net_brl = serializers.CharField()
    months = serializers.DictField(child=serializers.CharField())


class IncomeByPortfolioSerializer(serializers.Serializer):
    portfolio_id = serializers.IntegerField()
    name = serializers.CharField()
    net_brl = serializers.CharField()
    months = serializers.DictField(child=serializers.CharField())


class IncomeUpcomingSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    months = IncomeMonthSerializer(many=True)
    total_net_brl = serializers.CharField()
    confirmed_brl = serializers.CharField()
    projected_brl = serializers.CharField()
    by_asset = IncomeByAssetSerializer(many=True)
    by_portfolio = IncomeByPortfolioSerializer(many=True)
    events = IncomeEventSerializer(many=True)
    undated = IncomeEventSerializer(many=True)


class IncomePastSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    months = IncomePastMonthSerializer(many=True)
    expected_brl = serializers.CharField()
    paid_brl = serializers.CharField()


class MissingFxSerializer(serializers.Serializer):
    currency = serializers.CharField()
    ticker = serializers.CharField()
    payment_date = serializers.DateField(allow_null=True)
    net = serializers.CharField()
    reason = serializers.CharField()


class IncomeCalendarSerializer(serializers.Serializer):
    owner = serializers.IntegerField()
    portfolio = serializers.IntegerField(allow_null=True)
    today = serializers.DateField()
    currency = serializers.CharField()
    upcoming = IncomeUpcomingSerializer()
    past = IncomePastSerializer()
    missing_fx = MissingFxSerializer(many=True)


# --- brokerage notes ----------------------------------------------------------------------------


class BrokerageNoteTradeSerializer(serializers.ModelSerializer):
    transaction = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = BrokerageNoteTrade
        fields = [
            "line",
            "transaction",
            "action",
            "brokerage_fee",
            "settlement_fee",
            "emoluments",
            "other_costs",
            "withheld_tax",
            "previous",
        ]
        read_only_fields = fields


class NoteLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    kind = serializers.CharField()
    market = serializers.CharField()
    specification = serializers.CharField()
    obs = serializers.CharField(allow_blank=True)
    day_trade = serializers.BooleanField()
    ticker = serializers.CharField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField()
    value = serializers.CharField()


class BrokerageNoteSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    portfolio = PortfolioSummarySerializer(read_only=True)
    broker = BrokerSummarySerializer(read_only=True)
    lines = NoteLineSerializer(many=True, read_only=True)
    trades = BrokerageNoteTradeSerializer(many=True, read_only=True)

    class Meta:
        model = BrokerageNote
        fields = [
            "id",
            "owner",
            "portfolio",
            "broker",
            "number",
            "trade_date",
            "settlement_date",
            "file_name",
            "pages",
            "sales_value",
            "purchases_value",
            "settlement_fee",
            "registration_fee",
            "emoluments",
            "exchange_other",
            "brokerage_fee",
            "iss",
            "other_costs",
            "withheld_tax",
            "withheld_tax_day_trade",
            "net_amount",
            "lines",
            "trades",
            "created_at",
        ]
        read_only_fields = fields


class NoteImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("PDF com uma ou mais notas de corretagem no padrão SINACOR."))
    portfolio = VisiblePortfolioField()
    broker = serializers.PrimaryKeyRelatedField(
        queryset=Broker.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Corretora das notas cuja corretora não for reconhecida (CNPJ/nome)."),
    )
    dry_run = serializers.BooleanField(default=True, help_text=_("Só pré-visualizar (padrão). False importa."))
    password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64, help_text=_("Senha do PDF, se protegido.")
    )


class NoteTradeResultSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    action = serializers.CharField()
    transaction_id = serializers.IntegerField()
    kind = serializers.CharField()
    ticker = serializers.CharField()
    day_trade = serializers.BooleanField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField()
    value = serializers.CharField()
    brokerage_fee = serializers.CharField()
    settlement_fee = serializers.CharField()
    emoluments = serializers.CharField()
    other_costs = serializers.CharField()
    withheld_tax = serializers.CharField()


class NoteResultSerializer(serializers.Serializer):
    number = serializers.CharField()
    trade_date = serializers.DateField(allow_null=True)
    broker = serializers.CharField(allow_blank=True)
    pages = serializers.ListField(child=serializers.IntegerField())
    status = serializers.ChoiceField(choices=["new", "duplicate", "error"])
    errors = serializers.ListField(child=serializers.CharField())
    fees = serializers.DictField(child=serializers.CharField())
    withheld_tax = serializers.CharField()
    net_amount = serializers.CharField(allow_null=True)
    note_id = serializers.IntegerField(allow_null=True)
    trades = NoteTradeResultSerializer(many=True)


class NoteImportSummarySerializer(serializers.Serializer):
    notes = serializers.IntegerField()
    new = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    error = serializers.IntegerField()
    trades_created = serializers.IntegerField()
    fees_filled = serializers.IntegerField()


class NoteImportResultSerializer(serializers.Serializer):
    file_name = serializers.CharField(allow_blank=True)
    dry_run = serializers.BooleanField()
    summary = NoteImportSummarySerializer()
    notes = NoteResultSerializer(many=True)

"""Input and output shapes of the tax endpoints (money as strings with cents, dates ISO)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exitus import months

MONEY = {"max_digits": 20, "decimal_places": 2}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-03"})
class MonthField(serializers.Field):
    """``YYYY-MM`` → the first day of that month, within the supported years (``exitus.months``)."""

    def to_internal_value(self, data):
        try:
            return months.parse_month(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class MonthQuerySerializer(serializers.Serializer):
    month = MonthField()


class YearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=months.EARLIEST_YEAR)

    def validate_year(self, value):
        try:
            return months.check_year(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class AnnualQuerySerializer(YearQuerySerializer):
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx", "pdf"], default="json")


class RulesQuerySerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class FileMonthSerializer(serializers.Serializer):
    month = MonthField()
    paid_on = serializers.DateField(required=False, allow_null=True)

    def validate_month(self, value):
        if value > timezone.localdate().replace(day=1):
            raise serializers.ValidationError(_("Só é possível marcar meses já iniciados."))
        return value


class UnfileMonthSerializer(serializers.Serializer):
    month = MonthField()


class BasketSerializer(serializers.Serializer):
    result = serializers.DecimalField(**MONEY)
    loss_in = serializers.DecimalField(**MONEY)
    compensated = serializers.DecimalField(**MONEY)
    taxable = serializers.DecimalField(**MONEY)
    loss_out = serializers.DecimalField(**MONEY)
    rate = serializers.DecimalField(max_digits=8, decimal_places=4)
    tax = serializers.DecimalField(**MONEY)


class CategorySerializer(serializers.Serializer):
    sales = serializers.DecimalField(**MONEY)
    gains = serializers.DecimalField(**MONEY)
    losses = serializers.DecimalField(**MONEY)
    result = serializers.DecimalField(**MONEY)
    operations = serializers.IntegerField()


class DarfSerializer(serializers.Serializer):
    code = serializers.CharField()
    residual_in = serializers.DecimalField(**MONEY)
    amount = serializers.DecimalField(**MONEY)
    residual_out = serializers.DecimalField(**MONEY)
    due_date = serializers.DateField()
    status = serializers.DictField(required=False, help_text=_("state, paid_on e late (multa e juros Selic)."))


class OperationSerializer(serializers.Serializer):
    date = serializers.DateField()
    ticker = serializers.CharField()
    asset_id = serializers.IntegerField()
    broker = serializers.CharField()
    category = serializers.CharField()
    day_trade = serializers.BooleanField()
    quantity = serializers.DecimalField(max_digits=28, decimal_places=10)
    sale_value = serializers.DecimalField(**MONEY)
    net_value = serializers.DecimalField(**MONEY)
    cost = serializers.DecimalField(**MONEY)
    result = serializers.DecimalField(**MONEY)


class NotAssessedSerializer(serializers.Serializer):
    date = serializers.DateField()
    ticker = serializers.CharField()
    asset_id = serializers.IntegerField()
    broker = serializers.CharField()
    category = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=28, decimal_places=10)
    sale_value = serializers.DecimalField(**MONEY)
    result = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()


class MonthlyAssessmentSerializer(serializers.Serializer):
    month = serializers.DateField()
    not_assessed = NotAssessedSerializer(many=True)
    rules = serializers.ListField(child=serializers.DictField())
    opening_balance = serializers.DictField(allow_null=True)
    categories = serializers.DictField(child=CategorySerializer())
    exemption = serializers.DictField()
    baskets = serializers.DictField(child=BasketSerializer())
    tax_due = serializers.DecimalField(**MONEY)
    irrf = serializers.DictField()
    tax_after_irrf = serializers.DecimalField(**MONEY)
    darf = DarfSerializer()
    crypto = serializers.DictField()
    operations = OperationSerializer(many=True)
    filing = serializers.DictField(help_text=_("filed, filed_at, paid_on, filed_values e differences."))


class ExplainedBasketSerializer(BasketSerializer):
    sales = serializers.ListField(child=serializers.DictField(), help_text=_("Vendas apuradas na cesta."))
    exempt_sales = serializers.ListField(child=serializers.DictField(), help_text=_("Vendas isentas (até R$ 20 mil)."))
    sum_of_results = serializers.DecimalField(**MONEY)
    arithmetic = serializers.CharField()


class MonthlyExplanationSerializer(serializers.Serializer):
    """How each figure of ``tax/monthly/`` was reached; the figures are the same, to the cent."""

    month = serializers.DateField()
    tax_due = serializers.DecimalField(**MONEY)
    tax_after_irrf = serializers.DecimalField(**MONEY)
    darf_amount = serializers.DecimalField(**MONEY)
    crypto_darf_amount = serializers.DecimalField(**MONEY)
    opening_balance = serializers.DictField(allow_null=True, help_text=_("Saldos iniciais que entram neste mês."))
    not_assessed = NotAssessedSerializer(many=True)
    baskets = serializers.DictField(child=ExplainedBasketSerializer())
    exemption = serializers.DictField()
    crypto = serializers.DictField()
    irrf = serializers.DictField(help_text=_("Linhas de IRRF (por nota ou por corretora e mês) e os créditos."))
    darf = serializers.DictField(help_text=_("Imposto − IRRF + acumulado abaixo de R$ 10 = DARF (ou acumula)."))
    rules = serializers.ListField(child=serializers.DictField(), help_text=_("Linhas da tabela aplicadas."))
    checks = serializers.DictField(child=serializers.BooleanField())


class DarfRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    code = serializers.CharField()
    tax = serializers.DecimalField(**MONEY)
    residual_in = serializers.DecimalField(**MONEY)
    amount = serializers.DecimalField(**MONEY)
    residual_out = serializers.DecimalField(**MONEY)
    due_date = serializers.DateField()
    filed = serializers.BooleanField()
    state = serializers.CharField()
    paid_on = serializers.DateField(required=False, allow_null=True)
    late = serializers.DictField(allow_null=True)


class DarfYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    darfs = DarfRowSerializer(many=True)
    total = serializers.DecimalField(**MONEY)


class AnnualReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    user = serializers.DictField()
    bens_e_direitos = serializers.ListField(child=serializers.DictField())
    rendimentos_isentos = serializers.DictField()
    tributacao_exclusiva = serializers.DictField()
    outros_rendimentos = serializers.ListField(child=serializers.DictField())
    bonificacoes_18 = serializers.ListField(
        child=serializers.DictField(), help_text=_("Linha 18 dos isentos: bonificações em ações (custo atribuído).")
    )
    dividendos_com_retencao = serializers.ListField(
        child=serializers.DictField(), help_text=_("A partir de 2026 (Lei 15.270/2025): dividendos com IR retido.")
    )
    proventos_sem_cambio = serializers.ListField(
        child=serializers.DictField(), help_text=_("Proventos sem câmbio conhecido: fora dos totais.")
    )
    retencao_dividendos = serializers.ListField(child=serializers.DictField())
    renda_variavel = serializers.DictField()
    exterior = serializers.DictField()
    operations = serializers.IntegerField()


class StoredAssessmentSerializer(serializers.Serializer):
    month = serializers.DateField()
    filed_at = serializers.DateTimeField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True)
    tax_due = serializers.DecimalField(**MONEY)
    darf_amount = serializers.DecimalField(**MONEY)
    differs_from_filed = serializers.BooleanField()


class RuleSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=8)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    legal_basis = serializers.CharField()


class TaxOpeningSerializer(serializers.Serializer):
    """Tax balances brought from elsewhere: losses per basket (no expiry) and the year's unused IRRF."""

    month = MonthField(help_text=_("Mês em que os saldos entram (AAAA-MM)."))
    common_loss = serializers.DecimalField(**MONEY, min_value=0, default=0)
    day_trade_loss = serializers.DecimalField(**MONEY, min_value=0, default=0)
    fii_loss = serializers.DecimalField(**MONEY, min_value=0, default=0)
    irrf_credit = serializers.DecimalField(**MONEY, min_value=0, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="")

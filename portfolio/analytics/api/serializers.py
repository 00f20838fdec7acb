"""Input and output shapes of the performance endpoints (money as strings, ratios as fractions)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import selectors


class PerformanceQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=selectors.PERIODS, default="max")
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    benchmark = serializers.CharField(required=False, default=",".join(selectors.DEFAULT_BENCHMARKS))

    def validate_benchmark(self, value):
        try:
            return selectors.benchmark_names(value)
        except ValueError as exc:
            raise serializers.ValidationError(
                _("Referência desconhecida: %(name)s. Use CDI, IPCA, IPCA+x, IBOV, IFIX ou SP500.")
                % {"name": exc.args[0]}
            ) from exc

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": [_("O início deve ser anterior ao fim.")]})
        return attrs


class BenchmarkSerializer(serializers.Serializer):
    vars()["return"] = serializers.FloatField(help_text=_("Retorno no período (fração)."))
    return_annualised = serializers.FloatField(allow_null=True)
    excess_return = serializers.FloatField(help_text=_("Retorno da carteira menos o da referência."))
    beta = serializers.FloatField(allow_null=True)
    alpha = serializers.FloatField(allow_null=True, help_text=_("Alfa de Jensen anualizado, livre de risco = CDI."))


class AssetPerformanceSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    asset_class = serializers.CharField()
    asset_type = serializers.CharField()
    currency = serializers.CharField()
    quantity = serializers.FloatField()
    price = serializers.CharField(allow_null=True)
    value = serializers.CharField()
    cost = serializers.CharField()
    weight = serializers.FloatField()
    twr = serializers.FloatField()
    mwr = serializers.FloatField(allow_null=True)
    realized_pnl = serializers.CharField()
    unrealized_pnl = serializers.CharField()
    dividends = serializers.CharField()


class PerformanceSerializer(serializers.Serializer):
    period = serializers.CharField()
    empty = serializers.BooleanField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(required=False)
    start_value = serializers.CharField(required=False)
    end_value = serializers.CharField(required=False)
    invested_value = serializers.CharField(required=False)
    cash = serializers.CharField(required=False)
    cost = serializers.CharField(required=False)
    inflows = serializers.CharField(required=False)
    outflows = serializers.CharField(required=False)
    net_flows = serializers.CharField(required=False)
    twr = serializers.FloatField(required=False, help_text=_("Retorno ponderado pelo tempo (fração)."))
    twr_annualised = serializers.FloatField(required=False, allow_null=True)
    mwr = serializers.FloatField(required=False, allow_null=True, help_text=_("XIRR anual (fração)."))
    realized_pnl = serializers.CharField(required=False)
    unrealized_pnl = serializers.CharField(required=False)
    unrealized_change = serializers.CharField(required=False)
    dividends = serializers.CharField(required=False)
    volatility = serializers.FloatField(required=False, allow_null=True)
    max_drawdown = serializers.FloatField(required=False)
    sharpe = serializers.FloatField(required=False, allow_null=True)
    cdi_return = serializers.FloatField(required=False)
    benchmarks = serializers.DictField(child=BenchmarkSerializer(allow_null=True))
    series = serializers.DictField(
        child=serializers.ListField(), required=False, help_text=_("dates, value, twr e uma série por referência.")
    )
    allocation = serializers.DictField(child=serializers.DictField(child=serializers.CharField()), required=False)
    assets = AssetPerformanceSerializer(many=True)
    estimates = serializers.ListField(
        child=serializers.DictField(),
        help_text=_(
            "O que é estimativa, nomeado: valued_at_cost (ativo sem cotação avaliado pelo custo), "
            "benchmark_proxy (BOVA11 por IBOV...), benchmark_backfilled, ipca_not_published."
        ),
    )
    missing_fx = serializers.ListField(
        child=serializers.DictField(), help_text=_("Moedas e datas sem câmbio: deixadas fora dos totais.")
    )


class PortfolioPerformanceSerializer(serializers.Serializer):
    portfolio = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    performance = PerformanceSerializer()


class UserPerformanceSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    total = PerformanceSerializer()
    portfolios = PortfolioPerformanceSerializer(many=True)


class PatrimonySnapshotSerializer(serializers.Serializer):
    month = serializers.DateField()
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    invested = serializers.DecimalField(max_digits=20, decimal_places=2)
    cash = serializers.DecimalField(max_digits=20, decimal_places=2)
    cost = serializers.DecimalField(max_digits=20, decimal_places=2)
    net_flows = serializers.DecimalField(max_digits=20, decimal_places=2)
    dividends = serializers.DecimalField(max_digits=20, decimal_places=2)
    by_class = serializers.DictField(child=serializers.CharField())
    by_type = serializers.DictField(child=serializers.CharField())


class PatrimonyHistorySerializer(serializers.Serializer):
    portfolio = serializers.IntegerField()
    months = PatrimonySnapshotSerializer(many=True)


class HistoryQuerySerializer(serializers.Serializer):
    since = serializers.RegexField(r"^\d{4}-\d{2}$", required=False)

    def validate_since(self, value):
        from datetime import date

        try:
            return date.fromisoformat(f"{value}-01")
        except ValueError as exc:
            raise serializers.ValidationError(_("Mês inválido (use AAAA-MM).")) from exc

"""Input (query/body) and output serializers of the quotes API.

Outputs mirror the dicts the services/selectors build; they exist so the OpenAPI schema has
exact types. Decimals travel as strings.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portfolio.choices import AssetClass, AssetType, Market

from ..choices import SignalBand
from ..models import PriceBar, WatchlistItem

DECIMAL = {"max_digits": 30, "decimal_places": 8, "coerce_to_string": True}
# Event ids are microseconds since the epoch; this one is the last of year 9999.
# Event ids are microseconds since the epoch; cap them a day short of year 9999 so every
# accepted id converts to a datetime in any time zone.
MAX_EVENT_ID = 253_402_214_400_000_000


def _split(value):
    return [t.strip() for t in value.split(",") if t.strip()]


# --- Inputs -------------------------------------------------------------------------------


class TickerListField(serializers.CharField):
    """``A,B,C`` → ``["A", "B", "C"]`` (at most ``QUOTES_BATCH_MAX_TICKERS``)."""

    def to_internal_value(self, data):
        tokens = _split(super().to_internal_value(data))
        limit = settings.QUOTES_BATCH_MAX_TICKERS
        if len(tokens) > limit:
            raise serializers.ValidationError(_("No máximo %(n)d tickers por consulta.") % {"n": limit})
        return [t.upper() for t in tokens]


class BatchQuerySerializer(serializers.Serializer):
    tickers = TickerListField(
        required=False,
        help_text=_("Tickers separados por vírgula; TICKER:MERCADO fixa o mercado. Padrão: os ativos que você tem."),
    )
    refresh = serializers.BooleanField(required=False, default=False)


class DetailQuerySerializer(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    refresh = serializers.BooleanField(
        required=False, default=False, help_text=_("1 força uma consulta aos provedores.")
    )


class HistoryQuerySerializer(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    start = serializers.DateField(required=False, help_text=_("Padrão: um ano antes de `end`."))
    end = serializers.DateField(required=False, help_text=_("Padrão: hoje."))

    def validate(self, attrs):
        from datetime import timedelta

        from django.utils import timezone

        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or end - timedelta(days=365)
        if start > end:
            raise serializers.ValidationError({"start": [_("Deve ser anterior ou igual a `end`.")]})
        if (end - start).days > 3700:
            raise serializers.ValidationError({"start": [_("Período máximo: 10 anos.")]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class UpdatesQuerySerializer(serializers.Serializer):
    tickers = TickerListField(required=False)
    since = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_EVENT_ID,
        help_text=_("`last_event_id` da resposta anterior (microssegundos)."),
    )


class FxQuerySerializer(serializers.Serializer):
    pair = serializers.RegexField(r"^[A-Za-z]{3}-[A-Za-z]{3}$", help_text=_("Ex.: USD-BRL (BRL por USD)."))
    date = serializers.DateField(required=False, help_text=_("Padrão: a taxa mais recente."))
    amount = serializers.DecimalField(max_digits=20, decimal_places=8, required=False, min_value=0)

    def validate_pair(self, value):
        return value.upper()


class RankingQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=100)
    universe = serializers.ChoiceField(
        choices=[("default", "lista + carteira"), ("watchlist", "lista"), ("held", "carteira"), ("all", "todos")],
        required=False,
        default="default",
    )


class LookupQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=40)


class RegisterSerializer(serializers.Serializer):
    ticker = serializers.CharField(max_length=32)
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    asset_type = serializers.ChoiceField(choices=AssetType.choices, required=False)
    asset_class = serializers.ChoiceField(choices=AssetClass.choices, required=False)
    name = serializers.CharField(max_length=200, required=False)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
    sector = serializers.CharField(max_length=120, required=False)


class WatchlistCreateSerializer(serializers.Serializer):
    ticker = serializers.CharField(max_length=32)
    market = serializers.ChoiceField(choices=Market.choices, required=False)


# --- Outputs ------------------------------------------------------------------------------


class QuoteSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    ticker = serializers.CharField()
    market = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(**DECIMAL)
    previous_close = serializers.DecimalField(**DECIMAL, allow_null=True)
    change = serializers.DecimalField(**DECIMAL, allow_null=True)
    change_percent = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    volume = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    source = serializers.CharField(help_text=_("Provedor que forneceu o preço."))
    market_time = serializers.DateTimeField(help_text=_("Horário do preço no mercado."))
    fetched_at = serializers.DateTimeField()
    fresh_until = serializers.DateTimeField(help_text=_("Até quando o preço é considerado atual."))
    age_seconds = serializers.IntegerField()
    stale = serializers.BooleanField(help_text=_("Verdadeiro quando o preço passou da validade (provedores falharam)."))
    cached = serializers.BooleanField()
    anomaly_pending = serializers.BooleanField(required=False)


class QuoteBatchSerializer(serializers.Serializer):
    results = QuoteSerializer(many=True)
    not_found = serializers.ListField(child=serializers.CharField())
    not_quotable = serializers.ListField(child=serializers.CharField(), help_text=_("Renda fixa: sem cotação."))
    unavailable = serializers.ListField(child=serializers.CharField(), help_text=_("Nenhum provedor respondeu."))


class QuoteUpdatesSerializer(serializers.Serializer):
    last_event_id = serializers.IntegerField()
    results = QuoteSerializer(many=True)


class PriceBarSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceBar
        fields = ["date", "open", "high", "low", "close", "adjusted_close", "volume", "source"]


class HistorySerializer(serializers.Serializer):
    ticker = serializers.CharField()
    market = serializers.CharField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    count = serializers.IntegerField()
    results = PriceBarSerializer(many=True)


class FxSerializer(serializers.Serializer):
    pair = serializers.CharField()
    date = serializers.DateField(allow_null=True, help_text=_("Data pedida."))
    rate_date = serializers.DateField(
        allow_null=True, help_text=_("Data da taxa usada (último dia útil ≤ data pedida).")
    )
    rate = serializers.DecimalField(**DECIMAL)
    source = serializers.CharField()
    amount = serializers.DecimalField(**DECIMAL, required=False)
    converted = serializers.DecimalField(**DECIMAL, required=False)


class CeilingSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["bazin", "graham", "gordon", "dcf", "fii_cap_rate"])
    value = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)
    margin = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)
    formula = serializers.CharField(allow_blank=True)
    omitted_reason = serializers.CharField(allow_null=True, help_text=_("Por que o método ficou de fora."))


class ZScoreSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    closes = serializers.IntegerField()
    mean = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    stdev = serializers.DecimalField(max_digits=30, decimal_places=4, allow_null=True)
    error = serializers.CharField(allow_null=True)


class ComponentSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=24, decimal_places=4)
    subscore = serializers.DecimalField(max_digits=6, decimal_places=1)
    weight = serializers.IntegerField()


class MacroSerializer(serializers.Serializer):
    market = serializers.CharField()
    risk_free_rate = serializers.DecimalField(max_digits=12, decimal_places=4)
    cost_of_capital = serializers.DecimalField(max_digits=12, decimal_places=4)
    growth_rate = serializers.DecimalField(max_digits=12, decimal_places=4)
    terminal_growth_rate = serializers.DecimalField(max_digits=12, decimal_places=4)
    bazin_yield = serializers.DecimalField(max_digits=12, decimal_places=4)
    fii_cap_rate = serializers.DecimalField(max_digits=12, decimal_places=4)
    dcf_years = serializers.IntegerField()


class SignalSerializer(serializers.Serializer):
    ticker = serializers.CharField()
    market = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    currency = serializers.CharField()
    price = serializers.DecimalField(**DECIMAL, allow_null=True)
    price_source = serializers.CharField(allow_null=True)
    price_time = serializers.DateTimeField(allow_null=True)
    price_stale = serializers.BooleanField(allow_null=True)
    fundamentals_as_of = serializers.DateField(allow_null=True)
    ceilings = CeilingSerializer(many=True)
    ceiling = serializers.DecimalField(
        max_digits=24, decimal_places=2, allow_null=True, help_text=_("Mediana dos métodos calculáveis.")
    )
    margin_of_safety = serializers.DecimalField(
        max_digits=24, decimal_places=2, allow_null=True, help_text=_("(teto − preço) / teto × 100")
    )
    zscore = ZScoreSerializer()
    dividend_yield = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True, help_text="%")
    dividend_yield_basis = serializers.CharField(allow_null=True)
    beta = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, help_text=_("0–100"))
    band = serializers.ChoiceField(choices=SignalBand.choices, allow_null=True)
    components = serializers.DictField(child=ComponentSerializer())
    omitted = serializers.DictField(child=serializers.CharField())
    macro = MacroSerializer(allow_null=True)


class RankingSerializer(serializers.Serializer):
    universe = serializers.CharField()
    count = serializers.IntegerField()
    results = SignalSerializer(many=True)


class LookupResultSerializer(serializers.Serializer):
    ticker = serializers.CharField()
    market = serializers.ChoiceField(choices=Market.choices)
    name = serializers.CharField(allow_blank=True)
    asset_type = serializers.ChoiceField(choices=AssetType.choices)
    asset_class = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    exchange = serializers.CharField(allow_blank=True)
    source = serializers.CharField()
    registered = serializers.BooleanField()
    asset_id = serializers.IntegerField(allow_null=True)


class LookupSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = LookupResultSerializer(many=True)


class RegisteredAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticker = serializers.CharField()
    market = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    asset_class = serializers.CharField()
    currency = serializers.CharField()
    sector = serializers.CharField(allow_blank=True)


class WatchlistItemSerializer(serializers.ModelSerializer):
    ticker = serializers.CharField(source="asset.ticker", read_only=True)
    market = serializers.CharField(source="asset.market", read_only=True)
    name = serializers.CharField(source="asset.name", read_only=True)

    class Meta:
        model = WatchlistItem
        fields = ["id", "ticker", "market", "name", "created_at"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class UnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False)

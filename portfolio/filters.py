"""One FilterSet per model, shared by the API lists, their exports and the admin's export action.

Choices of related objects the user owns (portfolios) are limited to what the request's user
may see, so a filter can never be used to probe someone else's ids.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    AssetClass,
    AssetType,
    BrokerKind,
    CashKind,
    CorporateEventKind,
    DividendKind,
    Market,
    TransactionKind,
)
from .models import (
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


class IdFilter(django_filters.NumberFilter):
    """A whole, positive id that fits the database's bigint (``?owner=1e30`` is a 400, not a crash)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def visible_portfolios(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Portfolio.objects.none()
    if user.is_admin_role:
        return Portfolio.objects.all()
    return Portfolio.objects.filter(owner=user)


def _search(queryset, fields, value):
    value = (value or "").strip()
    if not value:
        return queryset
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__icontains": value})
    return queryset.filter(query)


class BrokerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("busca (nome)"))
    kind = django_filters.ChoiceFilter(choices=BrokerKind.choices, label=_("tipo"))
    country = django_filters.CharFilter(lookup_expr="iexact", label=_("país"))
    default_currency = django_filters.CharFilter(lookup_expr="iexact", label=_("moeda"))
    active = django_filters.BooleanFilter(label=_("ativa"))

    class Meta:
        model = Broker
        fields = ["search", "kind", "country", "default_currency", "active"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ["name"], value)


class AssetFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("busca (ticker ou nome)"))
    ticker = django_filters.CharFilter(lookup_expr="iexact", label=_("ticker"))
    asset_type = django_filters.MultipleChoiceFilter(choices=AssetType.choices, label=_("tipo"))
    asset_class = django_filters.MultipleChoiceFilter(choices=AssetClass.choices, label=_("classe"))
    market = django_filters.MultipleChoiceFilter(choices=Market.choices, label=_("mercado"))
    currency = django_filters.CharFilter(lookup_expr="iexact", label=_("moeda"))
    delisted = django_filters.BooleanFilter(label=_("deslistado"))
    needs_review = django_filters.BooleanFilter(label=_("revisar cadastro"))

    class Meta:
        model = Asset
        fields = ["search", "ticker", "asset_type", "asset_class", "market", "currency", "delisted", "needs_review"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ["ticker", "name"], value)


class PortfolioFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("busca (nome)"))
    active = django_filters.BooleanFilter(label=_("ativa"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = Portfolio
        fields = ["search", "active", "owner"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ["name", "description", "goal"], value)


class _OwnedFilter(django_filters.FilterSet):
    """Portfolio, broker and asset filters common to the owned models."""

    portfolio = django_filters.ModelChoiceFilter(queryset=visible_portfolios, label=_("carteira"))
    broker = django_filters.ModelChoiceFilter(queryset=Broker.objects.all(), label=_("corretora"))
    asset = django_filters.ModelChoiceFilter(queryset=Asset.objects.all(), label=_("ativo"))
    ticker = django_filters.CharFilter(field_name="asset__ticker", lookup_expr="iexact", label=_("ticker"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))


class TransactionFilter(_OwnedFilter):
    kind = django_filters.MultipleChoiceFilter(choices=TransactionKind.choices, label=_("tipo"))
    date_from = django_filters.DateFilter(field_name="trade_date__date", lookup_expr="gte", label=_("de (data)"))
    date_to = django_filters.DateFilter(field_name="trade_date__date", lookup_expr="lte", label=_("até (data)"))
    currency = django_filters.CharFilter(lookup_expr="iexact", label=_("moeda"))
    source_file = django_filters.CharFilter(lookup_expr="icontains", label=_("arquivo de origem"))

    class Meta:
        model = Transaction
        fields = ["portfolio", "broker", "asset", "ticker", "kind", "date_from", "date_to", "currency", "owner"]


class PositionFilter(_OwnedFilter):
    asset_type = django_filters.MultipleChoiceFilter(
        field_name="asset__asset_type", choices=AssetType.choices, label=_("tipo")
    )
    asset_class = django_filters.MultipleChoiceFilter(
        field_name="asset__asset_class", choices=AssetClass.choices, label=_("classe")
    )
    market = django_filters.MultipleChoiceFilter(field_name="asset__market", choices=Market.choices, label=_("mercado"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("aberta (quantidade > 0)"))

    class Meta:
        model = Position
        fields = ["portfolio", "broker", "asset", "ticker", "asset_type", "asset_class", "market", "open", "owner"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(quantity__gt=0) if value else queryset.filter(quantity=0)


class OpeningPositionFilter(_OwnedFilter):
    class Meta:
        model = OpeningPosition
        fields = ["portfolio", "broker", "asset", "ticker", "owner"]


class CustodyTransferFilter(_OwnedFilter):
    broker = django_filters.ModelChoiceFilter(
        queryset=Broker.objects.all(),
        field_name="from_broker",
        method="filter_broker",
        label=_("corretora (origem ou destino)"),
    )
    date_from = django_filters.DateFilter(field_name="date__date", lookup_expr="gte", label=_("de (data)"))
    date_to = django_filters.DateFilter(field_name="date__date", lookup_expr="lte", label=_("até (data)"))

    class Meta:
        model = CustodyTransfer
        fields = ["portfolio", "broker", "asset", "ticker", "date_from", "date_to", "owner"]

    def filter_broker(self, queryset, name, value):
        return queryset.filter(Q(from_broker=value) | Q(to_broker=value)) if value else queryset


class FractionSaleFilter(_OwnedFilter):
    class Meta:
        model = FractionSale
        fields = ["portfolio", "broker", "asset", "ticker", "owner"]


class CorporateEventFilter(django_filters.FilterSet):
    asset = django_filters.ModelChoiceFilter(queryset=Asset.objects.all(), label=_("ativo"))
    ticker = django_filters.CharFilter(field_name="asset__ticker", lookup_expr="iexact", label=_("ticker"))
    kind = django_filters.MultipleChoiceFilter(choices=CorporateEventKind.choices, label=_("tipo"))
    date_from = django_filters.DateFilter(field_name="event_date", lookup_expr="gte", label=_("de"))
    date_to = django_filters.DateFilter(field_name="event_date", lookup_expr="lte", label=_("até"))

    class Meta:
        model = CorporateEvent
        fields = ["asset", "ticker", "kind", "date_from", "date_to"]


class DividendFilter(django_filters.FilterSet):
    asset = django_filters.ModelChoiceFilter(queryset=Asset.objects.all(), label=_("ativo"))
    ticker = django_filters.CharFilter(field_name="asset__ticker", lookup_expr="iexact", label=_("ticker"))
    kind = django_filters.MultipleChoiceFilter(choices=DividendKind.choices, label=_("tipo"))
    data_com_from = django_filters.DateFilter(field_name="data_com", lookup_expr="gte", label=_("data com de"))
    data_com_to = django_filters.DateFilter(field_name="data_com", lookup_expr="lte", label=_("data com até"))
    payment_from = django_filters.DateFilter(field_name="payment_date", lookup_expr="gte", label=_("pagamento de"))
    payment_to = django_filters.DateFilter(field_name="payment_date", lookup_expr="lte", label=_("pagamento até"))

    class Meta:
        model = Dividend
        fields = ["asset", "ticker", "kind", "data_com_from", "data_com_to", "payment_from", "payment_to"]


class DividendReceiptFilter(django_filters.FilterSet):
    portfolio = django_filters.ModelChoiceFilter(
        field_name="position__portfolio", queryset=visible_portfolios, label=_("carteira")
    )
    broker = django_filters.ModelChoiceFilter(
        field_name="position__broker", queryset=Broker.objects.all(), label=_("corretora")
    )
    asset = django_filters.ModelChoiceFilter(
        field_name="dividend__asset", queryset=Asset.objects.all(), label=_("ativo")
    )
    ticker = django_filters.CharFilter(field_name="dividend__asset__ticker", lookup_expr="iexact", label=_("ticker"))
    kind = django_filters.MultipleChoiceFilter(
        field_name="dividend__kind", choices=DividendKind.choices, label=_("tipo")
    )
    paid = django_filters.BooleanFilter(label=_("pago"))
    data_com_from = django_filters.DateFilter(
        field_name="dividend__data_com", lookup_expr="gte", label=_("data com de")
    )
    data_com_to = django_filters.DateFilter(field_name="dividend__data_com", lookup_expr="lte", label=_("data com até"))
    payment_from = django_filters.DateFilter(
        field_name="dividend__payment_date", lookup_expr="gte", label=_("pagamento de")
    )
    payment_to = django_filters.DateFilter(
        field_name="dividend__payment_date", lookup_expr="lte", label=_("pagamento até")
    )
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = DividendReceipt
        fields = [
            "portfolio",
            "broker",
            "asset",
            "ticker",
            "kind",
            "paid",
            "data_com_from",
            "data_com_to",
            "payment_from",
            "payment_to",
            "owner",
        ]


class CashMovementFilter(django_filters.FilterSet):
    portfolio = django_filters.ModelChoiceFilter(queryset=visible_portfolios, label=_("carteira"))
    broker = django_filters.ModelChoiceFilter(
        method="filter_broker", queryset=Broker.objects.all(), label=_("corretora (origem ou destino)")
    )
    kind = django_filters.MultipleChoiceFilter(choices=CashKind.choices, label=_("tipo"))
    currency = django_filters.CharFilter(lookup_expr="iexact", label=_("moeda"))
    date_from = django_filters.DateFilter(field_name="date__date", lookup_expr="gte", label=_("de"))
    date_to = django_filters.DateFilter(field_name="date__date", lookup_expr="lte", label=_("até"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = CashMovement
        fields = ["portfolio", "broker", "kind", "currency", "date_from", "date_to", "owner"]

    def filter_broker(self, queryset, name, value):
        return queryset.filter(Q(broker=value) | Q(destination_broker=value)) if value else queryset

"""One FilterSet per desk model (API lists and the admin). Portfolio choices are the user's own."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..filters import IdFilter, visible_portfolios
from ..models import Asset, Broker
from .choices import AlertKind, LikelyCause, LineStatus, ReconciliationKind
from .models import Alert, BrokerageNote, Notification, Reconciliation, ReconciliationLine


class ReconciliationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReconciliationKind.choices, label=_("tipo"))
    portfolio = django_filters.ModelChoiceFilter(queryset=visible_portfolios, label=_("carteira"))
    as_of_from = django_filters.DateFilter(field_name="as_of", lookup_expr="gte", label=_("de (data)"))
    as_of_to = django_filters.DateFilter(field_name="as_of", lookup_expr="lte", label=_("até (data)"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("com pendências"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = Reconciliation
        fields = ["kind", "portfolio", "as_of_from", "as_of_to", "open", "owner"]

    def filter_open(self, queryset, name, value):
        pending = Q(differences__gt=0) | Q(only_statement__gt=0) | Q(only_books__gt=0)
        return queryset.filter(pending) if value else queryset.exclude(pending)


class ReconciliationLineFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=LineStatus.choices, label=_("situação"))
    cause = django_filters.MultipleChoiceFilter(choices=LikelyCause.choices[1:], label=_("causa provável"))
    broker = django_filters.ModelChoiceFilter(queryset=Broker.objects.all(), label=_("corretora"))
    ticker = django_filters.CharFilter(lookup_expr="iexact", label=_("código"))

    class Meta:
        model = ReconciliationLine
        fields = ["status", "cause", "broker", "ticker"]


class BrokerageNoteFilter(django_filters.FilterSet):
    portfolio = django_filters.ModelChoiceFilter(queryset=visible_portfolios, label=_("carteira"))
    broker = django_filters.ModelChoiceFilter(queryset=Broker.objects.all(), label=_("corretora"))
    number = django_filters.CharFilter(label=_("número"))
    date_from = django_filters.DateFilter(field_name="trade_date", lookup_expr="gte", label=_("de (pregão)"))
    date_to = django_filters.DateFilter(field_name="trade_date", lookup_expr="lte", label=_("até (pregão)"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = BrokerageNote
        fields = ["portfolio", "broker", "number", "date_from", "date_to", "owner"]


class AlertFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AlertKind.choices, label=_("tipo"))
    asset = django_filters.ModelChoiceFilter(queryset=Asset.objects.all(), label=_("ativo"))
    portfolio = django_filters.ModelChoiceFilter(queryset=visible_portfolios, label=_("carteira"))
    active = django_filters.BooleanFilter(label=_("ativo"))
    triggered = django_filters.BooleanFilter(label=_("disparado"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = Alert
        fields = ["kind", "asset", "portfolio", "active", "triggered", "owner"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("não lidas"))
    kind = django_filters.MultipleChoiceFilter(choices=AlertKind.choices, label=_("tipo"))
    alert = IdFilter(field_name="alert_id", label=_("alerta (id)"))
    owner = IdFilter(field_name="owner_id", label=_("dono (id, só ADMIN)"))

    class Meta:
        model = Notification
        fields = ["unread", "kind", "alert", "owner"]

"""One FilterSet per model, used by the API (and mirrored by the admin's list filters)."""

import django_filters
from django.db.models import Q

from .choices import ErrorKind, ExecutionKind, ExecutionStatus, ProcessStatus
from .models import BillingClient, Carrier, Execution, InvoiceProcess
from .validators import only_digits


class CarrierFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Carrier
        fields = ["code", "active", "has_robot"]


class BillingClientFilter(django_filters.FilterSet):
    carrier = django_filters.CharFilter(field_name="carrier__code", lookup_expr="iexact", label="operadora (código)")
    cnpj = django_filters.CharFilter(method="filter_cnpj", label="CNPJ (com ou sem máscara)")
    search = django_filters.CharFilter(method="filter_search", label="busca")

    class Meta:
        model = BillingClient
        fields = ["carrier", "active", "cnpj", "unit", "service"]

    def filter_cnpj(self, queryset, name, value):
        return queryset.filter(cnpj__startswith=only_digits(value))

    def filter_search(self, queryset, name, value):
        digits = only_digits(value)
        q = Q(legal_name__icontains=value) | Q(sat_name__icontains=value) | Q(unit__icontains=value)
        if digits:
            q |= Q(cnpj__contains=digits)
        return queryset.filter(q)


class InvoiceProcessFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ProcessStatus.choices)
    carrier = django_filters.CharFilter(field_name="client__carrier__code", lookup_expr="iexact")
    late = django_filters.BooleanFilter(field_name="is_late", label="atrasado")
    search = django_filters.CharFilter(method="filter_search", label="busca")

    class Meta:
        model = InvoiceProcess
        fields = ["month", "status", "carrier", "client", "manual_upload", "sent_to_sat", "late"]

    def filter_search(self, queryset, name, value):
        digits = only_digits(value)
        q = Q(client__legal_name__icontains=value) | Q(sat_protocol__icontains=value)
        if digits:
            q |= Q(client__cnpj__contains=digits)
        return queryset.filter(q)


class ExecutionFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ExecutionKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    error_kind = django_filters.ChoiceFilter(choices=ErrorKind.choices)
    month = django_filters.CharFilter(field_name="process__month")
    carrier = django_filters.CharFilter(field_name="process__client__carrier__code", lookup_expr="iexact")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Execution
        fields = ["process", "kind", "status", "error_kind", "month", "carrier", "rpa_job_id"]

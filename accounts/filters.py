import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import User


class UserFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(field_name="is_active", label=_("ativo"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("papel"))
    search = django_filters.CharFilter(method="filter_search", label=_("busca (usuário, e-mail ou nome)"))

    class Meta:
        model = User
        fields = ["active", "role", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value) | Q(full_name__icontains=value))

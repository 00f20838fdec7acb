"""Opening balances, custody transfers and leilões de frações (saved and deleted through the services)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from exitus.admin_columns import money_column

from .. import services
from ..models import CustodyTransfer, FractionSale, OpeningPosition
from .base import ServiceAdmin, request_meta


def _owner_of(data, original):
    portfolio = data.get("portfolio") or getattr(original, "portfolio", None)
    return portfolio.owner if portfolio is not None else None


@admin.register(OpeningPosition)
class OpeningPositionAdmin(ServiceAdmin):
    """A position brought from elsewhere (quantity and average cost as of a date): no fake trades."""

    list_display = ("as_of", "owner", "portfolio", "broker", "asset", "quantity", "average_cost", "cost_basis_brl_br")
    cost_basis_brl_br = money_column("cost_basis_brl", _("custo total (BRL)"))
    list_filter = ("broker",)
    search_fields = ("owner__username", "asset__ticker", "portfolio__name")
    autocomplete_fields = ("portfolio", "broker", "asset")
    list_select_related = ("owner", "portfolio", "broker", "asset")
    fields = ("portfolio", "broker", "asset", "as_of", "quantity", "average_cost", "cost_basis_brl", "notes")
    date_hierarchy = "as_of"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["cost_basis_brl"].required = False
        form.base_fields["cost_basis_brl"].help_text = _("Obrigatório para ativo em moeda estrangeira.")
        return form

    def service_save(self, request, original, data, change):
        if change:
            return services.opening_position_update(
                opening=original, **data, actor=request.user, meta=request_meta(request)
            )
        return services.opening_position_create(
            owner=_owner_of(data, original), **data, actor=request.user, meta=request_meta(request)
        )

    def service_delete(self, request, obj):
        services.opening_position_delete(opening=obj, actor=request.user, meta=request_meta(request))


@admin.register(CustodyTransfer)
class CustodyTransferAdmin(ServiceAdmin):
    """Portabilidade: shares move between brokers keeping the taxpayer's preço médio."""

    list_display = ("date", "owner", "portfolio", "asset", "quantity", "from_broker", "to_broker", "source_file")
    list_filter = ("from_broker", "to_broker")
    search_fields = ("owner__username", "asset__ticker", "portfolio__name")
    autocomplete_fields = ("portfolio", "asset", "from_broker", "to_broker")
    list_select_related = ("owner", "portfolio", "asset", "from_broker", "to_broker")
    fields = ("portfolio", "asset", "from_broker", "to_broker", "date", "quantity", "notes")
    date_hierarchy = "date"

    def service_save(self, request, original, data, change):
        if change:
            return services.custody_transfer_update(
                item=original, **data, actor=request.user, meta=request_meta(request)
            )
        return services.custody_transfer_create(
            owner=_owner_of(data, original), **data, actor=request.user, meta=request_meta(request)
        )

    def service_delete(self, request, obj):
        services.custody_transfer_delete(item=obj, actor=request.user, meta=request_meta(request))


class FractionSaleForm(forms.ModelForm):
    class Meta:
        model = FractionSale
        fields = ("portfolio", "broker", "asset", "date", "amount", "quantity", "fx_rate", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].required = False
        self.fields["quantity"].help_text = _("Vazio: a fração pendente da posição nesta data.")
        self.fields["fx_rate"].required = False


@admin.register(FractionSale)
class FractionSaleAdmin(ServiceAdmin):
    """Leilão de frações: the pending fraction leaves with its cash, like a sale. Record, or delete."""

    form = FractionSaleForm
    list_display = ("date", "owner", "portfolio", "broker", "asset", "quantity", "amount_br", "event")
    amount_br = money_column("amount", _("valor"), currency_from="currency")
    search_fields = ("owner__username", "asset__ticker")
    autocomplete_fields = ("portfolio", "broker", "asset")
    list_select_related = ("owner", "portfolio", "broker", "asset", "event")
    date_hierarchy = "date"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, original, data, change):
        return services.fraction_sale_create(
            owner=_owner_of(data, original), **data, actor=request.user, meta=request_meta(request)
        )

    def service_delete(self, request, obj):
        services.fraction_sale_delete(item=obj, actor=request.user, meta=request_meta(request))

"""Cash movements (manual ones are edited here; those a trade or a dividend created are read-only)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CashMovement
from ..services.cash import MANUAL_KINDS
from .base import ServiceAdmin, money_cell, request_meta


class CashMovementForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("tipo"), choices=[(k.value, k.label) for k in MANUAL_KINDS])

    class Meta:
        model = CashMovement
        fields = (
            "owner",
            "broker",
            "destination_broker",
            "portfolio",
            "kind",
            "amount",
            "currency",
            "date",
            "description",
        )


@admin.register(CashMovement)
class CashMovementAdmin(ServiceAdmin):
    form = CashMovementForm
    list_display = ("date", "owner", "broker", "kind", "amount_cell", "destination_broker", "description")
    list_filter = ("kind", "currency", "broker")
    search_fields = ("owner__username", "description", "broker__name")
    autocomplete_fields = ("owner", "broker", "destination_broker", "portfolio")
    list_select_related = ("owner", "broker", "destination_broker")
    date_hierarchy = "date"
    readonly_fields = ("transaction", "dividend_receipt", "created_at", "updated_at")

    @admin.display(description=_("valor"), ordering="amount")
    def amount_cell(self, obj):
        return money_cell(obj.amount, obj.currency)

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.transaction_id or obj.dividend_receipt_id):
            return False
        return super().has_change_permission(request, obj)

    def service_save(self, request, original, data, change):
        data = dict(data)
        if change:
            data.pop("owner", None)
            return services.cash_movement_update(
                movement=original, **data, actor=request.user, meta=request_meta(request)
            )
        owner = data.pop("owner")
        return services.cash_movement_create(owner=owner, **data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.cash_movement_delete(movement=obj, actor=request.user, meta=request_meta(request))

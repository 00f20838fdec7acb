"""Positions (derived from trades and events: read-only, rebuilt on request)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import exports
from ..models import Position
from .base import DerivedAdmin, DerivedInline, export_action, money_cell, queue_rebuild


class PositionInline(DerivedInline):
    model = Position
    fields = ("asset", "broker", "quantity", "average_cost", "cost_basis", "realized_pnl", "last_trade_date")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset", "broker")


@admin.register(Position)
class PositionAdmin(DerivedAdmin):
    list_display = (
        "asset",
        "portfolio",
        "owner",
        "broker",
        "quantity",
        "average_cost",
        "cost_basis",
        "realized_cell",
        "last_trade_date",
    )
    list_filter = ("asset__asset_type", "asset__market", "broker")
    search_fields = ("asset__ticker", "portfolio__name", "owner__username")
    list_select_related = ("asset", "portfolio", "owner", "broker")
    actions = (
        "rebuild",
        export_action(exports.POSITION_COLUMNS, "posicoes", "csv"),
        export_action(exports.POSITION_COLUMNS, "posicoes", "xlsx"),
    )

    @admin.display(description=_("resultado realizado"), ordering="realized_pnl")
    def realized_cell(self, obj):
        return money_cell(obj.realized_pnl, obj.asset.currency)

    @admin.action(description=_("Reconstruir posições selecionadas"))
    def rebuild(self, request, queryset):
        queue_rebuild(self, request, set(queryset.values_list("owner_id", "asset_id")))

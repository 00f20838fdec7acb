"""Positions (derived from trades and events: read-only, rebuilt on request)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from exitus.admin_badges import coloured
from exitus.admin_columns import money_column

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
    cost_basis_br = money_column("cost_basis", _("custo total"), currency_from="asset.currency")
    """The custody view (per portfolio × broker). The taxpayer's preço médio — the one the income tax
    uses — is per CPF: ``GET /api/v1/positions/consolidated/`` and the monthly assessment's explanation."""

    list_display = (
        "asset",
        "portfolio",
        "owner",
        "broker",
        "quantity",
        "average_cost",
        "cost_basis_br",
        "realized_cell",
        "fraction_cell",
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

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": _("Posições — visão de custódia (por corretora; o preço médio do IR é por CPF)"),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("fração pendente"))
    def fraction_cell(self, obj):
        pending = obj.fraction_pending
        if not pending:
            return "—"
        return format_html("<strong>{}</strong>", coloured(f"{pending.normalize():f} {_('(leilão)')}", "warning"))

    @admin.display(description=_("resultado realizado (custódia)"), ordering="realized_pnl")
    def realized_cell(self, obj):
        return money_cell(obj.realized_pnl, obj.asset.currency)

    @admin.action(description=_("Reconstruir posições selecionadas"))
    def rebuild(self, request, queryset):
        queue_rebuild(self, request, set(queryset.values_list("owner_id", "asset_id")))

"""Brokers, assets and portfolios."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from exitus.admin_badges import badge

from .. import services
from ..models import Asset, Broker, Portfolio, Position, Transaction
from .base import ServiceAdmin, queue_rebuild, request_meta
from .positions import PositionInline


@admin.register(Broker)
class BrokerAdmin(ServiceAdmin):
    list_display = ("name", "kind", "country", "default_currency", "active")
    list_filter = ("kind", "country", "default_currency", "active")
    search_fields = ("name", "cnpj")
    readonly_fields = ("created_at", "updated_at")

    def service_save(self, request, original, data, change):
        return services.broker_save(broker=original, data=data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.broker_delete(broker=obj, actor=request.user, meta=request_meta(request))


@admin.register(Asset)
class AssetAdmin(ServiceAdmin):
    list_display = ("ticker", "name", "asset_type", "asset_class", "market", "currency", "delisted", "review_badge")
    list_filter = ("asset_type", "asset_class", "market", "currency", "delisted", "needs_review")
    search_fields = ("ticker", "name", "isin", "cnpj")
    readonly_fields = ("created_at", "updated_at")
    actions = ("mark_reviewed",)
    fieldsets = (
        (None, {"fields": ("ticker", "market", "name", "asset_type", "asset_class", "currency", "sector", "active")}),
        (_("Identificação"), {"fields": ("isin", "cnpj")}),
        (
            _("Fundamentos"),
            {
                "fields": (
                    "fundamentals_as_of",
                    ("dividend_yield", "pe_ratio", "pb_ratio", "roe", "beta"),
                    ("eps", "bvps", "dps", "fcf_per_share"),
                    ("ffo_per_share", "affo_per_share"),
                )
            },
        ),
        (_("Renda fixa"), {"fields": ("indexer", "rate", "face_value", "maturity_date"), "classes": ("collapse",)}),
        (_("Situação"), {"fields": ("delisted", "delisted_at", "needs_review", "review_note")}),
        (_("Datas"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("revisar"), ordering="needs_review", boolean=False)
    def review_badge(self, obj):
        if not obj.needs_review:
            return ""
        return badge(_("revisar"), "warning", title=obj.review_note)

    @admin.action(description=_("Marcar como revisados"))
    def mark_reviewed(self, request, queryset):
        count = 0
        for asset in queryset.filter(needs_review=True):
            services.asset_save(
                asset=asset,
                data={"needs_review": False, "review_note": ""},
                actor=request.user,
                meta=request_meta(request),
            )
            count += 1
        self.message_user(request, _("%(n)d ativo(s) marcados como revisados.") % {"n": count}, messages.SUCCESS)

    def service_save(self, request, original, data, change):
        return services.asset_save(asset=original, data=data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.asset_delete(asset=obj, actor=request.user, meta=request_meta(request))


@admin.register(Portfolio)
class PortfolioAdmin(ServiceAdmin):
    list_display = ("name", "owner", "active", "open_positions", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "owner__username", "owner__email")
    autocomplete_fields = ("owner",)
    list_select_related = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (PositionInline,)
    actions = ("rebuild",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_total=Count("positions"))

    @admin.display(description=_("posições"), ordering="open_total")
    def open_positions(self, obj):
        return obj.open_total

    @admin.action(description=_("Reconstruir posições das carteiras selecionadas"))
    def rebuild(self, request, queryset):
        pairs = set(Position.objects.filter(portfolio__in=queryset).values_list("owner_id", "asset_id"))
        pairs |= set(Transaction.objects.filter(portfolio__in=queryset).values_list("owner_id", "asset_id"))
        queue_rebuild(self, request, pairs)

    def service_save(self, request, original, data, change):
        data = dict(data)
        owner = data.pop("owner", None) or (original.owner if original else None)
        if owner is not None and change:
            data["owner"] = owner
        return services.portfolio_save(
            portfolio=original, owner=owner, data=data, actor=request.user, meta=request_meta(request)
        )

    def service_delete(self, request, obj):
        services.portfolio_delete(portfolio=obj, actor=request.user, meta=request_meta(request))

"""Dividends and what each holder received."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from exitus.admin_columns import money_column

from .. import exports, services
from ..models import Dividend, DividendReceipt
from .base import DerivedAdmin, DerivedInline, ServiceAdmin, export_action, request_meta


class ReceiptInline(DerivedInline):
    model = DividendReceipt
    fields = ("owner", "position", "quantity", "gross_amount", "tax_amount", "net_amount", "fx_rate", "paid")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "position__asset", "position__broker")


@admin.register(Dividend)
class DividendAdmin(ServiceAdmin):
    list_display = ("asset", "kind", "value_per_share", "currency", "data_com", "payment_date", "receipts_count")
    list_filter = ("kind", "currency", "data_com", "payment_date")
    search_fields = ("asset__ticker", "notes")
    autocomplete_fields = ("asset",)
    list_select_related = ("asset",)
    date_hierarchy = "data_com"
    readonly_fields = ("created_at", "updated_at")
    inlines = (ReceiptInline,)
    actions = ("credit_due",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(receipts_total=Count("receipts"))

    @admin.display(description=_("recebimentos"), ordering="receipts_total")
    def receipts_count(self, obj):
        return obj.receipts_total

    @admin.action(description=_("Creditar proventos com pagamento vencido (todos)"))
    def credit_due(self, request, queryset):
        counts = services.credit_due_dividends()
        self.message_user(
            request,
            _("%(paid)d recebimento(s) pagos, %(cash)d crédito(s) em caixa criados.")
            % {"paid": counts["receipts_paid"], "cash": counts["cash_movements_created"]},
            messages.SUCCESS,
        )

    def service_save(self, request, original, data, change):
        if change:
            return services.dividend_update(dividend=original, **data, actor=request.user, meta=request_meta(request))
        return services.dividend_create(**data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.dividend_delete(dividend=obj, actor=request.user, meta=request_meta(request))


@admin.register(DividendReceipt)
class DividendReceiptAdmin(DerivedAdmin):
    list_display = ("dividend", "owner", "position", "quantity", "gross_br", "tax_br", "net_br", "paid")
    gross_br = money_column("gross_amount", _("bruto"), currency_from="dividend.currency")
    tax_br = money_column("tax_amount", _("imposto retido"), currency_from="dividend.currency")
    net_br = money_column("net_amount", _("líquido"), currency_from="dividend.currency")
    list_filter = ("paid", "dividend__kind")
    search_fields = ("dividend__asset__ticker", "owner__username")
    list_select_related = ("dividend__asset", "owner", "position__asset", "position__broker", "position__portfolio")
    actions = (
        export_action(exports.RECEIPT_COLUMNS, "proventos", "csv"),
        export_action(exports.RECEIPT_COLUMNS, "proventos", "xlsx"),
    )

"""Admin of the tax part: the dated rule table (ADMIN edits) and the stored monthly assessments."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import MonthlyAssessment, TaxRule


def _is_admin(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.is_admin_role))


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin):
    """A change in the law is a new row (close the old one with ``valid_to``), never an edit of code."""

    list_display = ("key", "value", "valid_from", "valid_to", "legal_basis")
    list_filter = ("key",)
    search_fields = ("key", "legal_basis", "notes")
    ordering = ("key", "-valid_from")
    date_hierarchy = "valid_from"
    readonly_fields = ("created_at", "updated_at")

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and (_is_admin(request.user) or super().has_view_permission(request, obj))

    def has_add_permission(self, request):
        return _is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return _is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return _is_admin(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.rules_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.rules_changed()


@admin.register(MonthlyAssessment)
class MonthlyAssessmentAdmin(admin.ModelAdmin):
    list_display = (
        "owner",
        "month_label",
        "sales_total",
        "tax_due",
        "darf_amount",
        "crypto_darf_amount",
        "due_date",
        "filed_cell",
        "computed_at",
    )
    list_filter = ("month", ("filed_at", admin.EmptyFieldListFilter), "differs_from_filed")
    search_fields = ("owner__username", "owner__email")
    list_select_related = ("owner",)
    date_hierarchy = "month"
    actions = ["recompute"]
    fields = (
        "owner",
        "month",
        "sales_total",
        "tax_due",
        "darf_amount",
        "crypto_darf_amount",
        "due_date",
        "computed_at",
        "filed_at",
        "filed_by",
        "paid_on",
        "differs_from_filed",
        "pretty_data",
        "pretty_filed_data",
    )
    readonly_fields = fields

    @admin.display(description=_("mês"), ordering="month")
    def month_label(self, obj):
        return f"{obj.month:%m/%Y}"

    @admin.display(description=_("declarado"))
    def filed_cell(self, obj):
        if not obj.is_filed:
            return format_html('<span style="color:#475467">{}</span>', _("não"))
        if obj.differs_from_filed:
            return format_html('<strong style="color:#b42318">{}</strong>', _("sim — difere do atual"))
        return format_html('<span style="color:#067647">{}</span>', _("sim"))

    @admin.display(description=_("apuração"))
    def pretty_data(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))

    @admin.display(description=_("apuração declarada"))
    def pretty_filed_data(self, obj):
        if not obj.filed_data:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.filed_data, indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Recalcular a partir das transações"))
    def recompute(self, request, queryset):
        count = 0
        for row in queryset.select_related("owner"):
            services.assessment_store(owner=row.owner, month=row.month)
            count += 1
        self.message_user(
            request, ngettext("%d apuração recalculada.", "%d apurações recalculadas.", count) % count, messages.SUCCESS
        )

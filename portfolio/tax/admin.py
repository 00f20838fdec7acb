"""Admin of the tax part: the dated rule table (ADMIN edits) and the stored monthly assessments."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import audit_changes
from exitus.admin_badges import coloured
from exitus.admin_columns import money_column

from .. import invalidation
from . import selectors, services
from .models import MonthlyAssessment, TaxOpeningBalance, TaxRule


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
    sales_total_br = money_column("sales_total", _("vendas no mês"))
    tax_due_br = money_column("tax_due", _("imposto devido"))
    darf_amount_br = money_column("darf_amount", _("DARF 6015 a pagar"))
    crypto_darf_amount_br = money_column("crypto_darf_amount", _("DARF 4600 (cripto) a pagar"))
    list_display = (
        "owner",
        "month_label",
        "sales_total_br",
        "tax_due_br",
        "darf_amount_br",
        "crypto_darf_amount_br",
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
        "explanation",
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
            return coloured(_("não"), "muted")
        if obj.differs_from_filed:
            return format_html("<strong>{}</strong>", coloured(_("sim — difere do atual"), "danger"))
        return coloured(_("sim"), "success")

    @admin.display(description=_("explicação (como cada valor foi obtido)"))
    def explanation(self, obj):
        e = selectors.monthly_explanation(owner=obj.owner, month=obj.month)
        return render_explanation(e)

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


SALE_HEADERS = (
    _("data"),
    _("ativo"),
    _("corretora"),
    _("quantidade"),
    _("valor da venda"),
    _("custos"),
    _("preço médio usado"),
    _("custo"),
    _("resultado"),
)


def _sale_rows(sales):
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                s["date"],
                s["ticker"],
                s["broker"],
                f"{s['quantity'].normalize():f}",
                s["sale_value"],
                s["fees"],
                s["average_cost"],
                s["cost"],
                s["result"],
            )
            for s in sales
        ),
    )


def render_explanation(e: dict):
    """The monthly explanation as HTML tables (the same figures as ``tax/monthly/explain/``)."""
    head = format_html_join("", "<th>{}</th>", ((h,) for h in SALE_HEADERS))
    parts = []
    for name, basket in e["baskets"].items():
        parts.append(
            format_html(
                "<h3>{}</h3><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table><p>{}</p>",
                name,
                head,
                _sale_rows(basket["sales"]),
                basket["arithmetic"],
            )
        )
        if basket["exempt_sales"]:
            parts.append(
                format_html(
                    "<p>{}</p><table><tbody>{}</tbody></table>",
                    _("Vendas isentas (até o limite do mês):"),
                    _sale_rows(basket["exempt_sales"]),
                )
            )
    parts.append(format_html("<h3>{}</h3><p>{}</p>", _("Isenção"), e["exemption"]["test"]))
    irrf_lines = format_html_join(
        "",
        "<li>{} {} — {}: {} ({})</li>",
        (
            (line["date"], line.get("broker", ""), line["period"], line["amount"], line["source"])
            for line in e["irrf"]["lines"]
        ),
    )
    parts.append(
        format_html(
            "<h3>IRRF</h3><ul>{}</ul><p>{} {} · {} {} · {} {}</p>",
            irrf_lines,
            _("crédito anterior"),
            e["irrf"]["credit_in"],
            _("usado"),
            e["irrf"]["used"],
            _("a compensar"),
            e["irrf"]["credit_out"],
        )
    )
    parts.append(format_html("<h3>DARF 6015</h3><p>{}</p>", e["darf"]["arithmetic"]))
    if e["not_assessed"]:
        parts.append(
            format_html(
                "<h3>{}</h3><ul>{}</ul>",
                _("Não apurado"),
                format_html_join(
                    "", "<li>{} {}: {}</li>", ((n["date"], n["ticker"], n["reason"]) for n in e["not_assessed"])
                ),
            )
        )
    rules = format_html_join(
        "",
        "<li>{} = {} ({} → {}) — {}</li>",
        ((r["key"], r["value"], r["valid_from"], r["valid_to"] or "…", r["legal_basis"]) for r in e["rules"]),
    )
    parts.append(format_html("<h3>{}</h3><ul>{}</ul>", _("Regras aplicadas"), rules))
    return format_html_join("", "{}", ((p,) for p in parts))


@admin.register(TaxOpeningBalance)
class TaxOpeningBalanceAdmin(admin.ModelAdmin):
    """Losses per basket and IRRF credits of the year brought from elsewhere (enter the month's carry)."""

    list_display = ("owner", "month", "common_loss", "day_trade_loss", "fii_loss", "irrf_credit")
    search_fields = ("owner__username", "owner__email")
    autocomplete_fields = ("owner",)
    list_select_related = ("owner",)
    fields = ("owner", "month", "common_loss", "day_trade_loss", "fii_loss", "irrf_credit", "notes")
    AUDITED = ("month", "common_loss", "day_trade_loss", "fii_loss", "irrf_credit")

    def save_model(self, request, obj, form, change):
        with audit_changes(
            obj,
            self.AUDITED,
            action="portfolio.tax_opening.update" if change else "portfolio.tax_opening.create",
            actor=request.user,
            from_database=change,
            creating=not change,
        ):
            super().save_model(request, obj, form, change)
        invalidation.owner_changed(obj.owner_id)

    def delete_model(self, request, obj):
        owner_id = obj.owner_id
        super().delete_model(request, obj)
        invalidation.owner_changed(owner_id)

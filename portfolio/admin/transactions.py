"""Trades, with the import from a broker's spreadsheet (preview, then confirm)."""

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from exitus.admin_columns import money_column

from .. import exports, importers, services
from ..models import Broker, Portfolio, Transaction
from .base import (
    ServiceAdmin,
    attach_errors,
    export_action,
    queue_rebuild,
    request_meta,
    stash_upload,
    stashed_upload,
)

IMPORT_SALT = "portfolio.admin.import"


@admin.register(Transaction)
class TransactionAdmin(ServiceAdmin):
    net_amount_br = money_column("net_amount", _("valor líquido"), currency_from="currency")
    list_display = (
        "trade_date",
        "portfolio",
        "owner",
        "kind",
        "asset",
        "broker",
        "quantity",
        "unit_price",
        "net_amount_br",
    )
    list_filter = ("kind", "currency", "asset__asset_type", "broker")
    search_fields = ("asset__ticker", "portfolio__name", "owner__username", "notes", "import_hash", "source_file")
    autocomplete_fields = ("portfolio", "broker", "asset")
    list_select_related = ("portfolio", "owner", "asset", "broker")
    date_hierarchy = "trade_date"
    readonly_fields = (
        "owner",
        "gross_amount",
        "total_costs",
        "net_amount",
        "import_hash",
        "source_file",
        "created_at",
        "updated_at",
    )
    actions = (
        "rebuild",
        export_action(exports.TRANSACTION_COLUMNS, "transacoes", "csv"),
        export_action(exports.TRANSACTION_COLUMNS, "transacoes", "xlsx"),
    )
    change_list_template = "admin/portfolio/transaction/change_list.html"

    def service_save(self, request, original, data, change):
        if change:
            return services.transaction_update(
                tx=original, changes=data, actor=request.user, meta=request_meta(request)
            )
        return services.transaction_create(
            data=services.TradeInput(**data), actor=request.user, meta=request_meta(request)
        )

    def service_delete(self, request, obj):
        services.transaction_delete(tx=obj, actor=request.user, meta=request_meta(request))

    def delete_queryset(self, request, queryset):
        services.transactions_delete(ids=list(queryset.values_list("pk", flat=True)), actor=request.user)

    @admin.action(description=_("Reconstruir posições dos ativos selecionados"))
    def rebuild(self, request, queryset):
        queue_rebuild(self, request, set(queryset.values_list("owner_id", "asset_id")))

    # --- import -------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="portfolio_transaction_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Importar operações")}
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm_import(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                report = importers.run(
                    content=content,
                    file_name=upload.name,
                    portfolio=form.cleaned_data["portfolio"],
                    source=form.cleaned_data["source"],
                    default_broker=form.cleaned_data["broker"],
                    dry_run=True,
                    fill_b3_fees=form.cleaned_data["fill_b3_fees"],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                token = stash_upload(
                    content,
                    folder="imports",
                    salt=IMPORT_SALT,
                    name=upload.name,
                    portfolio=form.cleaned_data["portfolio"].pk,
                    source=form.cleaned_data["source"],
                    broker=form.cleaned_data["broker"].pk if form.cleaned_data["broker"] else None,
                    fill=form.cleaned_data["fill_b3_fees"],
                )
                context.update(report=report.as_dict(), token=token)
        context["form"] = form
        return TemplateResponse(request, "admin/portfolio/transaction/import.html", context)

    def _confirm_import(self, request):
        try:
            with stashed_upload(request.POST["token"], salt=IMPORT_SALT) as (job, content):
                report = importers.run(
                    content=content,
                    file_name=job["name"],
                    portfolio=Portfolio.objects.get(pk=job["portfolio"]),
                    source=job["source"],
                    default_broker=Broker.objects.filter(pk=job["broker"]).first() if job["broker"] else None,
                    dry_run=False,
                    fill_b3_fees=job["fill"],
                    actor=request.user,
                    meta=request_meta(request),
                )
        except signing.BadSignature:
            self.message_user(request, _("Pré-visualização expirada: envie o arquivo de novo."), messages.ERROR)
            return redirect("admin:portfolio_transaction_import")
        if report.errors:
            self.message_user(request, _("Nada importado: %(n)d erro(s).") % {"n": len(report.errors)}, messages.ERROR)
            return redirect("admin:portfolio_transaction_import")
        self.message_user(request, _("%(n)d operações importadas.") % {"n": report.created}, messages.SUCCESS)
        return redirect("admin:portfolio_transaction_changelist")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("arquivo (XLSX ou CSV)"))
    portfolio = forms.ModelChoiceField(queryset=Portfolio.objects.select_related("owner"), label=_("carteira"))
    source = forms.ChoiceField(
        label=_("formato"),
        choices=importers.SOURCE_CHOICES,
    )
    broker = forms.ModelChoiceField(
        queryset=Broker.objects.all(), required=False, label=_("corretora padrão (linhas sem instituição)")
    )
    fill_b3_fees = forms.BooleanField(required=False, label=_("preencher taxas da B3 ausentes"))

"""The operators' home for investment data. Thin: every write goes through ``portfolio.services``.

Forms validate by running the service in a savepoint that is rolled back (so a refused trade
shows its field errors on the form); ``save_model`` then runs it for real. Derived data
(positions, receipts, generated cash) is read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import RequestMeta

from . import exports, importers, services
from .models import (
    Asset,
    Broker,
    CashMovement,
    CorporateEvent,
    Dividend,
    DividendReceipt,
    Portfolio,
    Position,
    Transaction,
)
from .services.cash import MANUAL_KINDS
from .tasks import rebuild_positions

IMPORT_SALT = "portfolio.admin.import"


class _Rollback(Exception):
    pass


def _meta(request):
    return RequestMeta.from_request(request)


def _money_cell(value, currency=""):
    colour = "#067647" if value > 0 else "#b42318" if value < 0 else "#475467"
    return format_html('<span style="color:{}">{} {}</span>', colour, f"{value:,.2f}", currency)


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through ``service_save`` / ``service_delete``; service errors land on the form."""

    def service_save(self, request, original, data: dict, change: bool):
        raise NotImplementedError

    def service_delete(self, request, obj):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                data = {name: cleaned[name] for name in self.changed_data if name in cleaned} if change else cleaned
                try:
                    with transaction.atomic():
                        model_admin.service_save(request, obj, data, change)
                        raise _Rollback
                except _Rollback:
                    pass
                except ValidationError as exc:
                    _attach(self, exc)
                return cleaned

        return ServiceForm

    def save_model(self, request, obj, form, change):
        original = type(obj).objects.get(pk=obj.pk) if change else None
        data = {n: form.cleaned_data[n] for n in form.changed_data} if change else dict(form.cleaned_data)
        saved = self.service_save(request, original, data, change)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id]))


def _attach(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            messages_ = [m for e in errors for m in e.messages]
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, exc.messages)


def _export_action(columns, name, fmt):
    def action(modeladmin, request, queryset):
        content, media_type = exports.render(fmt, columns, queryset, title=name)
        response = HttpResponse(content, content_type=media_type)
        response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"'
        return response

    action.__name__ = f"export_{name}_{fmt}"
    action.short_description = _("Exportar selecionados (%(fmt)s)") % {"fmt": fmt.upper()}
    return action


def _queue_rebuild(modeladmin, request, pairs):
    owners = {owner for owner, _asset in pairs}
    for owner_id, asset_id in sorted(pairs):
        transaction.on_commit(lambda o=owner_id, a=asset_id: rebuild_positions.delay(owner_id=o, asset_id=a))
    modeladmin.message_user(
        request,
        ngettext(
            "Reconstrução enfileirada para %(pairs)d par dono × ativo (%(owners)d dono).",
            "Reconstrução enfileirada para %(pairs)d pares dono × ativo (%(owners)d donos).",
            len(pairs),
        )
        % {"pairs": len(pairs), "owners": len(owners)},
        messages.SUCCESS,
    )


# --- catalogues ----------------------------------------------------------------------------


@admin.register(Broker)
class BrokerAdmin(ServiceAdmin):
    list_display = ("name", "kind", "country", "default_currency", "active")
    list_filter = ("kind", "country", "default_currency", "active")
    search_fields = ("name", "cnpj")
    readonly_fields = ("created_at", "updated_at")

    def service_save(self, request, original, data, change):
        return services.broker_save(broker=original, data=data, actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.broker_delete(broker=obj, actor=request.user, meta=_meta(request))


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
        return format_html(
            '<span title="{}" style="color:#fff;background:#b54708;padding:2px 8px;border-radius:8px">{}</span>',
            obj.review_note,
            _("revisar"),
        )

    @admin.action(description=_("Marcar como revisados"))
    def mark_reviewed(self, request, queryset):
        count = 0
        for asset in queryset.filter(needs_review=True):
            services.asset_save(
                asset=asset, data={"needs_review": False, "review_note": ""}, actor=request.user, meta=_meta(request)
            )
            count += 1
        self.message_user(request, _("%(n)d ativo(s) marcados como revisados.") % {"n": count}, messages.SUCCESS)

    def service_save(self, request, original, data, change):
        return services.asset_save(asset=original, data=data, actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.asset_delete(asset=obj, actor=request.user, meta=_meta(request))


@admin.register(CorporateEvent)
class CorporateEventAdmin(ServiceAdmin):
    list_display = ("asset", "kind", "event_date", "data_com", "ratio_display", "assigned_cost", "new_asset")
    list_filter = ("kind", "event_date")
    search_fields = ("asset__ticker", "new_asset__ticker", "notes")
    autocomplete_fields = ("asset", "new_asset")
    list_select_related = ("asset", "new_asset")
    date_hierarchy = "event_date"
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("proporção"))
    def ratio_display(self, obj):
        return obj.ratio

    def service_save(self, request, original, data, change):
        if change:
            return services.event_update(event=original, **data, actor=request.user, meta=_meta(request))
        return services.event_create(**data, actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.event_delete(event=obj, actor=request.user, meta=_meta(request))


class DerivedInline(admin.TabularInline):
    """Derived rows shown under their parent: read-only, never added or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


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
            return services.dividend_update(dividend=original, **data, actor=request.user, meta=_meta(request))
        return services.dividend_create(**data, actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.dividend_delete(dividend=obj, actor=request.user, meta=_meta(request))


# --- investor data -------------------------------------------------------------------------


class PositionInline(DerivedInline):
    model = Position
    fields = ("asset", "broker", "quantity", "average_cost", "cost_basis", "realized_pnl", "last_trade_date")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset", "broker")


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
        _queue_rebuild(self, request, pairs)

    def service_save(self, request, original, data, change):
        data = dict(data)
        owner = data.pop("owner", None) or (original.owner if original else None)
        if owner is not None and change:
            data["owner"] = owner
        return services.portfolio_save(
            portfolio=original, owner=owner, data=data, actor=request.user, meta=_meta(request)
        )

    def service_delete(self, request, obj):
        services.portfolio_delete(portfolio=obj, actor=request.user, meta=_meta(request))


@admin.register(Transaction)
class TransactionAdmin(ServiceAdmin):
    list_display = (
        "trade_date",
        "portfolio",
        "owner",
        "kind",
        "asset",
        "broker",
        "quantity",
        "unit_price",
        "net_amount",
        "currency",
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
        _export_action(exports.TRANSACTION_COLUMNS, "transacoes", "csv"),
        _export_action(exports.TRANSACTION_COLUMNS, "transacoes", "xlsx"),
    )
    change_list_template = "admin/portfolio/transaction/change_list.html"

    def service_save(self, request, original, data, change):
        if change:
            return services.transaction_update(tx=original, changes=data, actor=request.user, meta=_meta(request))
        return services.transaction_create(data=services.TradeInput(**data), actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.transaction_delete(tx=obj, actor=request.user, meta=_meta(request))

    def delete_queryset(self, request, queryset):
        services.transactions_delete(ids=list(queryset.values_list("pk", flat=True)), actor=request.user)

    @admin.action(description=_("Reconstruir posições dos ativos selecionados"))
    def rebuild(self, request, queryset):
        _queue_rebuild(self, request, set(queryset.values_list("owner_id", "asset_id")))

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
                _attach(form, exc)
            else:
                stored = default_storage.save(f"portfolio/imports/{get_random_string(16)}.upload", ContentFile(content))
                token = signing.dumps(
                    {
                        "path": stored,
                        "name": upload.name,
                        "portfolio": form.cleaned_data["portfolio"].pk,
                        "source": form.cleaned_data["source"],
                        "broker": form.cleaned_data["broker"].pk if form.cleaned_data["broker"] else None,
                        "fill": form.cleaned_data["fill_b3_fees"],
                    },
                    salt=IMPORT_SALT,
                )
                context.update(report=report.as_dict(), token=token)
        context["form"] = form
        return TemplateResponse(request, "admin/portfolio/transaction/import.html", context)

    def _confirm_import(self, request):
        try:
            job = signing.loads(request.POST["token"], salt=IMPORT_SALT, max_age=3600)
        except signing.BadSignature:
            self.message_user(request, _("Pré-visualização expirada: envie o arquivo de novo."), messages.ERROR)
            return redirect("admin:portfolio_transaction_import")
        with default_storage.open(job["path"], "rb") as handle:
            content = handle.read()
        try:
            report = importers.run(
                content=content,
                file_name=job["name"],
                portfolio=Portfolio.objects.get(pk=job["portfolio"]),
                source=job["source"],
                default_broker=Broker.objects.filter(pk=job["broker"]).first() if job["broker"] else None,
                dry_run=False,
                fill_b3_fees=job["fill"],
                actor=request.user,
                meta=_meta(request),
            )
        finally:
            default_storage.delete(job["path"])
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


class DerivedAdmin(admin.ModelAdmin):
    """Rows derived from trades: never added, edited or deleted here directly.

    Delete permission stays on so that deleting their source (a trade, a portfolio, a dividend)
    is not blocked by the admin's cascade check; the direct delete view and action are refused.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


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
        _export_action(exports.POSITION_COLUMNS, "posicoes", "csv"),
        _export_action(exports.POSITION_COLUMNS, "posicoes", "xlsx"),
    )

    @admin.display(description=_("resultado realizado"), ordering="realized_pnl")
    def realized_cell(self, obj):
        return _money_cell(obj.realized_pnl, obj.asset.currency)

    @admin.action(description=_("Reconstruir posições selecionadas"))
    def rebuild(self, request, queryset):
        _queue_rebuild(self, request, set(queryset.values_list("owner_id", "asset_id")))


@admin.register(DividendReceipt)
class DividendReceiptAdmin(DerivedAdmin):
    list_display = ("dividend", "owner", "position", "quantity", "gross_amount", "tax_amount", "net_amount", "paid")
    list_filter = ("paid", "dividend__kind")
    search_fields = ("dividend__asset__ticker", "owner__username")
    list_select_related = ("dividend__asset", "owner", "position__asset", "position__broker", "position__portfolio")
    actions = (
        _export_action(exports.RECEIPT_COLUMNS, "proventos", "csv"),
        _export_action(exports.RECEIPT_COLUMNS, "proventos", "xlsx"),
    )


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
        return _money_cell(obj.amount, obj.currency)

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.transaction_id or obj.dividend_receipt_id):
            return False
        return super().has_change_permission(request, obj)

    def service_save(self, request, original, data, change):
        data = dict(data)
        if change:
            data.pop("owner", None)
            return services.cash_movement_update(movement=original, **data, actor=request.user, meta=_meta(request))
        owner = data.pop("owner")
        return services.cash_movement_create(owner=owner, **data, actor=request.user, meta=_meta(request))

    def service_delete(self, request, obj):
        services.cash_movement_delete(movement=obj, actor=request.user, meta=_meta(request))


from .analytics.admin import PortfolioEvolutionAdmin  # noqa: E402, F401 - registers the analytics and tax admin

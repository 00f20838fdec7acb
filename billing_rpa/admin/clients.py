"""Carriers and billing clients: masked credentials, and the CSV import (preview, then confirm)."""

import hashlib
import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.audit import RequestMeta

from .. import importers, selectors, services
from ..models import BillingClient, Carrier
from ..validators import format_cnpj, normalize_cnpj, normalize_cpf
from .base import BillingAdminMixin

# The file waiting for confirmation sits in the operator's session (it never travels back and forth).
IMPORT_SESSION_KEY = "billing_client_import"
IMPORT_PREVIEW_MAX_BYTES = 5 * 1024 * 1024


@admin.register(Carrier)
class CarrierAdmin(BillingAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "has_robot", "active", "robot_class", "client_count")
    list_filter = ("active", "has_robot")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return selectors.carrier_list(viewer=request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "portal_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("clientes"), ordering="client_count")
    def client_count(self, obj):
        return obj.client_count

    def save_model(self, request, obj, form, change):
        saved = services.carrier_save(
            carrier=obj, data=form.cleaned_data, actor=request.user, meta=RequestMeta.from_request(request)
        )
        obj.pk = saved.pk


class BillingClientForm(forms.ModelForm):
    cnpj = forms.CharField(label=_("CNPJ"), max_length=18)
    cpf = forms.CharField(label=_("CPF"), max_length=14, required=False)
    portal_password = forms.CharField(
        label=_("senha do portal"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Somente escrita: nunca é exibida. Deixe em branco para manter a atual."),
    )
    clear_portal_password = forms.BooleanField(label=_("apagar a senha do portal"), required=False)

    class Meta:
        model = BillingClient
        fields = services.CLIENT_FIELDS

    def clean_cnpj(self):
        return normalize_cnpj(self.cleaned_data["cnpj"])

    def clean_cpf(self):
        return normalize_cpf(self.cleaned_data.get("cpf", ""))


class ImportClientsForm(forms.Form):
    file = forms.FileField(label=_("arquivo CSV"), help_text=_("UTF-8, separado por vírgula ou ponto e vírgula."))


@admin.register(BillingClient)
class BillingClientAdmin(BillingAdminMixin, admin.ModelAdmin):
    form = BillingClientForm
    change_list_template = "admin/billing_rpa/billingclient/change_list.html"
    list_display = (
        "legal_name",
        "cnpj_display",
        "carrier",
        "unit",
        "service",
        "portal_login",
        "password_status",
        "active",
    )
    list_filter = ("carrier", "active", "service")
    search_fields = ("legal_name", "sat_name", "cnpj", "unit", "portal_login")
    list_select_related = ("carrier",)
    autocomplete_fields = ("carrier",)
    readonly_fields = ("password_status", "unique_hash", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("legal_name", "sat_name", "cnpj", "carrier", "unit", "service", "name_filter", "active")}),
        (_("SAT"), {"fields": ("sat_data",)}),
        (
            _("Portal da operadora"),
            {"fields": ("portal_login", "password_status", "portal_password", "clear_portal_password", "cpf")},
        ),
        (_("Controle"), {"fields": ("unique_hash", "created_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        return self.has_operate_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_operate_permission(request)

    @admin.display(description=_("CNPJ"), ordering="cnpj")
    def cnpj_display(self, obj):
        return format_cnpj(obj.cnpj)

    @admin.display(description=_("senha do portal"))
    def password_status(self, obj):
        return "••••••••" if obj and obj.has_portal_password else _("não definida")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.CLIENT_FIELDS if name in form.cleaned_data}
        password = form.cleaned_data.get("portal_password") or None
        if form.cleaned_data.get("clear_portal_password"):
            password = ""
        saved = services.client_save(
            client=obj if change else None,
            data=data,
            portal_password=password,
            actor=request.user,
            meta=RequestMeta.from_request(request),
        )
        obj.pk = saved.pk

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import-csv/", view(self.import_csv_view), name="billing_rpa_billingclient_import"),
            path("import-csv/modelo/", view(self.import_template_view), name="billing_rpa_billingclient_template"),
            *super().get_urls(),
        ]

    def _carrier_codes(self):
        return list(Carrier.objects.filter(active=True).order_by("code").values_list("code", flat=True))

    def import_template_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            importers.import_template_csv(self._carrier_codes()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="modelo-clientes.csv"'
        return response

    def import_csv_view(self, request):
        """Step 1: choose the file → a validation report (nothing written). Step 2: confirm the same
        file (kept in the session under a one-time token) → written, with the final report."""
        if not self.has_operate_permission(request):
            raise PermissionDenied
        report, pending, form = None, None, ImportClientsForm()
        meta = RequestMeta.from_request(request)
        if request.method == "POST" and request.POST.get("confirm"):
            staged = request.session.get(IMPORT_SESSION_KEY) or {}
            if not staged or not secrets.compare_digest(str(staged.get("token")), request.POST.get("confirm", "")):
                self.message_user(request, _("A pré-visualização expirou; escolha o arquivo de novo."), messages.ERROR)
                return HttpResponseRedirect(request.path)
            request.session.pop(IMPORT_SESSION_KEY, None)
            try:
                report = importers.clients_import_csv(
                    raw=staged["content"], dry_run=False, actor=request.user, meta=meta
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, _("Importação concluída: %(summary)s.") % {"summary": _summary(report)})
        elif request.method == "POST":
            form = ImportClientsForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > IMPORT_PREVIEW_MAX_BYTES:
                    form.add_error("file", _("Arquivo grande demais para a pré-visualização (máximo 5 MB)."))
                else:
                    raw = upload.read()
                    try:
                        report = importers.clients_import_csv(raw=raw, dry_run=True, actor=request.user, meta=meta)
                    except ValidationError as exc:
                        form.add_error("file", exc.messages)
                    else:
                        pending = {
                            "token": secrets.token_urlsafe(16),
                            "name": upload.name[:200],
                            "sha256": hashlib.sha256(raw).hexdigest(),
                            "content": importers.decode_csv(raw),
                        }
                        request.session[IMPORT_SESSION_KEY] = pending
        context = self._context(
            request,
            title=_("Importar clientes (CSV)"),
            form=form,
            report=_with_labels(report) if report else None,
            pending=pending,
            columns=list(importers.IMPORT_COLUMNS),
            required=list(importers.IMPORT_REQUIRED),
            carrier_codes=self._carrier_codes(),
        )
        return TemplateResponse(request, "admin/billing_rpa/import_clients.html", context)


def _summary(report) -> str:
    counts = report["counts"]
    return ", ".join(f"{counts.get(key, 0)} {label}" for key, label in importers.IMPORT_STATUS_LABELS.items())


def _with_labels(report) -> dict:
    """The report with Portuguese words: row results and the CSV column of each error."""
    rows = [
        {
            **row,
            "status_label": importers.IMPORT_STATUS_LABELS.get(row["status"], row["status"]),
            "errors": {importers.FIELD_COLUMNS.get(name, name): errs for name, errs in row["errors"].items()},
        }
        for row in report["rows"]
    ]
    counts = [
        (importers.IMPORT_STATUS_LABELS[key], report["counts"].get(key, 0)) for key in importers.IMPORT_STATUS_LABELS
    ]
    return {**report, "rows": rows, "count_labels": counts}

"""The operators' console: carriers, clients (masked credentials, CSV import), processes with
coloured status and bulk actions, executions with their logs, notifications, a month overview.

Every change goes through ``services``; long work is queued after commit, never run here.
Billing staff are the ``Aprovador``/``Operador`` groups (their permissions are
``billing_rpa.*``, see ``groups``), so this module maps those permissions onto the admin's own checks.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import RequestMeta

from . import importers, selectors, services, storage
from .choices import ExecutionStatus, ProcessStatus
from .models import BillingClient, BillingNotification, Carrier, Execution, ExecutionLogLine, InvoiceProcess
from .notifications import notification_mark_read
from .selectors import PERM_APPROVE, PERM_OPERATE, PERM_UPLOAD, can_see_billing
from .validators import MONTH_RE, format_cnpj, normalize_cnpj, normalize_cpf

PROCESS_COLOURS = {
    ProcessStatus.AGUARDANDO_DOWNLOAD: "#b54708",
    ProcessStatus.AGUARDANDO_APROVACAO: "#175cd3",
    ProcessStatus.AGUARDANDO_ENVIO_SAT: "#6941c6",
    ProcessStatus.UPLOAD_REALIZADO: "#067647",
}
EXECUTION_COLOURS = {
    ExecutionStatus.EXECUTANDO: "#175cd3",
    ExecutionStatus.CONCLUIDO: "#067647",
    ExecutionStatus.FALHOU: "#b42318",
    ExecutionStatus.TENTANDO_NOVAMENTE: "#b54708",
    ExecutionStatus.CANCELADO: "#667085",
    ExecutionStatus.TIMEOUT: "#c11574",
}
BADGE = '<span style="color:#fff;background:{};padding:2px 8px;border-radius:8px;white-space:nowrap">{}</span>'


def badge(colour, text):
    return format_html(BADGE, colour, text)


def _perm(request, perm):
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.has_perm(perm))


class BillingAdminMixin:
    """Billing staff see everything here; what they may change depends on their group."""

    def has_module_permission(self, request):
        return request.user.is_staff and can_see_billing(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # Permissions named in @admin.action(permissions=[...]).
    def has_operate_permission(self, request):
        return _perm(request, PERM_OPERATE)

    def has_approve_permission(self, request):
        return _perm(request, PERM_APPROVE)

    def has_upload_permission(self, request):
        return _perm(request, PERM_UPLOAD)

    def _run_each(self, request, queryset, call, done_msg):
        """Call a service per object; report how many worked and why the others did not."""
        meta = RequestMeta.from_request(request)
        done, refused = 0, []
        for obj in queryset:
            try:
                call(obj, meta)
                done += 1
            except ValidationError as exc:
                refused.append(f"{obj}: {exc.messages[0]}")
        if done:
            self.message_user(request, done_msg(done), messages.SUCCESS)
        if refused:
            shown = "; ".join(refused[:5]) + (" …" if len(refused) > 5 else "")
            self.message_user(
                request,
                ngettext("%(n)d ignorado: %(why)s", "%(n)d ignorados: %(why)s", len(refused))
                % {"n": len(refused), "why": shown},
                messages.WARNING,
            )


# --- carriers ------------------------------------------------------------------


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


# --- clients ---------------------------------------------------------------------


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
    file = forms.FileField(label=_("arquivo CSV"))
    dry_run = forms.BooleanField(label=_("somente validar (não gravar)"), required=False, initial=True)


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
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="billing_rpa_billingclient_import",
            ),
            *super().get_urls(),
        ]

    def import_csv_view(self, request):
        if not self.has_operate_permission(request):
            raise PermissionDenied
        report = None
        form = ImportClientsForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = importers.clients_import_csv(
                    raw=form.cleaned_data["file"].read(),
                    dry_run=form.cleaned_data["dry_run"],
                    actor=request.user,
                    meta=RequestMeta.from_request(request),
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Importar clientes (CSV)"),
            "form": form,
            "report": report,
            "columns": list(importers.IMPORT_COLUMNS),
        }
        return TemplateResponse(request, "admin/billing_rpa/import_clients.html", context)


# --- processes -------------------------------------------------------------------


class MonthListFilter(admin.SimpleListFilter):
    title = _("mês/ano")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = InvoiceProcess.objects.order_by("-period").values_list("month", flat=True).distinct()[:36]
        return [(m, m) for m in months]

    def queryset(self, request, queryset):
        return queryset.filter(month=self.value()) if self.value() else queryset


class LateListFilter(admin.SimpleListFilter):
    title = _("atraso")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("1", _("Atrasados")), ("0", _("Em dia"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_late=self.value() == "1")
        return queryset


class ExecutionInline(admin.TabularInline):
    model = Execution
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "kind",
        "attempt",
        "status_badge",
        "error_kind",
        "rpa_job_id",
        "started_at",
        "finished_at",
        "triggered_by",
    )
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return can_see_billing(request.user)

    @admin.display(description=_("status"))
    def status_badge(self, obj):
        return badge(EXECUTION_COLOURS.get(obj.status, "#667085"), obj.get_status_display())


class UploadInvoiceForm(forms.Form):
    file = forms.FileField(label=_("PDF da fatura"))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("motivo"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(InvoiceProcess)
class InvoiceProcessAdmin(BillingAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/billing_rpa/invoiceprocess/change_list.html"
    change_form_template = "admin/billing_rpa/invoiceprocess/change_form.html"
    list_display = (
        "client",
        "carrier_code",
        "month",
        "status_badge",
        "due_date",
        "amount",
        "invoice_link",
        "approved_by",
        "sent_to_sat",
        "download_attempts",
        "late_flag",
    )
    list_filter = (
        MonthListFilter,
        "status",
        ("client__carrier", admin.RelatedOnlyFieldListFilter),
        LateListFilter,
        "manual_upload",
    )
    search_fields = ("client__legal_name", "client__cnpj", "sat_protocol")
    list_select_related = ("client__carrier", "approved_by")
    inlines = (ExecutionInline,)
    list_per_page = 50
    actions = ("action_download", "action_approve", "action_send_to_sat", "action_cancel", "action_retry")
    readonly_fields = (
        "client",
        "month",
        "status_badge",
        "invoice_link",
        "invoice_filename",
        "invoice_sha256",
        "invoice_size",
        "invoice_key",
        "invoice_url",
        "due_date",
        "amount",
        "approved_by",
        "approved_at",
        "sent_to_sat",
        "sat_sent_at",
        "sat_protocol",
        "download_attempts",
        "sat_attempts",
        "manual_upload",
        "auto_created",
        "notes",
        "uuid",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("client", "month", "status_badge", "notes")}),
        (
            _("Fatura"),
            {
                "fields": (
                    "invoice_link",
                    "invoice_filename",
                    "due_date",
                    "amount",
                    "invoice_sha256",
                    "invoice_size",
                    "invoice_key",
                    "invoice_url",
                )
            },
        ),
        (
            _("Aprovação e SAT"),
            {"fields": ("approved_by", "approved_at", "sent_to_sat", "sat_sent_at", "sat_protocol")},
        ),
        (
            _("Controle"),
            {
                "fields": (
                    "download_attempts",
                    "sat_attempts",
                    "manual_upload",
                    "auto_created",
                    "uuid",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_queryset(self, request):
        return selectors.process_list(viewer=request.user)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("operadora"), ordering="client__carrier__code")
    def carrier_code(self, obj):
        return obj.client.carrier.code

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(PROCESS_COLOURS.get(obj.status, "#667085"), obj.get_status_display())

    @admin.display(description=_("fatura"))
    def invoice_link(self, obj):
        if not obj.invoice_key:
            return "—"
        url = reverse("admin:billing_rpa_invoiceprocess_invoice", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("PDF"))

    @admin.display(description=_("atrasado"), boolean=True, ordering="is_late")
    def late_flag(self, obj):
        return bool(getattr(obj, "is_late", False))

    # bulk actions: each calls a service per process and reports counts

    @admin.action(description=_("Baixar faturas (robô)"), permissions=["operate"])
    def action_download(self, request, queryset):
        self._run_each(
            request,
            queryset,
            lambda p, meta: services.process_request_download(process=p, actor=request.user, meta=meta),
            lambda n: ngettext("%d download enfileirado.", "%d downloads enfileirados.", n) % n,
        )

    @admin.action(description=_("Aprovar faturas"), permissions=["approve"])
    def action_approve(self, request, queryset):
        self._run_each(
            request,
            queryset,
            lambda p, meta: services.process_approve(process=p, actor=request.user, meta=meta),
            lambda n: ngettext("%d fatura aprovada.", "%d faturas aprovadas.", n) % n,
        )

    @admin.action(description=_("Enviar ao SAT"), permissions=["operate"])
    def action_send_to_sat(self, request, queryset):
        self._run_each(
            request,
            queryset,
            lambda p, meta: services.process_request_sat_upload(process=p, actor=request.user, meta=meta),
            lambda n: ngettext("%d envio ao SAT enfileirado.", "%d envios ao SAT enfileirados.", n) % n,
        )

    @admin.action(description=_("Cancelar execuções em andamento"), permissions=["operate"])
    def action_cancel(self, request, queryset):
        running = selectors.executions_running().filter(process__in=queryset)
        self._run_each(
            request,
            running,
            lambda e, meta: services.execution_cancel(execution=e, actor=request.user, meta=meta),
            lambda n: ngettext("%d execução cancelada.", "%d execuções canceladas.", n) % n,
        )

    @admin.action(description=_("Repetir a última etapa que falhou"), permissions=["operate"])
    def action_retry(self, request, queryset):
        latest = [step for step in map(services.process_retry_target, queryset) if step is not None]
        self._run_each(
            request,
            latest,
            lambda e, meta: services.execution_retry(execution=e, actor=request.user, meta=meta),
            lambda n: ngettext("%d nova tentativa enfileirada.", "%d novas tentativas enfileiradas.", n) % n,
        )

    # extra pages: month overview, invoice download, manual upload, reject

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("overview/", view(self.overview_view), name="billing_rpa_invoiceprocess_overview"),
            path("<int:pk>/invoice/", view(self.invoice_view), name="billing_rpa_invoiceprocess_invoice"),
            path("<int:pk>/upload-invoice/", view(self.upload_view), name="billing_rpa_invoiceprocess_upload"),
            path("<int:pk>/reject/", view(self.reject_view), name="billing_rpa_invoiceprocess_reject"),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = request.POST.get("month") or request.GET.get("month") or services.current_month()
        if not MONTH_RE.match(month):
            self.message_user(request, _("Mês inválido (use MM/AAAA)."), messages.ERROR)
            month = services.current_month()
        if request.method == "POST":
            if not self.has_operate_permission(request):
                raise PermissionDenied
            result = services.process_create_month(
                month=month, actor=request.user, meta=RequestMeta.from_request(request)
            )
            self.message_user(
                request,
                _("%(month)s: %(created)d processos criados, %(existing)d já existiam.") % result,
                messages.SUCCESS,
            )
            return HttpResponseRedirect(f"{request.path}?month={month}")
        report = selectors.month_overview(month)
        context = self._context(
            request,
            title=_("Visão do mês %(month)s") % {"month": month},
            report=report,
            statuses=ProcessStatus.choices,
            colours=PROCESS_COLOURS,
            can_operate=self.has_operate_permission(request),
            pending_notifications=selectors.notification_list(viewer=request.user).filter(read_at__isnull=True)[:10],
        )
        return TemplateResponse(request, "admin/billing_rpa/month_overview.html", context)

    def invoice_view(self, request, pk):
        process = get_object_or_404(self.get_queryset(request), pk=pk)
        if not process.invoice_key:
            raise Http404(_("Este processo ainda não tem fatura."))
        try:
            handle = storage.open_invoice(process.invoice_key)
        except (FileNotFoundError, storage.StorageUnavailable) as exc:
            raise Http404(_("Arquivo da fatura indisponível.")) from exc
        filename = process.invoice_filename or services.invoice_filename(process)
        return FileResponse(handle, content_type="application/pdf", filename=filename)

    def upload_view(self, request, pk):
        if not self.has_upload_permission(request):
            raise PermissionDenied
        process = get_object_or_404(self.get_queryset(request), pk=pk)
        form = UploadInvoiceForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.process_upload_invoice(
                    process=process,
                    content=upload.read(),
                    filename=upload.name,
                    actor=request.user,
                    meta=RequestMeta.from_request(request),
                )
            except storage.StorageUnavailable:
                form.add_error("file", _("Armazenamento indisponível; nada foi alterado. Tente novamente."))
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                self.message_user(request, _("Fatura enviada; aguardando aprovação."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_rpa_invoiceprocess_change", args=[pk]))
        context = self._context(request, title=_("Enviar fatura: %(p)s") % {"p": process}, form=form, original=process)
        return TemplateResponse(request, "admin/billing_rpa/process_form.html", context)

    def reject_view(self, request, pk):
        if not self.has_approve_permission(request):
            raise PermissionDenied
        process = get_object_or_404(self.get_queryset(request), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.process_reject(
                    process=process,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    meta=RequestMeta.from_request(request),
                )
            except ValidationError as exc:
                form.add_error("reason", exc.messages)
            else:
                self.message_user(
                    request, _("Fatura recusada; o processo volta a aguardar download."), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:billing_rpa_invoiceprocess_change", args=[pk]))
        context = self._context(request, title=_("Recusar fatura: %(p)s") % {"p": process}, form=form, original=process)
        return TemplateResponse(request, "admin/billing_rpa/process_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_upload": self.has_upload_permission(request),
            "can_approve": self.has_approve_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)


# --- executions --------------------------------------------------------------------


class LogLineInline(admin.TabularInline):
    model = ExecutionLogLine
    extra = 0
    can_delete = False
    fields = ("seq", "timestamp", "level", "message")
    readonly_fields = fields
    ordering = ("seq",)
    max_num = 0

    def has_view_permission(self, request, obj=None):
        return can_see_billing(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Execution)
class ExecutionAdmin(BillingAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "process",
        "kind",
        "attempt",
        "status_badge",
        "error_kind",
        "rpa_job_id",
        "started_at",
        "finished_at",
        "triggered_by",
    )
    list_filter = ("kind", "status", "error_kind", ("process__client__carrier", admin.RelatedOnlyFieldListFilter))
    search_fields = ("rpa_job_id", "process__client__legal_name", "process__client__cnpj")
    list_select_related = ("process__client__carrier", "triggered_by")
    date_hierarchy = "created_at"
    inlines = (LogLineInline,)
    actions = ("action_cancel", "action_retry")
    readonly_fields = [f.name for f in Execution._meta.fields] + ["status_badge"]
    exclude = ()

    def get_queryset(self, request):
        return selectors.execution_list(viewer=request.user)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(EXECUTION_COLOURS.get(obj.status, "#667085"), obj.get_status_display())

    @admin.action(description=_("Cancelar execuções"), permissions=["operate"])
    def action_cancel(self, request, queryset):
        self._run_each(
            request,
            queryset,
            lambda e, meta: services.execution_cancel(execution=e, actor=request.user, meta=meta),
            lambda n: ngettext("%d execução cancelada.", "%d execuções canceladas.", n) % n,
        )

    @admin.action(description=_("Repetir execuções"), permissions=["operate"])
    def action_retry(self, request, queryset):
        self._run_each(
            request,
            queryset,
            lambda e, meta: services.execution_retry(execution=e, actor=request.user, meta=meta),
            lambda n: ngettext("%d nova tentativa enfileirada.", "%d novas tentativas enfileiradas.", n) % n,
        )


# --- notifications -------------------------------------------------------------------


@admin.register(BillingNotification)
class BillingNotificationAdmin(BillingAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "audience", "kind", "title", "emailed_to", "read_at")
    list_filter = ("audience", "kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "message")
    readonly_fields = (
        "audience",
        "kind",
        "title",
        "message",
        "process",
        "execution",
        "emailed_to",
        "read_at",
        "created_at",
    )
    actions = ("mark_read",)

    def get_queryset(self, request):
        return selectors.notification_list(viewer=request.user)

    @admin.action(description=_("Marcar como lidas"))
    def mark_read(self, request, queryset):
        count = notification_mark_read(queryset=queryset)
        self.message_user(request, ngettext("%d notificação lida.", "%d notificações lidas.", count) % count)

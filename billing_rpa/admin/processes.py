"""Invoice processes: the list (current step, lateness), the process page (legal-only buttons,
inline PDF, a read-only timeline of attempts), the month overview, manual upload and rejection."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts.audit import RequestMeta
from exitus.admin_badges import badge
from exitus.admin_columns import seconds_column
from exitus.formats import money_br, parse_money_br

from .. import reports, selectors, services, storage
from ..choices import KIND_SOURCE_STATUS, ExecutionKind, ExecutionStatus, ProcessStatus
from ..models import Carrier, InvoiceProcess
from ..validators import MONTH_RE
from .base import DONE, EXECUTION_TONES, BillingAdminMixin, execution_badge, process_badge, seconds, service_action

ACTION_LABELS = {
    "download": _("Baixar fatura (robô)"),
    "upload": _("Enviar fatura (PDF)"),
    "approve": _("Aprovar"),
    "reject": _("Recusar"),
    "send_to_sat": _("Enviar ao SAT"),
    "retry": _("Repetir etapa"),
    "cancel": _("Cancelar execução"),
}
ACTION_STYLES = {"approve": "x-btn-success", "reject": "x-btn-danger", "cancel": "x-btn-danger"}
# Actions that open a form (they need input) instead of posting straight away.
FORM_ACTIONS = {"upload": "billing_rpa_invoiceprocess_upload", "reject": "billing_rpa_invoiceprocess_reject"}


def equals_filter(title, parameter: str, field: str, choices):
    """A list filter ``?<parameter>=<value>`` → ``field == value``; ``choices()`` lists ``(value, label)``."""

    class EqualsFilter(admin.SimpleListFilter):
        def lookups(self, request, model_admin):
            return choices()

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    EqualsFilter.title, EqualsFilter.parameter_name = title, parameter
    return EqualsFilter


MonthListFilter = equals_filter(
    _("mês/ano"),
    "month",
    "month",
    lambda: [
        (m, m) for m in InvoiceProcess.objects.order_by("-period").values_list("month", flat=True).distinct()[:36]
    ],
)
# ?carrier=VIVO: the month overview's links name the carrier by its code.
CarrierCodeFilter = equals_filter(
    _("operadora"),
    "carrier",
    "client__carrier__code",
    lambda: list(Carrier.objects.order_by("code").values_list("code", "name")),
)


class LateListFilter(admin.SimpleListFilter):
    title = _("atraso")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("1", _("Atrasados")), ("0", _("Em dia"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_late=self.value() == "1")
        return queryset


class CurrentStepFilter(admin.SimpleListFilter):
    title = _("etapa atual")
    parameter_name = "step"

    def lookups(self, request, model_admin):
        return list(selectors.CURRENT_STEP_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in selectors.CURRENT_STEP_LABELS:
            return queryset.filter(selectors.current_step_q(self.value()))
        return queryset


class UploadInvoiceForm(forms.Form):
    file = forms.FileField(label=_("PDF da fatura"))
    due_date = forms.DateField(
        label=_("vencimento"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("O SAT exige o vencimento."),
    )
    amount = forms.CharField(label=_("valor (R$)"), max_length=32, help_text=_("O SAT exige o valor. Ex.: 1.234,56"))

    def clean_amount(self):
        try:
            return parse_money_br(self.cleaned_data["amount"])
        except ValueError as exc:
            raise ValidationError(_("Informe um valor em reais, ex.: 1.234,56.")) from exc


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("motivo"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(InvoiceProcess)
class InvoiceProcessAdmin(BillingAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/billing_rpa/invoiceprocess/change_list.html"
    change_form_template = "admin/billing_rpa/invoiceprocess/change_form.html"
    # Few columns, lateness and the current step first: usable on a 1366-px screen.
    list_display = (
        "client_cell",
        "month",
        "status_badge",
        "current_step",
        "late_cell",
        "due_date",
        "amount_br",
    )
    list_display_links = ("client_cell",)
    list_filter = (
        MonthListFilter,
        "status",
        CurrentStepFilter,
        CarrierCodeFilter,
        LateListFilter,
        "manual_upload",
    )
    search_fields = ("client__legal_name", "client__cnpj", "client__unit", "sat_protocol")
    list_select_related = ("client__carrier", "approved_by")
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
        "amount_br",
        "approved_by",
        "approved_at_s",
        "sent_to_sat",
        "sat_sent_at_s",
        "sat_protocol",
        "download_attempts",
        "sat_attempts",
        "manual_upload",
        "auto_created",
        "notes",
        "uuid",
        "created_at_s",
        "updated_at_s",
    )
    fieldsets = (
        (None, {"fields": ("client", "month", "status_badge", "notes")}),
        (_("Fatura"), {"fields": ("invoice_link", "invoice_filename", "due_date", "amount_br")}),
        (
            _("Aprovação e SAT"),
            {"fields": ("approved_by", "approved_at_s", "sent_to_sat", "sat_sent_at_s", "sat_protocol")},
        ),
        (
            _("Controle"),
            {
                "classes": ("collapse",),
                "fields": (
                    "download_attempts",
                    "sat_attempts",
                    "manual_upload",
                    "auto_created",
                    "invoice_sha256",
                    "invoice_size",
                    "invoice_key",
                    "invoice_url",
                    "uuid",
                    "created_at_s",
                    "updated_at_s",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return selectors.with_current_step(selectors.process_list(viewer=request.user))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- columns -------------------------------------------------------------------

    @admin.display(description=_("cliente"), ordering="client__legal_name")
    def client_cell(self, obj):
        return format_html("{} <small class='x-text-muted'>{}</small>", obj.client, obj.client.carrier.code)

    @admin.display(description=_("operadora"), ordering="client__carrier__code")
    def carrier_code(self, obj):
        return obj.client.carrier.code

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return process_badge(obj)

    @admin.display(description=_("etapa atual"))
    def current_step(self, obj):
        """Running / retrying / failed, with attempt n of N and the last error (else "—")."""
        status = getattr(obj, "step_status", None)
        retries = obj.step_retries or 0
        if status == ExecutionStatus.EXECUTANDO:
            tone, label = ("warning", _("Tentando novamente")) if retries else ("info", _("Em execução"))
        elif status in selectors.FINAL_FAILURES and KIND_SOURCE_STATUS.get(obj.step_kind) == obj.status:
            tone, label = EXECUTION_TONES.get(status, "danger"), _("Falhou")
        else:
            return "—"
        attempt = _("tentativa %(n)d de %(total)d") % {"n": retries + 1, "total": settings.BILLING_RPA_MAX_ATTEMPTS}
        error = (obj.step_error or "")[:160] if (status != ExecutionStatus.EXECUTANDO or retries) else ""
        url = reverse("admin:billing_rpa_execution_change", args=[obj.step_execution])
        return format_html(
            '<a href="{}">{}</a> {} <small>{}{}</small>',
            url,
            badge(label, tone),
            ExecutionKind(obj.step_kind).label,
            attempt,
            format_html(" · {}", error) if error else "",
        )

    @admin.display(description=_("atraso"), ordering="is_late")
    def late_cell(self, obj):
        if not getattr(obj, "is_late", False):
            return "—"
        days = selectors.days_late(obj)
        return badge(ngettext("%(n)d dia", "%(n)d dias", days) % {"n": days}, "danger")

    @admin.display(description=_("valor"), ordering="amount")
    def amount_br(self, obj):
        return money_br(obj.amount)

    @admin.display(description=_("fatura"))
    def invoice_link(self, obj):
        if not obj.invoice_key:
            return "—"
        url = reverse("admin:billing_rpa_invoiceprocess_invoice", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.invoice_filename or _("PDF"))

    approved_at_s = seconds_column("approved_at", _("aprovado em"))

    sat_sent_at_s = seconds_column("sat_sent_at", _("enviado ao SAT em"))

    created_at_s = seconds_column("created_at", _("criado em"))

    updated_at_s = seconds_column("updated_at", _("atualizado em"))

    @admin.display(description=_("atrasado"), boolean=True, ordering="is_late")
    def late_flag(self, obj):
        return bool(getattr(obj, "is_late", False))

    # --- bulk actions: each calls a service per process and reports counts ----------------

    action_download = service_action(
        "process_request_download", "operate", _("Baixar faturas (robô)"), DONE["download"], target="process"
    )
    action_approve = service_action(
        "process_approve", "approve", _("Aprovar faturas"), DONE["approve"], target="process"
    )
    action_send_to_sat = service_action(
        "process_request_sat_upload", "operate", _("Enviar ao SAT"), DONE["send_to_sat"], target="process"
    )
    action_cancel = service_action(
        "execution_cancel",
        "operate",
        _("Cancelar execuções em andamento"),
        DONE["cancel"],
        target="execution",
        select=lambda processes: selectors.executions_running().filter(process__in=processes.values("pk")),
    )
    action_retry = service_action(
        "execution_retry",
        "operate",
        _("Repetir a última etapa que falhou"),
        DONE["retry"],
        target="execution",
        select=lambda processes: [s for s in map(selectors.process_retry_target, processes) if s is not None],
    )

    # --- pages ---------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("overview/", view(self.overview_view), name="billing_rpa_invoiceprocess_overview"),
            path("overview/export/", view(self.overview_export_view), name="billing_rpa_invoiceprocess_export"),
            path("<int:pk>/invoice/", view(self.invoice_view), name="billing_rpa_invoiceprocess_invoice"),
            path("<int:pk>/upload-invoice/", view(self.upload_view), name="billing_rpa_invoiceprocess_upload"),
            path("<int:pk>/reject/", view(self.reject_view), name="billing_rpa_invoiceprocess_reject"),
            path("<int:pk>/act/<str:name>/", view(self.act_view), name="billing_rpa_invoiceprocess_act"),
            *super().get_urls(),
        ]

    def _month(self, request):
        month = request.POST.get("month") or request.GET.get("month") or services.current_month()
        if not MONTH_RE.match(month):
            self.message_user(request, _("Mês inválido (use MM/AAAA)."), messages.ERROR)
            month = services.current_month()
        return month

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = self._month(request)
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
            return HttpResponseRedirect(f"{request.path}?{urlencode({'month': month})}")
        overview = selectors.month_console(month)
        changelist = reverse("admin:billing_rpa_invoiceprocess_changelist")
        for row in overview["rows"]:
            for cell in row["cells"]:
                cell["url"] = f"{changelist}?{urlencode({'month': month, **cell['filter']})}"
            row["url"] = f"{changelist}?{urlencode({'month': month, 'carrier': row['carrier']})}"
        for cell in overview["totals"]:
            cell["url"] = f"{changelist}?{urlencode({'month': month, **cell['filter']})}"
        context = self._context(
            request,
            title=_("Visão do mês %(month)s") % {"month": month},
            overview=overview,
            month=month,
            can_operate=self.has_operate_permission(request),
            notifications=selectors.unresolved_notifications(viewer=request.user)[:10],
            resolved=selectors.notification_list(viewer=request.user)
            .filter(resolved_at__isnull=False, process__month=month)
            .order_by("-resolved_at")[:5],
        )
        return TemplateResponse(request, "admin/billing_rpa/month_overview.html", context)

    def overview_export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = self._month(request)
        report = selectors.monthly_report(month)
        stem = f"faturas-{month.replace('/', '-')}"
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(
                reports.monthly_report_xlsx(report),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
            return response
        response = HttpResponse(selectors.monthly_report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response

    @xframe_options_sameorigin
    def invoice_view(self, request, pk):
        """The PDF, inline (previewed in the process page's frame, same origin only)."""
        process = get_object_or_404(self.get_queryset(request), pk=pk)
        if not process.invoice_key:
            raise Http404(_("Este processo ainda não tem fatura."))
        try:
            handle = storage.open_invoice(process.invoice_key)
        except (FileNotFoundError, storage.StorageUnavailable) as exc:
            raise Http404(_("Arquivo da fatura indisponível.")) from exc
        filename = process.invoice_filename or services.invoice_filename(process)
        response = FileResponse(handle, content_type="application/pdf", filename=filename)
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline", 1)
        return response

    def act_view(self, request, pk, name):
        """One button of the process page: POST only, legal only, through the service."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        process = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:billing_rpa_invoiceprocess_change", args=[pk])
        if name in FORM_ACTIONS:
            return HttpResponseRedirect(reverse(f"admin:{FORM_ACTIONS[name]}", args=[pk]))
        if name not in ACTION_LABELS:
            raise Http404
        if name not in selectors.process_actions(process, request.user):
            if not self._may(request, name):
                raise PermissionDenied
            self.message_user(
                request,
                _("Ação não permitida agora: o processo está em %(s)s.") % {"s": process.get_status_display()},
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        meta, actor = RequestMeta.from_request(request), request.user
        calls = {
            "download": lambda: services.process_request_download(process=process, actor=actor, meta=meta),
            "approve": lambda: services.process_approve(process=process, actor=actor, meta=meta),
            "send_to_sat": lambda: services.process_request_sat_upload(process=process, actor=actor, meta=meta),
            "retry": lambda: services.execution_retry(
                execution=services.process_retry_target(process), actor=actor, meta=meta
            ),
            "cancel": lambda: [
                services.execution_cancel(execution=e, actor=actor, meta=meta)
                for e in selectors.executions_running().filter(process_id=process.pk)
            ],
        }
        done = {
            "download": _("Download enfileirado."),
            "approve": _("Fatura aprovada."),
            "send_to_sat": _("Envio ao SAT enfileirado."),
            "retry": _("Nova tentativa enfileirada."),
            "cancel": _("Execução cancelada."),
        }
        try:
            calls[name]()
        except ValidationError as exc:
            self.message_user(request, exc.messages[0], messages.ERROR)
        else:
            self.message_user(request, done[name], messages.SUCCESS)
        return HttpResponseRedirect(back)

    def _may(self, request, name):
        if name in ("approve", "reject"):
            return self.has_approve_permission(request)
        if name == "upload":
            return self.has_upload_permission(request)
        return self.has_operate_permission(request)

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
                    due_date=form.cleaned_data["due_date"],
                    amount=form.cleaned_data["amount"],
                    actor=request.user,
                    meta=RequestMeta.from_request(request),
                )
            except storage.StorageUnavailable:
                form.add_error("file", _("Armazenamento indisponível; nada foi alterado. Tente novamente."))
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error("file", exc.messages)
            else:
                self.message_user(request, _("Fatura enviada; aguardando aprovação."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_rpa_invoiceprocess_change", args=[pk]))
        context = self._context(
            request,
            title=_("Enviar fatura: %(p)s") % {"p": process},
            form=form,
            original=process,
            submit_label=_("Enviar fatura"),
        )
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
        context = self._context(
            request,
            title=_("Recusar fatura: %(p)s") % {"p": process},
            form=form,
            original=process,
            submit_label=_("Recusar fatura"),
        )
        return TemplateResponse(request, "admin/billing_rpa/process_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        process = self.get_object(request, object_id)
        extra = {}
        if process is not None:
            actions = selectors.process_actions(process, request.user)
            extra = {
                "console_actions": [
                    {
                        "name": name,
                        "label": ACTION_LABELS[name],
                        "style": ACTION_STYLES.get(name, ""),
                        "form": name in FORM_ACTIONS,
                        "url": reverse(f"admin:{FORM_ACTIONS[name]}", args=[process.pk])
                        if name in FORM_ACTIONS
                        else reverse("admin:billing_rpa_invoiceprocess_act", args=[process.pk, name]),
                    }
                    for name in actions
                ],
                "timeline": _timeline(process),
                "late_days": selectors.days_late(process) if process.status != ProcessStatus.UPLOAD_REALIZADO else 0,
                "pdf_url": reverse("admin:billing_rpa_invoiceprocess_invoice", args=[process.pk])
                if process.invoice_key
                else "",
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


def _timeline(process) -> list[dict]:
    """Every attempt of every step, newest first, with its error: read-only."""
    items = []
    for execution in process.executions.select_related("triggered_by").order_by("-created_at", "-id"):
        items.append(
            {
                "id": execution.pk,
                "url": reverse("admin:billing_rpa_execution_change", args=[execution.pk]),
                "kind": execution.get_kind_display(),
                "attempt": execution.attempt,
                "badge": execution_badge(execution.status, execution.get_status_display()),
                "tone": EXECUTION_TONES.get(execution.status, "muted"),
                "error_kind": execution.get_error_kind_display() if execution.error_kind else "",
                "error": (execution.error_data or {}).get("error", ""),
                "started": seconds(execution.started_at or execution.created_at),
                "finished": seconds(execution.finished_at) if execution.finished_at else "",
                "by": execution.triggered_by.username if execution.triggered_by else _("agendamento"),
            }
        )
    return items


__all__ = ["InvoiceProcessAdmin"]

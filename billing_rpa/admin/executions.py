"""Executions: read-only pages (no Save, no Delete) whose robot log streams in live (SSE,
``EventSource`` resuming with ``Last-Event-ID``), with Cancel and Retry buttons; notifications."""

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import RequestMeta
from exitus.admin_columns import seconds_column

from .. import selectors, services
from ..models import BillingNotification, Execution
from ..notifications import notification_mark_read
from .base import DONE, BillingAdminMixin, execution_badge, seconds, service_action


@admin.register(Execution)
class ExecutionAdmin(BillingAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/billing_rpa/execution/change_form.html"
    list_display = (
        "id",
        "process",
        "kind",
        "attempt",
        "status_badge",
        "error_kind",
        "started_s",
        "finished_s",
        "triggered_by",
    )
    list_filter = ("kind", "status", "error_kind", ("process__client__carrier", admin.RelatedOnlyFieldListFilter))
    search_fields = ("rpa_job_id", "process__client__legal_name", "process__client__cnpj")
    list_select_related = ("process__client__carrier", "triggered_by")
    date_hierarchy = "created_at"
    actions = ("action_cancel", "action_retry")
    # Each field once; the status as a badge; times with seconds.
    fieldsets = (
        (None, {"fields": ("process_link", "kind", "attempt", "status_badge", "error_kind", "triggered_by")}),
        (
            _("Robô"),
            {"fields": ("robot_class", "rpa_job_id", "started_s", "finished_s", "deadline_s", "file_url")},
        ),
        (_("Dados"), {"fields": ("input_json", "output_json", "error_json")}),
        (
            _("Controle"),
            {
                "classes": ("collapse",),
                "fields": (
                    "auto_retries",
                    "idempotency_key",
                    "next_poll_s",
                    "last_log_seq",
                    "start_tries",
                    "poll_failures",
                    "ip_address",
                    "user_agent",
                    "created_s",
                ),
            },
        ),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        return selectors.execution_list(viewer=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # an attempt is a record: read-only for everyone

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return execution_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("processo"))
    def process_link(self, obj):
        url = reverse("admin:billing_rpa_invoiceprocess_change", args=[obj.process_id])
        return format_html('<a href="{}">{}</a>', url, obj.process)

    started_s = seconds_column("started_at", _("início"))

    finished_s = seconds_column("finished_at", _("fim"))

    deadline_s = seconds_column("deadline_at", _("prazo"))

    next_poll_s = seconds_column("next_poll_at", _("próxima verificação"))

    created_s = seconds_column("created_at", _("criada em"))

    @staticmethod
    def _json(value):
        if not value:
            return "—"
        return format_html('<pre class="x-json">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2))

    @admin.display(description=_("parâmetros de entrada"))
    def input_json(self, obj):
        return self._json(obj.input_data)

    @admin.display(description=_("resultado"))
    def output_json(self, obj):
        return self._json(obj.output_data)

    @admin.display(description=_("detalhes do erro"))
    def error_json(self, obj):
        return self._json(obj.error_data)

    action_cancel = service_action(
        "execution_cancel", "operate", _("Cancelar execuções"), DONE["cancel"], target="execution"
    )
    action_retry = service_action(
        "execution_retry", "operate", _("Repetir execuções"), DONE["retry"], target="execution"
    )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/act/<str:name>/", view(self.act_view), name="billing_rpa_execution_act"),
            path("<int:pk>/state/", view(self.state_view), name="billing_rpa_execution_state"),
            *super().get_urls(),
        ]

    def state_view(self, request, pk):
        """The status the page shows, refreshed without a reload (a small JSON read)."""
        execution = get_object_or_404(self.get_queryset(request), pk=pk)
        return JsonResponse(
            {
                "status": execution.status,
                "badge": str(execution_badge(execution.status, execution.get_status_display())),
                "finished": seconds(execution.finished_at),
                "running": execution.is_running,
                "actions": selectors.execution_actions(execution, request.user),
            }
        )

    def act_view(self, request, pk, name):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_operate_permission(request):
            raise PermissionDenied
        execution = get_object_or_404(self.get_queryset(request), pk=pk)
        meta = RequestMeta.from_request(request)
        back = reverse("admin:billing_rpa_execution_change", args=[pk])
        try:
            if name == "cancel":
                services.execution_cancel(execution=execution, actor=request.user, meta=meta)
                self.message_user(request, _("Execução cancelada."), messages.SUCCESS)
            elif name == "retry":
                retry = services.execution_retry(execution=execution, actor=request.user, meta=meta)
                self.message_user(request, _("Nova tentativa enfileirada."), messages.SUCCESS)
                back = reverse("admin:billing_rpa_execution_change", args=[retry.pk])
            else:
                return HttpResponseNotAllowed(["POST"])
        except ValidationError as exc:
            self.message_user(request, exc.messages[0], messages.ERROR)
        return HttpResponseRedirect(back)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        execution = self.get_object(request, object_id)
        extra = {}
        if execution is not None:
            lines = list(selectors.execution_log_lines(execution=execution, limit=5000))
            extra = {
                "log_lines": lines,
                "last_seq": lines[-1].seq if lines else 0,
                "is_running": execution.is_running,
                "status_badge": execution_badge(execution.status, execution.get_status_display()),
                "finished_text": seconds(execution.finished_at),
                "console_actions": selectors.execution_actions(execution, request.user),
                "stream_url": f"/api/v1/billing/executions/{execution.pk}/logs/stream/",
                "state_url": reverse("admin:billing_rpa_execution_state", args=[execution.pk]),
                "act_cancel": reverse("admin:billing_rpa_execution_act", args=[execution.pk, "cancel"]),
                "act_retry": reverse("admin:billing_rpa_execution_act", args=[execution.pk, "retry"]),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


@admin.register(BillingNotification)
class BillingNotificationAdmin(BillingAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "audience", "kind", "title", "emailed_to", "read_at", "resolved_cell")
    list_filter = (
        "audience",
        "kind",
        ("read_at", admin.EmptyFieldListFilter),
        ("resolved_at", admin.EmptyFieldListFilter),
    )
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
        "resolved_at",
        "resolution",
        "created_at",
    )
    actions = ("mark_read",)

    def get_queryset(self, request):
        return selectors.notification_list(viewer=request.user)

    @admin.display(description=_("resolvida"), ordering="resolved_at")
    def resolved_cell(self, obj):
        if obj.resolved_at is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.resolution, seconds(obj.resolved_at))

    @admin.action(description=_("Marcar como lidas"))
    def mark_read(self, request, queryset):
        count = notification_mark_read(queryset=queryset)
        self.message_user(request, ngettext("%d notificação lida.", "%d notificações lidas.", count) % count)

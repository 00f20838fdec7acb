"""Schedules in the admin: only catalogue jobs, validated parameters, next run in São Paulo, run now."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.admin import PeriodicTaskForm as BasePeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from accounts.audit import RequestMeta

from . import services
from .catalogue import JOBS, job_for_task, validate_params
from .choices import JobRunStatus
from .models import JobRun
from .selectors import last_runs_by_periodic_task

STATUS_COLOURS = {
    JobRunStatus.SUCCESS: "#067647",
    JobRunStatus.FAILURE: "#b42318",
    JobRunStatus.RUNNING: "#175cd3",
    JobRunStatus.QUEUED: "#175cd3",
    JobRunStatus.RETRY: "#b54708",
    JobRunStatus.SKIPPED: "#667085",
}


def status_badge(status, label):
    return format_html(
        '<span style="color:#fff;background:{};padding:2px 8px;border-radius:8px;white-space:nowrap">{}</span>',
        STATUS_COLOURS.get(status, "#667085"),
        label,
    )


def task_result_url(task_id):
    return reverse("admin:django_celery_results_taskresult_changelist") + f"?task_id={task_id}"


class CatalogueTaskForm(BasePeriodicTaskForm):
    """Only catalogue jobs can be scheduled, and their kwargs must match the job's schema."""

    regtask = forms.ChoiceField(label=_("Job"), choices=(), required=True)
    task = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regtask"].choices = [("", "---------")] + [(job.task, f"{job.label} ({job.key})") for job in JOBS]
        if self.instance and self.instance.task:
            self.initial.setdefault("regtask", self.instance.task)
        self.fields["kwargs"].help_text = _('Parâmetros do job em JSON, ex.: {"month": "11/2026"}. Vazio = padrões.')

    def clean_regtask(self):
        value = self.cleaned_data["regtask"]
        if job_for_task(value) is None:
            raise ValidationError(_("Escolha um job do catálogo."))
        return value

    def clean(self):
        data = super().clean()
        job = job_for_task(data.get("regtask") or data.get("task") or "")
        if job is None:
            return data
        if json.loads(data.get("args") or "[]"):
            self.add_error(
                "args", _("Os jobs do catálogo não recebem argumentos posicionais; use os parâmetros (kwargs).")
            )
        try:
            validate_params(job, json.loads(data.get("kwargs") or "{}"))
        except ValidationError as exc:
            messages_ = [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
            self.add_error("kwargs", messages_)
        return data


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BasePeriodicTaskAdmin):
    form = CatalogueTaskForm
    list_display = ("name", "job_key", "enabled", "schedule_text", "next_run", "last_run_at", "last_run", "catch_up")
    list_filter = ("enabled", "task")
    actions = ("run_now", "enable_tasks", "disable_tasks")
    fieldsets = (
        (None, {"fields": ("name", "regtask", "task", "enabled", "description")}),
        (_("Quando"), {"fields": ("crontab", "interval", "start_time", "last_run_at", "next_run", "catch_up")}),
        (_("Parâmetros"), {"fields": ("kwargs", "args")}),
    )
    readonly_fields = ("last_run_at", "next_run", "catch_up")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**last_runs_by_periodic_task())

    @admin.display(description=_("job"))
    def job_key(self, obj):
        job = job_for_task(obj.task)
        return job.key if job else format_html('<span style="color:#b42318">{}</span>', obj.task)

    @admin.display(description=_("agenda"))
    def schedule_text(self, obj):
        if obj.crontab_id:
            cron = obj.crontab
            return " ".join([cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week])
        if obj.interval_id:
            return str(obj.interval)
        return "—"

    @admin.display(description=_("execução perdida"))
    def catch_up(self, obj):
        """The catalogue's policy for a run missed while beat or the broker was down."""
        job = job_for_task(obj.task) if obj is not None else None
        return job.catch_up_label if job else "—"

    @admin.display(description=_("próxima execução (São Paulo)"))
    def next_run(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        moment = services.next_run_at(obj)
        return moment.strftime("%d/%m/%Y %H:%M") if moment else _("desativado")

    @admin.display(description=_("última execução"))
    def last_run(self, obj):
        status = getattr(obj, "last_run_status", None)
        if not status:
            return "—"
        badge = status_badge(status, JobRunStatus(status).label)
        return format_html('<a href="{}">{}</a>', task_result_url(obj.last_run_task_id), badge)

    @admin.action(description=_("Executar agora"))
    def run_now(self, request, queryset):
        meta = RequestMeta.from_request(request)
        queued = []
        for periodic_task in queryset:
            if job_for_task(periodic_task.task) is None:
                self.message_user(request, _("%s não é um job do catálogo.") % periodic_task.name, messages.ERROR)
                continue
            try:
                queued.append(services.job_run_now(periodic_task=periodic_task, actor=request.user, meta=meta))
            except ValidationError as exc:
                self.message_user(request, f"{periodic_task.name}: {' '.join(exc.messages)}", messages.ERROR)
        if queued:
            links = format_html(
                ", ".join(['<a href="{}">{}</a>'] * len(queued)),
                *[part for run in queued for part in (task_result_url(run.task_id), run.job)],
            )
            text = ngettext("%d job enfileirado: ", "%d jobs enfileirados: ", len(queued)) % len(queued)
            self.message_user(request, format_html("{}{}", text, links), messages.SUCCESS)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "job",
        "status_cell",
        "trigger",
        "triggered_by",
        "started_at",
        "finished_at",
        "counts_text",
        "result_link",
    )
    list_filter = ("job", "status", "trigger")
    search_fields = ("job", "task_id", "periodic_task_name", "error")
    date_hierarchy = "created_at"
    list_select_related = ("triggered_by",)
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_cell(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("contagens"))
    def counts_text(self, obj):
        return ", ".join(f"{key}: {value}" for key, value in (obj.counts or {}).items() if key != "skipped") or "—"

    @admin.display(description=_("resultado"))
    def result_link(self, obj):
        return format_html('<a href="{}">{}</a>', task_result_url(obj.task_id), obj.task_id[:8])

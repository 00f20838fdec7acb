"""Schedules in the operators' language ("Agendamentos"): only catalogue jobs, validated parameters,
the schedule as a Portuguese sentence, next run in São Paulo, last result, run now; the job history
with seconds, hiding the 5-second robot poller unless asked for. Third-party labels (celery-beat,
celery results, token blacklist) are translated in ``exitus/locale``; their schedules' admins here
add the sentence column."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat.admin import CrontabScheduleAdmin as BaseCrontabScheduleAdmin
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.admin import PeriodicTaskForm as BasePeriodicTaskForm
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from accounts.audit import RequestMeta
from exitus.admin_badges import badge, coloured
from exitus.admin_columns import seconds_column
from exitus.formats import moment_br

from . import (
    dashboard,  # noqa: F401 - registers the home page's scheduling cards
    services,
)
from .catalogue import JOBS, job_for_task, validate_params
from .choices import JobRunStatus
from .cron_text import describe
from .models import JobRun
from .selectors import POLLER_JOB, last_runs_by_periodic_task

STATUS_TONES = {
    JobRunStatus.SUCCESS: "success",
    JobRunStatus.FAILURE: "danger",
    JobRunStatus.RUNNING: "info",
    JobRunStatus.QUEUED: "info",
    JobRunStatus.RETRY: "warning",
    JobRunStatus.SKIPPED: "muted",
}


def status_badge(status, label):
    return badge(label, STATUS_TONES.get(status, "muted"))


seconds = moment_br


def cron_expression(cron) -> str:
    return " ".join([cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week])


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
    # The last result shows its own time, so the bare last_run_at column is left out.
    list_display = ("name", "job_key", "enabled", "schedule_text", "next_run", "last_run", "catch_up")
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
        return job.key if job else coloured(obj.task, "danger")

    @admin.display(description=_("quando"))
    def schedule_text(self, obj):
        if obj.crontab_id:
            expression = cron_expression(obj.crontab)
            return format_html('<span title="{}">{}</span>', expression, describe(expression))
        if obj.interval_id:
            return _interval_text(obj.interval)
        if obj.clocked_id:
            return _("Uma vez, em %(t)s") % {"t": seconds(obj.clocked.clocked_time)}
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

    @admin.display(description=_("último resultado"))
    def last_run(self, obj):
        status = getattr(obj, "last_run_status", None)
        if not status:
            return "—"
        when = getattr(obj, "last_run_finished_at", None) or getattr(obj, "last_run_created_at", None)
        url = reverse("admin:scheduling_jobrun_changelist") + f"?periodic_task_name={obj.name}"
        return format_html(
            '<a href="{}">{}</a> <small>{}</small>',
            url,
            status_badge(status, JobRunStatus(status).label),
            seconds(when),
        )

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


def _interval_text(interval) -> str:
    units = {
        "days": (_("dia"), _("dias")),
        "hours": (_("hora"), _("horas")),
        "minutes": (_("minuto"), _("minutos")),
        "seconds": (_("segundo"), _("segundos")),
        "microseconds": (_("microssegundo"), _("microssegundos")),
    }
    one, many = units.get(interval.period, (interval.period, interval.period))
    if interval.every == 1:
        return _("A cada %(unit)s") % {"unit": one}
    return _("A cada %(n)d %(unit)s") % {"n": interval.every, "unit": many}


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(BaseCrontabScheduleAdmin):
    list_display = ("sentence", "expression", "timezone")

    @admin.display(description=_("quando"))
    def sentence(self, obj):
        return describe(cron_expression(obj))

    @admin.display(description=_("expressão cron"))
    def expression(self, obj):
        return cron_expression(obj)


class JobFilter(admin.SimpleListFilter):
    """By job; without a choice the 5-second robot poller is hidden (it would bury everything else)."""

    title = _("job")
    parameter_name = "job"
    ALL = "__todos__"

    def lookups(self, request, model_admin):
        return [(self.ALL, _("Todos, inclusive o acompanhamento de robôs"))] + [
            (job.key, f"{job.label} ({job.key})") for job in JOBS
        ]

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        if self.value():
            return queryset.filter(job=self.value())
        return queryset.exclude(job=POLLER_JOB)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice.get("display") == _("All"):
                choice["display"] = _("Todos, exceto o acompanhamento de robôs (padrão)")
            yield choice


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = (
        "created_s",
        "job",
        "status_cell",
        "trigger",
        "triggered_by",
        "started_s",
        "finished_s",
        "duration_text",
        "counts_text",
        "result_link",
    )
    list_filter = (JobFilter, "status", "trigger")
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

    created_s = seconds_column("created_at", _("enfileirado em"))

    started_s = seconds_column("started_at", _("início"))

    finished_s = seconds_column("finished_at", _("fim"))

    @admin.display(description=_("duração"))
    def duration_text(self, obj):
        duration = obj.duration
        return f"{duration.total_seconds():.1f} s".replace(".", ",") if duration is not None else "—"

    @admin.display(description=_("contagens"))
    def counts_text(self, obj):
        return ", ".join(f"{key}: {value}" for key, value in (obj.counts or {}).items() if key != "skipped") or "—"

    @admin.display(description=_("resultado"))
    def result_link(self, obj):
        return format_html('<a href="{}">{}</a>', task_result_url(obj.task_id), obj.task_id[:8])

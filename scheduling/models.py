"""Job history and the beat heartbeat. Schedules themselves are django-celery-beat's models."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import JobRunStatus, JobTrigger


class JobRun(models.Model):
    """One execution of a catalogue job: parameters, timing, outcome and what it counted.

    Written by Celery signal handlers in the worker (``scheduling.signals``), keyed by the
    task id so a redelivered task updates its row instead of adding another.
    """

    job = models.CharField(_("job"), max_length=64, db_index=True)
    task_name = models.CharField(_("tarefa"), max_length=200)
    task_id = models.CharField(_("id da tarefa"), max_length=255, unique=True)
    periodic_task_name = models.CharField(_("agendamento"), max_length=200, blank=True)
    trigger = models.CharField(_("origem"), max_length=16, choices=JobTrigger.choices, default=JobTrigger.BEAT)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disparado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parameters = models.JSONField(_("parâmetros"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=JobRunStatus.choices, db_index=True)
    started_at = models.DateTimeField(_("início"), null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(_("fim"), null=True, blank=True)
    counts = models.JSONField(_("contagens"), default=dict, blank=True)
    error = models.TextField(_("erro"), blank=True)
    created_at = models.DateTimeField(_("enfileirado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("execução de job")
        verbose_name_plural = _("histórico de jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["job", "status", "finished_at"], name="jobrun_job_status_finished")]

    def __str__(self):
        return f"{self.job} {self.get_status_display()} ({self.created_at:%d/%m/%Y %H:%M})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class BeatHeartbeat(models.Model):
    """A single row the beat process touches while it ticks: its age tells if beat is alive."""

    name = models.CharField(max_length=32, primary_key=True, default="beat")
    last_tick_at = models.DateTimeField(_("último tique"))
    hostname = models.CharField(_("máquina"), max_length=255, blank=True)
    pid = models.IntegerField(_("processo"), null=True, blank=True)

    class Meta:
        verbose_name = _("batimento do beat")
        verbose_name_plural = _("batimentos do beat")

    def __str__(self):
        return f"{self.name} {self.last_tick_at:%d/%m/%Y %H:%M:%S}"


class JobLock(models.Model):
    """A named lease so one job body runs at a time across every worker (any database).

    Taken by inserting the row, or by taking over a lease that has expired (a worker that
    died holding it); released by deleting it. See ``scheduling.locks``.
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("trava de job")
        verbose_name_plural = _("travas de jobs")

    def __str__(self):
        return f"{self.name} ({self.holder})"

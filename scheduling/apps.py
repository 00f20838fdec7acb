from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Agendamentos e operações")

    def ready(self):
        from . import health, signals  # noqa: F401 - connect receivers, register health checks

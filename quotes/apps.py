from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = _("Cotações")

    def ready(self):
        from exitus.health import EXTRA_CHECKS

        from . import checks  # registers the system checks

        EXTRA_CHECKS["quotes"] = checks.health

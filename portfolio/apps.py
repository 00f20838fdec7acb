from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Carteiras de investimento")

    def ready(self):
        # Celery's autodiscovery imports ``portfolio.tasks``; the analytics and tax parts have their own.
        from .analytics import tasks as analytics_tasks  # noqa: F401
        from .tax import tasks as tax_tasks  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = _("Cotações")

    def ready(self):
        from exitus.health import EXTRA_CHECKS
        from portfolio import market_data

        from . import checks  # registers the system checks
        from .market_data import QuotesMarketData

        EXTRA_CHECKS["quotes"] = checks.health
        market_data.register(QuotesMarketData())  # portfolio reads quotes, FX and indicators through it

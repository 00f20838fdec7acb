from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingRpaConfig(AppConfig):
    name = "billing_rpa"
    verbose_name = _("Faturas e robôs (RPA)")

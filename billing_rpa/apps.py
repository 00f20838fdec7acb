from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingRpaConfig(AppConfig):
    name = "billing_rpa"
    verbose_name = _("Faturas e robôs (RPA)")

    def ready(self):
        from accounts.groups import register_staff_groups
        from scheduling.cleanup import register_cleanup

        from . import quiet_poller
        from .choices import BillingGroup

        # The 5-second poller's routine lines log at DEBUG (the development console stays readable).
        quiet_poller.install()
        # Billing staff keep admin access when they stop being ADMIN.
        register_staff_groups(*BillingGroup.values)
        # Robot log lines are kept LOG_RETENTION_DAYS, then deleted by the scheduling app's cleanup job.
        register_cleanup("billing_rpa.ExecutionLogLine", "timestamp", "LOG_RETENTION_DAYS")

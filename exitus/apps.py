from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitusConfig(AppConfig):
    """The project package as an app: the admin console's templates, static files and template tags."""

    name = "exitus"
    verbose_name = _("Exitus")
    default_auto_field = "django.db.models.BigAutoField"

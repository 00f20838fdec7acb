from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "ADMIN", _("Administrador")
    USER = "USER", _("Usuário")
    READONLY = "READONLY", _("Somente leitura")


class BillingGroup(models.TextChoices):
    """Django groups that gate billing actions (the seed's APROVADOR / OPERADOR profiles)."""

    APROVADOR = "Aprovador", _("Aprovador")
    OPERADOR = "Operador", _("Operador")


# Custom permissions held by the billing groups (codename, label). They belong to
# accounts because they describe what a person may do, not a single model.
BILLING_PERMISSIONS = {
    BillingGroup.APROVADOR: [("approve_invoices", _("Pode aprovar faturas"))],
    BillingGroup.OPERADOR: [
        ("operate_robots", _("Pode executar, repetir e cancelar robôs")),
        ("upload_invoices", _("Pode enviar faturas manualmente")),
    ],
}

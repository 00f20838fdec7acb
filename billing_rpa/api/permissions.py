"""Who may do what with billing data.

Reading: billing staff (Aprovador, Operador) and ADMIN. Writing: per action, a
permission from the billing groups (ADMIN holds them all); anything not listed is
ADMIN only. Everyone else — investors, viewers — gets 403.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..selectors import can_see_billing


class BillingPermission(BasePermission):
    """Views declare ``action_perms = {"approve": "billing_rpa.approve_invoices", ...}``."""

    message = _("Acesso restrito à equipe de faturamento.")

    def has_permission(self, request, view):
        user = request.user
        if not can_see_billing(user):
            return False
        perms = getattr(view, "action_perms", {})
        action = getattr(view, "action", None)
        if action in perms:
            perm = perms[action]
            return perm is None or user.is_superuser or user.has_perm(perm)
        if request.method in SAFE_METHODS:
            return True
        return user.is_superuser

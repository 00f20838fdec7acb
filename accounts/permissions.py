"""Permission classes shared by every app's API."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnlyRoleCannotWrite(BasePermission):
    """READONLY users may read what they can see; every write is refused (403)."""

    message = _("Seu perfil é somente leitura: alterações não são permitidas.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return not (user and user.is_authenticated and user.is_readonly)


class IsAdminRole(BasePermission):
    """Only users with role ADMIN."""

    message = _("Apenas administradores podem realizar esta ação.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin_role)


class AdminWritesOthersRead(BasePermission):
    """Global catalogues (assets, carriers...): everyone authenticated reads, ADMIN writes."""

    message = IsAdminRole.message

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin_role

"""Reads on users."""

from .models import User


def user_list(*, viewer):
    """Users the viewer may see: ADMIN sees everyone, anyone else only themself."""
    if viewer.is_authenticated and viewer.is_admin_role:
        return User.objects.all()
    if viewer.is_authenticated:
        return User.objects.filter(pk=viewer.pk)
    return User.objects.none()

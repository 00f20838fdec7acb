"""The billing staff groups (Aprovador, Operador) and their permissions, recreated on demand.

The data migrations create them on a fresh database (``accounts.0002_billing_groups``, whose
permissions ``billing_rpa.0002_billing_permissions`` moved here); this helper puts them back
where they were wiped (a flushed database, ``seed_demo`` after a restore).
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from .choices import BILLING_PERMISSIONS
from .models import InvoiceProcess


def ensure_billing_groups():
    process_type = ContentType.objects.get_for_model(InvoiceProcess)
    for group_name, permissions in BILLING_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for codename, label in permissions:
            perm, _ = Permission.objects.get_or_create(
                content_type=process_type, codename=codename, defaults={"name": str(label)}
            )
            group.permissions.add(perm)

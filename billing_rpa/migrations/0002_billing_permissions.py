"""The billing permissions move from ``accounts`` to ``billing_rpa`` (declared on InvoiceProcess).

``accounts.approve_invoices``, ``accounts.operate_robots`` and ``accounts.upload_invoices``
become ``billing_rpa.*`` with the same codenames: every group and every user holding an old
one holds the new one, then the old ones are deleted, so nobody gains or loses a right.
Reversible (the same move the other way).
"""

from django.db import migrations

PERMISSIONS = {
    "approve_invoices": "Pode aprovar faturas",
    "operate_robots": "Pode executar, repetir e cancelar robôs",
    "upload_invoices": "Pode enviar faturas manualmente",
}
ACCOUNTS = ("accounts", "user")
BILLING = ("billing_rpa", "invoiceprocess")


def _move(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    GroupPermission = apps.get_model("auth", "Group").permissions.through
    UserPermission = apps.get_model("accounts", "User").user_permissions.through
    target_type, _ = ContentType.objects.get_or_create(app_label=target[0], model=target[1])
    for codename, name in PERMISSIONS.items():
        new, _ = Permission.objects.get_or_create(content_type=target_type, codename=codename, defaults={"name": name})
        old = Permission.objects.filter(
            content_type__app_label=source[0], content_type__model=source[1], codename=codename
        ).first()
        if old is None:
            continue
        GroupPermission.objects.bulk_create(
            [
                GroupPermission(group_id=group_id, permission_id=new.pk)
                for group_id in GroupPermission.objects.filter(permission_id=old.pk).values_list("group_id", flat=True)
            ],
            ignore_conflicts=True,
        )
        UserPermission.objects.bulk_create(
            [
                UserPermission(user_id=user_id, permission_id=new.pk)
                for user_id in UserPermission.objects.filter(permission_id=old.pk).values_list("user_id", flat=True)
            ],
            ignore_conflicts=True,
        )
        old.delete()


def to_billing(apps, schema_editor):
    _move(apps, ACCOUNTS, BILLING)


def to_accounts(apps, schema_editor):
    _move(apps, BILLING, ACCOUNTS)


class Migration(migrations.Migration):
    dependencies = [
        ("billing_rpa", "0001_initial"),
        ("accounts", "0003_user_billing_permissions_moved"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="invoiceprocess",
            options={
                "ordering": ["-period", "client__legal_name", "id"],
                "permissions": [
                    ("approve_invoices", "Pode aprovar faturas"),
                    ("operate_robots", "Pode executar, repetir e cancelar robôs"),
                    ("upload_invoices", "Pode enviar faturas manualmente"),
                ],
                "verbose_name": "processo de fatura",
                "verbose_name_plural": "processos de fatura",
            },
        ),
        migrations.RunPython(to_billing, to_accounts),
    ]

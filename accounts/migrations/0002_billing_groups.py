"""Create the billing staff groups (Aprovador, Operador) with their permissions.

Permissions are created here rather than waiting for ``post_migrate``, so the groups
are complete on a fresh database right after ``migrate``.
"""

from django.db import migrations

GROUPS = {
    "Aprovador": ["approve_invoices"],
    "Operador": ["operate_robots", "upload_invoices"],
}
LABELS = {
    "approve_invoices": "Pode aprovar faturas",
    "operate_robots": "Pode executar, repetir e cancelar robôs",
    "upload_invoices": "Pode enviar faturas manualmente",
}


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    user_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="user")
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for codename in codenames:
            perm, _ = Permission.objects.get_or_create(
                content_type=user_type, codename=codename, defaults={"name": LABELS[codename]}
            )
            group.permissions.add(perm)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]

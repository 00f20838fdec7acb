"""The billing permissions are no longer declared on ``User``: they moved to billing_rpa
(``billing_rpa.0002_billing_permissions`` moves the rows and who holds them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_billing_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={"ordering": ["username"], "verbose_name": "usuário", "verbose_name_plural": "usuários"},
        ),
    ]

"""Audit actions follow one scheme, ``<app>.<entity>.<verb>``: rename the rows written before it.

``portfolio.<entity>.save`` rows cannot tell a creation from an update, so they become
``update`` unless their changes show every field coming from nothing (a creation).
"""

from django.db import migrations

RENAMED = {
    "user.create": "accounts.user.create",
    "user.update": "accounts.user.update",
    "user.delete": "accounts.user.delete",
    "user.activate": "accounts.user.activate",
    "user.deactivate": "accounts.user.deactivate",
    "job.run_now": "scheduling.job.run_now",
    "quotes.asset_register": "quotes.asset.register",
    "quotes.anomaly_approve": "quotes.anomaly.approve",
    "quotes.anomaly_reject": "quotes.anomaly.reject",
    "quotes.provider_enabled": "quotes.provider.update",
    "quotes.circuit_reset": "quotes.provider.reset_circuit",
    "quotes.macro_update": "quotes.macro.update",
    "portfolio.import": "portfolio.transaction.import",
}
SAVES = ("portfolio.broker.save", "portfolio.asset.save", "portfolio.portfolio.save")


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    for old, new in RENAMED.items():
        AuditEvent.objects.filter(action=old).update(action=new)
    for event in AuditEvent.objects.filter(action__in=SAVES).only("pk", "action", "changes").iterator():
        changes = event.changes or {}
        created = bool(changes) and all(isinstance(v, list) and v and v[0] is None for v in changes.values())
        event.action = event.action.removesuffix(".save") + (".create" if created else ".update")
        event.save(update_fields=["action"])


def backwards(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    for old, new in RENAMED.items():
        AuditEvent.objects.filter(action=new).update(action=old)
    for entity in ("broker", "asset", "portfolio"):
        AuditEvent.objects.filter(action__in=[f"portfolio.{entity}.create", f"portfolio.{entity}.update"]).update(
            action=f"portfolio.{entity}.save"
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_billing_permissions_moved")]

    operations = [migrations.RunPython(forwards, backwards)]

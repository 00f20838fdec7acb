import importlib

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory

BILLING_CODENAMES = ("approve_invoices", "operate_robots", "upload_invoices")


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_billing_groups_exist_with_permissions(db):
    aprovador = Group.objects.get(name="Aprovador")
    operador = Group.objects.get(name="Operador")
    assert set(aprovador.permissions.values_list("codename", flat=True)) == {"approve_invoices"}
    assert set(operador.permissions.values_list("codename", flat=True)) == {"operate_robots", "upload_invoices"}
    staff = UserFactory(is_staff=True)
    staff.groups.add(aprovador)
    staff = User.objects.get(pk=staff.pk)
    assert staff.has_perm("billing_rpa.approve_invoices")
    assert not staff.has_perm("billing_rpa.operate_robots")


def test_permission_migration_keeps_every_holder_able_to_act(db):
    migration = importlib.import_module("billing_rpa.migrations.0002_billing_permissions")
    migration.to_accounts(apps, None)  # the database as it was before the move
    aprovador = Group.objects.get(name="Aprovador")
    assert set(aprovador.permissions.values_list("content_type__app_label", "codename")) == {
        ("accounts", "approve_invoices")
    }
    approver = UserFactory(is_staff=True)
    approver.groups.add(aprovador)
    uploader = UserFactory(is_staff=True)
    uploader.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="upload_invoices")
    )
    assert fresh(approver).has_perm("accounts.approve_invoices")

    migration.to_billing(apps, None)

    assert fresh(approver).has_perm("billing_rpa.approve_invoices")
    assert not fresh(approver).has_perm("billing_rpa.operate_robots")
    assert fresh(uploader).has_perm("billing_rpa.upload_invoices")
    assert not fresh(uploader).has_perm("billing_rpa.approve_invoices")
    assert set(Group.objects.get(name="Operador").permissions.values_list("content_type__app_label", "codename")) == {
        ("billing_rpa", "operate_robots"),
        ("billing_rpa", "upload_invoices"),
    }
    assert not Permission.objects.filter(content_type__app_label="accounts", codename__in=BILLING_CODENAMES).exists()


def test_billing_staff_keep_admin_access_when_they_stop_being_admin(db):
    operator, outsider, boss = AdminFactory(), AdminFactory(), AdminFactory()
    operator.groups.add(Group.objects.get(name="Operador"))
    outsider.groups.add(Group.objects.create(name="Outro grupo"))
    for user in (operator, outsider):  # another ADMIN demotes them (nobody may demote themself)
        account_services.user_update(user=user, data={"role": "USER"}, actor=boss)
    assert (fresh(operator).is_superuser, fresh(operator).is_staff) == (False, True)
    assert (fresh(outsider).is_superuser, fresh(outsider).is_staff) == (False, False)

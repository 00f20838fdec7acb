"""An ADMIN cannot take away their own ADMIN role; the last active ADMIN stays an active ADMIN."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from accounts import services
from accounts.choices import Role
from accounts.models import AuditEvent, User
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def detail(user):
    return f"/api/v1/users/{user.pk}/"


def test_admin_cannot_demote_themself_through_the_api(client_for, admin_user):
    AdminFactory()  # another ADMIN exists: the refusal is about oneself
    response = client_for(admin_user).patch(detail(admin_user), {"role": Role.USER}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_superuser
    assert not AuditEvent.objects.filter(action="accounts.user.update").exists()


def test_the_last_active_admin_cannot_be_demoted_deactivated_or_deleted(admin_user):
    other = AdminFactory(is_active=False)  # an inactive ADMIN does not count
    for change in ({"role": Role.USER}, {"is_active": False}):
        with pytest.raises(ValidationError):
            services.user_update(user=admin_user, data=change, actor=None)
    with pytest.raises(ValidationError):
        services.user_delete(user=admin_user, actor=other)
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == (Role.ADMIN, True)


def test_another_admin_may_be_demoted_while_one_remains(client_for, admin_user):
    second = AdminFactory()
    response = client_for(admin_user).patch(detail(second), {"role": Role.USER}, format="json")
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.role == Role.USER and not second.is_superuser


def test_admin_form_refuses_demoting_oneself(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[admin_user.pk])
    data = {
        "username": admin_user.username,
        "email": admin_user.email,
        "full_name": admin_user.full_name,
        "role": Role.USER,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "próprio papel de ADMIN" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_bulk_deactivation_never_leaves_no_active_admin(client, admin_user):
    other = AdminFactory()
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_changelist")
    client.post(url, {"action": "deactivate_users", "_selected_action": [admin_user.pk, other.pk]})
    assert list(User.objects.filter(role=Role.ADMIN, is_active=True)) == [admin_user]  # oneself is skipped
    response = client.post(url, {"action": "deactivate_users", "_selected_action": [admin_user.pk]}, follow=True)
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.is_active


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one(db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    first, second = AdminFactory(), AdminFactory()
    barrier, outcomes = threading.Barrier(2), []

    def demote(target, actor):
        try:
            barrier.wait()
            services.user_update(
                user=User.objects.get(pk=target), data={"role": Role.USER}, actor=User.objects.get(pk=actor)
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(first.pk, second.pk)),
        threading.Thread(target=demote, args=(second.pk, first.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1

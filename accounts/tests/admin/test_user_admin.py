import pytest
from django.urls import reverse

from accounts.models import AuditEvent, User
from accounts.tests.factories import UserFactory


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_user_changelist_filters_and_search(admin_client):
    UserFactory(username="maria.santos", role="READONLY")
    url = reverse("admin:accounts_user_changelist")
    response = admin_client.get(url, {"role__exact": "READONLY", "q": "maria"})
    assert response.status_code == 200
    assert b"maria.santos" in response.content
    assert "Exitus" in response.content.decode()


def test_admin_pages_render_in_portuguese(admin_client, user):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "Nome completo" in page or "nome completo" in page
    assert admin_client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200


def test_deactivate_and_activate_actions(admin_client, admin_user):
    targets = UserFactory.create_batch(2)
    url = reverse("admin:accounts_user_changelist")
    ids = [u.pk for u in targets] + [admin_user.pk]
    response = admin_client.post(url, {"action": "deactivate_users", "_selected_action": ids}, follow=True)
    assert response.status_code == 200
    assert "2 usuários desativados" in response.content.decode()
    assert User.objects.filter(pk__in=[u.pk for u in targets], is_active=False).count() == 2
    # The admin running the action is never locked out by it.
    assert User.objects.get(pk=admin_user.pk).is_active
    assert AuditEvent.objects.filter(action="accounts.user.deactivate").count() == 2

    admin_client.post(url, {"action": "activate_users", "_selected_action": ids})
    assert User.objects.filter(pk__in=ids, is_active=True).count() == 3


def test_add_user_form_rejects_duplicate_email(admin_client):
    UserFactory(email="dup@example.com")
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "novo",
            "email": "DUP@example.com",
            "full_name": "Novo",
            "role": "USER",
            "password1": "senha-forte-9",
            "password2": "senha-forte-9",
        },
    )
    assert response.status_code == 200
    assert "Já existe um usuário com este e-mail." in response.content.decode()
    assert not User.objects.filter(username="novo").exists()

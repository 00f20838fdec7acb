import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import User

EXPECTED = {
    "admin": ("admin@exitus.com", Role.ADMIN, "admin123"),
    "joao.silva": ("joao.silva@example.com", Role.USER, "user123"),
    "maria.santos": ("maria.santos@example.com", Role.USER, "user123"),
    "viewer": ("viewer@exitus.com", Role.READONLY, "user123"),
    "teste.user": ("teste@exitus.com", Role.USER, "user123"),
}


@pytest.mark.django_db
def test_seed_demo_creates_the_seed_users_idempotently(capsys):
    call_command("seed_demo")
    first = {u.username: u.pk for u in User.objects.all()}
    call_command("seed_demo")
    assert {u.username: u.pk for u in User.objects.all()} == first
    for username, (email, role, password) in EXPECTED.items():
        user = User.objects.get(username=username)
        assert (user.email, user.role) == (email, role)
        assert user.check_password(password)
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_demo_admin_logs_in_through_the_api(api_client):
    call_command("seed_demo")
    response = api_client.post("/api/v1/auth/token/", {"username": "admin", "password": "admin123"})
    assert response.status_code == 200

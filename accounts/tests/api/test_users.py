import pytest

from accounts.choices import Role
from accounts.models import AuditEvent, User
from accounts.tests.factories import UserFactory

USERS_URL = "/api/v1/users/"


def detail(user):
    return f"{USERS_URL}{user.pk}/"


def snapshot():
    return list(User.objects.order_by("pk").values("pk", "username", "email", "full_name", "role", "is_active"))


# --- list -------------------------------------------------------------------------


def test_list_without_token_is_401(api_client, db):
    assert api_client.get(USERS_URL).status_code == 401


def test_list_as_user_is_403(client_for, user):
    assert client_for(user).get(USERS_URL).status_code == 403


def test_list_as_readonly_is_403(client_for, readonly_user):
    assert client_for(readonly_user).get(USERS_URL).status_code == 403


def test_admin_lists_with_pagination(client_for, admin_user):
    UserFactory.create_batch(12)
    response = client_for(admin_user).get(USERS_URL, {"page": 2, "page_size": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 13
    assert len(body["results"]) == 5
    assert set(body["results"][0]) == {"id", "username", "email", "full_name", "role", "active", "created_at"}


def test_admin_filters_active_role_and_search(client_for, admin_user):
    UserFactory(username="maria.santos", email="maria.santos@example.com", full_name="Maria Santos")
    UserFactory(username="pedro", full_name="Pedro Maria", is_active=False)
    UserFactory(username="leitor", role=Role.READONLY)
    client = client_for(admin_user)

    def usernames(**params):
        return sorted(u["username"] for u in client.get(USERS_URL, params).json()["results"])

    assert usernames(search="maria") == ["maria.santos", "pedro"]
    assert usernames(search="maria", active="true") == ["maria.santos"]
    assert usernames(active="false") == ["pedro"]
    assert usernames(role="READONLY") == ["leitor"]
    assert usernames(role="ADMIN", active="true", search=admin_user.username) == [admin_user.username]


def test_invalid_role_filter_is_400(client_for, admin_user):
    assert client_for(admin_user).get(USERS_URL, {"role": "CHEFE"}).status_code == 400


# --- retrieve ---------------------------------------------------------------------


def test_user_sees_self_but_not_others(client_for, user, other_user, admin_user):
    client = client_for(user)
    assert client.get(detail(user)).json()["username"] == user.username
    assert client.get(detail(other_user)).status_code == 404
    assert client.get(detail(admin_user)).status_code == 404


def test_admin_sees_anyone(client_for, admin_user, user):
    assert client_for(admin_user).get(detail(user)).json()["email"] == user.email


# --- create -----------------------------------------------------------------------


def test_public_registration_creates_a_user(api_client, db):
    payload = {"username": "teste_novo", "email": "Teste@Example.com", "password": "senha1234", "full_name": "Teste"}
    response = api_client.post(USERS_URL, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "USER"
    assert body["email"] == "teste@example.com"
    assert "password" not in body
    created = User.objects.get(username="teste_novo")
    assert created.check_password("senha1234")
    assert created.password != "senha1234"
    assert AuditEvent.objects.filter(action="accounts.user.create", target_id=str(created.pk)).exists()


def test_public_registration_with_role_user_is_accepted(api_client, db):
    payload = {"username": "u1", "email": "u1@example.com", "password": "senha1234", "role": "USER"}
    assert api_client.post(USERS_URL, payload, format="json").status_code == 201


@pytest.mark.parametrize("role", ["ADMIN", "READONLY"])
def test_public_registration_never_honours_another_role(api_client, db, role):
    payload = {"username": "esperto", "email": "esperto@example.com", "password": "senha1234", "role": role}
    response = api_client.post(USERS_URL, payload, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    assert not User.objects.filter(username="esperto").exists()


def test_short_password_is_400(api_client, db):
    response = api_client.post(USERS_URL, {"username": "curto", "email": "curto@test.com", "password": "123"})
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(username="curto").exists()


def test_duplicate_email_in_any_case_is_400(api_client, db):
    UserFactory(email="teste@example.com")
    before = snapshot()
    response = api_client.post(
        USERS_URL, {"username": "outro", "email": "TESTE@example.com", "password": "senha1234"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()
    assert snapshot() == before


def test_duplicate_username_in_any_case_is_400(api_client, db):
    UserFactory(username="joana")
    response = api_client.post(USERS_URL, {"username": "JOANA", "email": "j2@example.com", "password": "senha1234"})
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"email": "a@b.com", "password": "senha1234"}, "username"),
        ({"username": "sem_email", "password": "senha1234"}, "email"),
        ({"username": "mau_email", "email": "nao-e-email", "password": "senha1234"}, "email"),
        ({"username": "com espaco", "email": "x@y.com", "password": "senha1234"}, "username"),
    ],
)
def test_invalid_registration_fields_are_400(api_client, db, payload, field):
    response = api_client.post(USERS_URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0


def test_admin_creates_any_role(client_for, admin_user):
    payload = {"username": "novo.admin", "email": "na@example.com", "password": "senha1234", "role": "ADMIN"}
    response = client_for(admin_user).post(USERS_URL, payload, format="json")
    assert response.status_code == 201
    created = User.objects.get(username="novo.admin")
    assert created.role == Role.ADMIN and created.is_superuser and created.is_staff


def test_readonly_cannot_register_others(client_for, readonly_user):
    payload = {"username": "x1", "email": "x1@example.com", "password": "senha1234"}
    assert client_for(readonly_user).post(USERS_URL, payload, format="json").status_code == 403
    assert not User.objects.filter(username="x1").exists()


# --- update -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_user_updates_own_allowed_fields(client_for, user, method):
    response = getattr(client_for(user), method)(detail(user), {"full_name": "Maria Santos - Atualizado"})
    assert response.status_code == 200
    assert response.json()["full_name"] == "Maria Santos - Atualizado"
    user.refresh_from_db()
    assert user.full_name == "Maria Santos - Atualizado"


@pytest.mark.parametrize("payload", [{"role": "ADMIN"}, {"active": False}, {"role": "ADMIN", "full_name": "Hacker"}])
def test_user_cannot_change_own_role_or_active(client_for, user, payload):
    before = snapshot()
    response = client_for(user).put(detail(user), payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"role", "active"}
    assert snapshot() == before


def test_user_cannot_update_someone_else(client_for, user, other_user):
    before = snapshot()
    assert client_for(user).patch(detail(other_user), {"full_name": "x"}).status_code == 404
    assert snapshot() == before


def test_readonly_cannot_update_self(client_for, readonly_user):
    before = snapshot()
    assert client_for(readonly_user).patch(detail(readonly_user), {"full_name": "x"}).status_code == 403
    assert snapshot() == before


def test_user_changes_password(client_for, user):
    response = client_for(user).patch(detail(user), {"password": "nova-senha-forte"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("nova-senha-forte")


def test_update_to_taken_email_is_400(client_for, user, other_user):
    response = client_for(user).patch(detail(user), {"email": other_user.email.upper()}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_admin_changes_role_and_active(client_for, admin_user, user):
    response = client_for(admin_user).put(detail(user), {"role": "READONLY", "active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "READONLY"
    assert response.json()["active"] is False
    event = AuditEvent.objects.get(action="accounts.user.update", target_id=str(user.pk))
    assert event.actor == admin_user
    assert event.changes["role"] == ["USER", "READONLY"]


def test_inactive_user_can_no_longer_log_in(api_client, client_for, admin_user):
    target = UserFactory(username="sai", password="senha-forte-1")
    client_for(admin_user).patch(detail(target), {"active": False}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"username": "sai", "password": "senha-forte-1"})
    assert response.status_code == 401


# --- delete -----------------------------------------------------------------------


def test_admin_deletes_user_then_404(client_for, admin_user, user):
    client = client_for(admin_user)
    assert client.delete(detail(user)).status_code == 204
    assert client.get(detail(user)).status_code == 404
    assert not User.objects.filter(pk=user.pk).exists()


def test_user_cannot_delete(client_for, user, admin_user):
    assert client_for(user).delete(detail(admin_user)).status_code == 403
    assert client_for(user).delete(detail(user)).status_code == 403
    assert User.objects.filter(pk__in=[user.pk, admin_user.pk]).count() == 2


def test_admin_cannot_delete_self(client_for, admin_user):
    response = client_for(admin_user).delete(detail(admin_user))
    assert response.status_code == 400
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_delete_without_token_is_401(api_client, user):
    assert api_client.delete(detail(user)).status_code == 401
    assert User.objects.filter(pk=user.pk).exists()


def test_list_rows_match_the_detail_serializer(client_for, admin_user):
    from accounts.api.serializers import UserSerializer

    UserFactory.create_batch(3)
    rows = client_for(admin_user).get(USERS_URL).json()["results"]
    expected = [dict(UserSerializer(u).data) for u in User.objects.order_by("username")]
    assert rows == expected

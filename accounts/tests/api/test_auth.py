import pytest
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


def login(client, username, password=DEFAULT_PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("login_with", ["username", "email", "EMAIL_UPPER"])
def test_login_with_username_or_email(api_client, login_with):
    user = UserFactory(username="ana", email="ana@example.com")
    value = {"username": "ana", "email": "ana@example.com", "EMAIL_UPPER": "ANA@EXAMPLE.COM"}[login_with]
    response = login(api_client, value)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh"}

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    assert "password" not in me.json()


@pytest.mark.django_db
def test_wrong_password_and_inactive_user_get_401(api_client):
    UserFactory(username="bia")
    UserFactory(username="inativo", is_active=False)
    assert login(api_client, "bia", "errada-123").status_code == 401
    assert login(api_client, "inativo").status_code == 401
    assert login(api_client, "ninguem").status_code == 401


@pytest.mark.django_db
def test_refresh_rotates_and_old_refresh_is_rejected(api_client):
    UserFactory(username="carla")
    tokens = login(api_client, "carla").json()
    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh"] != tokens["refresh"]
    # The rotated-out token was blacklisted.
    again = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


@pytest.mark.django_db
def test_logout_blacklists_refresh_token(api_client):
    UserFactory(username="dora")
    tokens = login(api_client, "dora").json()
    response = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    reuse = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert reuse.status_code == 401
    assert api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_logout_with_garbage_token_is_rejected(api_client):
    assert api_client.post(LOGOUT_URL, {"refresh": "not-a-token"}, format="json").status_code == 401
    assert api_client.post(LOGOUT_URL, {}, format="json").status_code == 400


@pytest.mark.django_db
def test_me_requires_authentication(api_client):
    assert api_client.get(ME_URL).status_code == 401


@pytest.fixture
def login_rates(monkeypatch):
    """Set the login throttle rates for one test (DRF reads them at import time)."""

    def set_rates(**rates):
        merged = {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates


@pytest.mark.django_db
def test_brute_force_on_one_username_gets_429(api_client, login_rates):
    login_rates(login_username="3/min", login_ip="100/min")
    UserFactory(username="eva")
    statuses = [login(api_client, "eva", "errada-123").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Even the right password is refused while the account's budget is spent.
    assert login(api_client, "eva").status_code == 429
    # Another account from the same client still works: the budget is per username.
    other = UserFactory(username="fabio")
    assert login(api_client, other.username).status_code == 200


@pytest.mark.django_db
def test_brute_force_from_one_ip_gets_429(api_client, login_rates):
    login_rates(login_username="100/min", login_ip="3/min")
    statuses = [login(api_client, f"user-{i}", "x" * 8).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]

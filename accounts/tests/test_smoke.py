def test_me_requires_token(api_client, db):
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_me_returns_self(client_for, user):
    response = client_for(user).get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username

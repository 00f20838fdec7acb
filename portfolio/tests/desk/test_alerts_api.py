"""/api/v1/alerts/ and /api/v1/notifications/: CRUD, snooze, read; scoping and READONLY."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portfolio.desk import services
from portfolio.desk.models import Alert, Notification

from ..factories import AssetFactory, PortfolioFactory
from .test_alerts import NOW, quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def petr():
    return AssetFactory(ticker="PETR4")


def test_alert_crud_and_snooze(user, client_for, petr):
    client = client_for(user)
    created = client.post(
        "/api/v1/alerts/", {"kind": "preco_acima", "asset": petr.pk, "threshold": "40"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["asset"]["ticker"] == "PETR4" and body["triggered"] is False and body["owner"] == user.pk
    pk = body["id"]
    assert (
        client.patch(f"/api/v1/alerts/{pk}/", {"threshold": "42"}, format="json").json()["threshold"] == "42.00000000"
    )
    snoozed = client.post(f"/api/v1/alerts/{pk}/snooze/", {"hours": 2}, format="json")
    assert snoozed.status_code == 200 and snoozed.json()["snoozed_until"] is not None
    until = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.post(f"/api/v1/alerts/{pk}/snooze/", {"until": until}, format="json").status_code == 200
    assert client.post(f"/api/v1/alerts/{pk}/snooze/", {}, format="json").status_code == 400
    assert client.post(f"/api/v1/alerts/{pk}/unsnooze/").json()["snoozed_until"] is None
    assert client.get("/api/v1/alerts/?kind=preco_acima").json()["count"] == 1
    assert client.delete(f"/api/v1/alerts/{pk}/").status_code == 204
    assert not Alert.objects.exists()


def test_alert_bad_input(user, client_for, petr):
    client = client_for(user)
    response = client.post("/api/v1/alerts/", {"kind": "preco_acima", "threshold": "40"}, format="json")
    assert response.status_code == 400 and "asset" in response.json()
    other = PortfolioFactory(target_allocation={"renda_fixa": 100})
    response = client.post(
        "/api/v1/alerts/", {"kind": "desvio_alocacao", "portfolio": other.pk, "threshold": "5"}, format="json"
    )
    assert response.status_code == 400 and "portfolio" in response.json()
    assert not Alert.objects.exists()


def test_scoping_and_readonly(user, other_user, readonly_user, admin_user, client_for, petr):
    alert = services.alert_create(owner=user, kind="preco_acima", asset=petr, threshold=40)
    quote(petr, "41")
    services.evaluate_alerts(now=NOW)
    note = Notification.objects.get()
    for who, code in ((other_user, 404), (readonly_user, 404), (admin_user, 200), (None, 401)):
        assert client_for(who).get(f"/api/v1/alerts/{alert.pk}/").status_code == code
        assert client_for(who).get(f"/api/v1/notifications/{note.pk}/").status_code == code
    assert client_for(other_user).patch(f"/api/v1/alerts/{alert.pk}/", {"note": "x"}, format="json").status_code == 404
    assert client_for(other_user).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404
    readonly = client_for(readonly_user)
    assert (
        readonly.post("/api/v1/alerts/", {"kind": "preco_acima", "asset": petr.pk, "threshold": "1"}).status_code == 403
    )
    assert readonly.post("/api/v1/notifications/read-all/").status_code == 403
    assert client_for(other_user).post("/api/v1/notifications/read-all/").json() == {"updated": 0}
    note.refresh_from_db()
    assert note.read_at is None and Alert.objects.count() == 1
    admin = client_for(admin_user)
    made = admin.post(f"/api/v1/alerts/?owner={user.pk}", {"kind": "darf_vencendo", "threshold": "5"}, format="json")
    assert made.status_code == 201 and made.json()["owner"] == user.pk
    assert admin.post(f"/api/v1/notifications/read-all/?owner={user.pk}").json() == {"updated": 1}


def test_notifications_list_and_read(user, client_for, petr):
    services.alert_create(owner=user, kind="preco_acima", asset=petr, threshold=40)
    quote(petr, "41")
    services.evaluate_alerts(now=NOW)
    client = client_for(user)
    listing = client.get("/api/v1/notifications/?unread=true").json()
    assert listing["count"] == 1 and listing["results"][0]["title"] == "PETR4 acima de R$ 40,00"
    pk = listing["results"][0]["id"]
    assert client.post(f"/api/v1/notifications/{pk}/read/").json()["read_at"] is not None
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    assert client.post("/api/v1/notifications/read-all/", {"ids": [pk]}, format="json").json() == {"updated": 0}
    assert client.delete(f"/api/v1/notifications/{pk}/").status_code == 204

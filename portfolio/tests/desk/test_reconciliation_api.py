"""/api/v1/reconciliations/: import, cash, lines; scoping (404 for others', 403 READONLY, ADMIN ?owner=)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio.desk.models import Reconciliation

from .conftest import sample

pytestmark = pytest.mark.django_db
URL = "/api/v1/reconciliations/"


def upload(name="posicao-2025-03-31.xlsx", **extra):
    return {"file": SimpleUploadedFile(name, sample(name)), **extra}


def test_import_then_rerun(desk, client_for):
    client = client_for(desk.owner)
    first = client.post(f"{URL}import/", upload(), format="multipart")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["as_of"] == "2025-03-31" and body["created"] is True and body["unchanged"] is False
    assert body["open_issues"] == 9 and len(body["issues"]) == 9
    itsa = next(line for line in body["issues"] if line["ticker"] == "ITSA4")
    assert itsa["cause"] == "evento_corporativo"
    assert itsa["ledger_url"] == f"/api/v1/positions/consolidated/{desk.assets['ITSA4'].pk}/ledger/"
    again = client.post(f"{URL}import/", upload(), format="multipart")
    assert again.status_code == 200 and again.json()["unchanged"] is True and again.json()["id"] == body["id"]
    assert Reconciliation.objects.count() == 1
    lines = client.get(f"{URL}{body['id']}/lines/?status=confere").json()
    assert lines["count"] == 3 and {line["ticker"] for line in lines["results"]} == {
        "PETR4",
        "HGLG11",
        "TESOURO-SELIC-2029",
    }
    assert client.get(f"{URL}{body['id']}/lines/?status=nada").status_code == 400
    detail = client.get(f"{URL}{body['id']}/").json()
    assert detail["matches"] == 3
    listing = client.get(f"{URL}?open=true").json()
    assert listing["count"] == 1
    assert client.get(f"{URL}?open=false").json()["count"] == 0


def test_cash_endpoint(desk, client_for):
    client = client_for(desk.owner)
    response = client.post(
        f"{URL}cash/",
        {"as_of": "2025-03-31", "balances": [{"broker": desk.nu.pk, "balance": "12.34"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["issues"][0]["cause"] == "movimentacao_faltando"
    assert client.post(f"{URL}cash/", {"as_of": "2025-03-31", "balances": []}, format="json").status_code == 400
    cash_file = client.post(f"{URL}import/", upload("saldos-2025-03-31.csv", kind="caixa"), format="multipart")
    assert cash_file.status_code == 201 and cash_file.json()["kind"] == "caixa"


def test_bad_input_is_field_level(desk, client_for):
    client = client_for(desk.owner)
    response = client.post(f"{URL}import/", upload("saldos-2025-03-31.csv"), format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    bad = client.post(f"{URL}import/", {"file": SimpleUploadedFile("x.csv", b"a;b\n")}, format="multipart").json()
    assert "as_of" in bad
    other = client.post(f"{URL}import/", upload(portfolio=desk.other_portfolio.pk), format="multipart")
    assert other.status_code == 400 and "portfolio" in other.json()
    assert Reconciliation.objects.count() == 0


def test_scoping(desk, client_for):
    run = client_for(desk.owner).post(f"{URL}import/", upload(), format="multipart").json()
    for user, code in ((desk.other, 404), (desk.readonly, 404), (desk.admin, 200), (None, 401)):
        assert client_for(user).get(f"{URL}{run['id']}/").status_code == code
        assert client_for(user).get(f"{URL}{run['id']}/lines/").status_code == code
    assert client_for(desk.other).get(URL).json()["count"] == 0
    assert client_for(desk.readonly).post(f"{URL}import/", upload(), format="multipart").status_code == 403
    assert client_for(desk.readonly).delete(f"{URL}{run['id']}/").status_code == 403
    assert client_for(desk.other).delete(f"{URL}{run['id']}/").status_code == 404
    assert Reconciliation.objects.count() == 1
    assert client_for(desk.owner).delete(f"{URL}{run['id']}/").status_code == 204


def test_admin_acts_for_an_owner(desk, client_for):
    admin = client_for(desk.admin)
    response = admin.post(f"{URL}import/?owner={desk.owner.pk}", upload(), format="multipart")
    assert response.status_code == 201 and response.json()["owner"] == desk.owner.pk
    assert response.json()["open_issues"] == 9
    with_portfolio = admin.post(f"{URL}import/", upload(portfolio=desk.second.pk), format="multipart")
    assert with_portfolio.json()["owner"] == desk.owner.pk
    assert admin.post(f"{URL}import/?owner=999999", upload(), format="multipart").status_code == 400

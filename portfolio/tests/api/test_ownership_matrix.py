"""Every endpoint × (owner, other user, READONLY, ADMIN, anonymous): status, and refused writes change nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio.models import (
    Asset,
    Broker,
    CashMovement,
    CorporateEvent,
    Dividend,
    DividendReceipt,
    Portfolio,
    Position,
    PositionEntry,
    Transaction,
)

from ..factories import AssetFactory, BrokerFactory

pytestmark = pytest.mark.django_db

ROLES = ("owner", "other", "readonly", "admin", "anon")
MODELS = (
    Broker,
    Asset,
    Portfolio,
    Transaction,
    Position,
    PositionEntry,
    CorporateEvent,
    Dividend,
    DividendReceipt,
    CashMovement,
)


def snapshot():
    return {model.__name__: sorted(map(repr, model.objects.values())) for model in MODELS}


def everyone(code):
    return {"owner": code, "other": code, "readonly": code, "admin": code, "anon": 401}


def owned(ok):
    """An object of the owner's: another user (READONLY included) gets 404."""
    return {"owner": ok, "other": 404, "readonly": 404, "admin": ok, "anon": 401}


def owned_write(ok):
    return {"owner": ok, "other": 404, "readonly": 403, "admin": ok, "anon": 401}


def admin_write(ok):
    return {"owner": 403, "other": 403, "readonly": 403, "admin": ok, "anon": 401}


def trade_body(w):
    return {
        "portfolio": w.portfolio.pk,
        "broker": w.xp.pk,
        "asset": w.petr.pk,
        "kind": "compra",
        "trade_date": "2025-03-11",
        "quantity": "10",
        "unit_price": "31.00",
    }


def import_body(w):
    csv = b"date,kind,ticker,quantity,price,broker\n2025-03-12,compra,PETR4,5,32.00,XP Investimentos\n"
    return {"file": SimpleUploadedFile("trades.csv", csv, "text/csv"), "portfolio": w.portfolio.pk, "dry_run": "true"}


CASES = {
    # reads of the owner's objects
    "portfolio-detail": ("get", lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/", None, owned(200)),
    "portfolio-dashboard": ("get", lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/dashboard/", None, owned(200)),
    "transaction-detail": ("get", lambda w: f"/api/v1/transactions/{w.tx.pk}/", None, owned(200)),
    "position-detail": ("get", lambda w: f"/api/v1/positions/{w.position.pk}/", None, owned(200)),
    "receipt-detail": ("get", lambda w: f"/api/v1/dividends/received/{w.receipt.pk}/", None, owned(200)),
    "cash-detail": ("get", lambda w: f"/api/v1/cash-movements/{w.deposit.pk}/", None, owned(200)),
    # lists (scoped: content checked elsewhere)
    "portfolio-list": ("get", lambda w: "/api/v1/portfolios/", None, everyone(200)),
    "transaction-list": ("get", lambda w: "/api/v1/transactions/", None, everyone(200)),
    "transaction-export": ("get", lambda w: "/api/v1/transactions/export/?format=csv", None, everyone(200)),
    "position-list": ("get", lambda w: "/api/v1/positions/", None, everyone(200)),
    "position-consolidated": ("get", lambda w: "/api/v1/positions/consolidated/", None, everyone(200)),
    "position-export": ("get", lambda w: "/api/v1/positions/export/?format=xlsx", None, everyone(200)),
    "receipt-list": ("get", lambda w: "/api/v1/dividends/received/", None, everyone(200)),
    "receipt-export": ("get", lambda w: "/api/v1/dividends/received/export/", None, everyone(200)),
    "cash-list": ("get", lambda w: "/api/v1/cash-movements/", None, everyone(200)),
    "dashboard": ("get", lambda w: "/api/v1/dashboard/", None, everyone(200)),
    # global catalogues: everyone reads
    "broker-list": ("get", lambda w: "/api/v1/brokers/", None, everyone(200)),
    "broker-detail": ("get", lambda w: f"/api/v1/brokers/{w.xp.pk}/", None, everyone(200)),
    "broker-balance": ("get", lambda w: f"/api/v1/brokers/{w.xp.pk}/balance/", None, everyone(200)),
    "asset-list": ("get", lambda w: "/api/v1/assets/", None, everyone(200)),
    "asset-detail": ("get", lambda w: f"/api/v1/assets/{w.petr.pk}/", None, everyone(200)),
    "event-list": ("get", lambda w: "/api/v1/corporate-events/", None, everyone(200)),
    "event-detail": ("get", lambda w: f"/api/v1/corporate-events/{w.event.pk}/", None, everyone(200)),
    "dividend-list": ("get", lambda w: "/api/v1/dividends/", None, everyone(200)),
    "dividend-detail": ("get", lambda w: f"/api/v1/dividends/{w.dividend.pk}/", None, everyone(200)),
    # writes on the owner's data
    "portfolio-create": (
        "post",
        lambda w: "/api/v1/portfolios/",
        lambda w: {"name": "Nova"},
        {"owner": 201, "other": 201, "readonly": 403, "admin": 201, "anon": 401},
    ),
    "portfolio-update": (
        "patch",
        lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/",
        lambda w: {"goal": "Independência"},
        owned_write(200),
    ),
    "portfolio-delete": ("delete", lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/", None, owned_write(204)),
    "transaction-create": (
        "post",
        lambda w: "/api/v1/transactions/",
        trade_body,
        {"owner": 201, "other": 400, "readonly": 403, "admin": 201, "anon": 401},
    ),
    "transaction-update": (
        "patch",
        lambda w: f"/api/v1/transactions/{w.tx.pk}/",
        lambda w: {"notes": "nota"},
        owned_write(200),
    ),
    "transaction-delete": ("delete", lambda w: f"/api/v1/transactions/{w.tx.pk}/", None, owned_write(204)),
    "transaction-import": (
        "post",
        lambda w: "/api/v1/transactions/import/",
        import_body,
        {"owner": 200, "other": 400, "readonly": 403, "admin": 200, "anon": 401},
    ),
    "cash-create": (
        "post",
        lambda w: "/api/v1/cash-movements/",
        lambda w: {"broker": w.xp.pk, "kind": "deposito", "amount": "10.00"},
        {"owner": 201, "other": 201, "readonly": 403, "admin": 201, "anon": 401},
    ),
    "cash-update": (
        "patch",
        lambda w: f"/api/v1/cash-movements/{w.deposit.pk}/",
        lambda w: {"description": "aporte"},
        owned_write(200),
    ),
    "cash-delete": ("delete", lambda w: f"/api/v1/cash-movements/{w.deposit.pk}/", None, owned_write(204)),
    "position-create": (
        "post",
        lambda w: "/api/v1/positions/",
        lambda w: {"quantity": "1"},
        {"owner": 405, "other": 405, "readonly": 403, "admin": 405, "anon": 401},
    ),
    "receipt-delete": (
        "delete",
        lambda w: f"/api/v1/dividends/received/{w.receipt.pk}/",
        None,
        {"owner": 405, "other": 405, "readonly": 403, "admin": 405, "anon": 401},
    ),
    # catalogue writes: ADMIN only
    "broker-create": ("post", lambda w: "/api/v1/brokers/", lambda w: {"name": "Genial"}, admin_write(201)),
    "broker-update": (
        "patch",
        lambda w: f"/api/v1/brokers/{w.xp.pk}/",
        lambda w: {"notes": "parceira"},
        admin_write(200),
    ),
    "broker-delete": (
        "delete",
        lambda w: f"/api/v1/brokers/{BrokerFactory(name='Sem uso').pk}/",
        None,
        admin_write(204),
    ),
    "asset-create": (
        "post",
        lambda w: "/api/v1/assets/",
        lambda w: {"ticker": "WEGE3", "asset_type": "acao", "name": "WEG ON"},
        admin_write(201),
    ),
    "asset-update": ("patch", lambda w: f"/api/v1/assets/{w.petr.pk}/", lambda w: {"sector": "Óleo"}, admin_write(200)),
    "asset-delete": (
        "delete",
        lambda w: f"/api/v1/assets/{AssetFactory(ticker='UNUS3').pk}/",
        None,
        admin_write(204),
    ),
    "event-create": (
        "post",
        lambda w: "/api/v1/corporate-events/",
        lambda w: {"asset": w.petr.pk, "kind": "split", "event_date": "2025-04-01", "ratio": "1:2"},
        admin_write(201),
    ),
    "event-update": (
        "patch",
        lambda w: f"/api/v1/corporate-events/{w.event.pk}/",
        lambda w: {"notes": "cisão parcial"},
        admin_write(200),
    ),
    "event-delete": ("delete", lambda w: f"/api/v1/corporate-events/{w.event.pk}/", None, admin_write(204)),
    "dividend-create": (
        "post",
        lambda w: "/api/v1/dividends/",
        lambda w: {"asset": w.petr.pk, "kind": "jcp", "value_per_share": "0.30", "data_com": "2025-03-25"},
        admin_write(201),
    ),
    "dividend-update": (
        "patch",
        lambda w: f"/api/v1/dividends/{w.dividend.pk}/",
        lambda w: {"value_per_share": "0.60"},
        admin_write(200),
    ),
    "dividend-delete": ("delete", lambda w: f"/api/v1/dividends/{w.dividend.pk}/", None, admin_write(204)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_matrix(case, role, world, client_for):
    method, url, body, expected = CASES[case]
    target = url(world)
    data = body(world) if body else None
    client = client_for(None if role == "anon" else getattr(world, role))
    before = snapshot()
    kwargs = {"format": "multipart"} if case == "transaction-import" else {}
    response = getattr(client, method)(target, data, **kwargs) if data is not None else getattr(client, method)(target)
    assert response.status_code == expected[role], (case, role, getattr(response, "data", response.content[:300]))
    if method != "get" and response.status_code >= 400:
        assert snapshot() == before, f"{case} as {role} was refused but changed data"
    if method == "get" or case == "transaction-import":
        assert snapshot() == before


def test_lists_show_only_own_rows_and_admin_sees_all(world, client_for):
    own = client_for(world.owner).get("/api/v1/transactions/").json()
    assert [row["id"] for row in own["results"]] == [world.tx.pk]
    assert client_for(world.readonly).get("/api/v1/transactions/").json()["count"] == 0
    assert client_for(world.admin).get("/api/v1/transactions/").json()["count"] == 2
    positions = client_for(world.other).get("/api/v1/positions/").json()["results"]
    assert [p["asset"]["ticker"] for p in positions] == ["VALE3"]
    assert client_for(world.other).get("/api/v1/dividends/received/").json()["count"] == 0
    exported = client_for(world.other).get("/api/v1/transactions/export/").content.decode("utf-8-sig")
    assert "VALE3" in exported and "PETR4" not in exported


def test_filtering_by_someone_elses_portfolio_is_refused(world, client_for):
    response = client_for(world.other).get(f"/api/v1/transactions/?portfolio={world.portfolio.pk}")
    assert response.status_code == 400
    assert "portfolio" in response.json()


def test_assets_lookup_path_is_not_swallowed_by_detail_route(world, client_for):
    from django.urls import Resolver404, resolve

    assert resolve(f"/api/v1/assets/{world.petr.pk}/").url_name == "asset-detail"
    # The quotes app owns assets/lookup/: the digits-only detail route must not swallow it.
    assert resolve("/api/v1/assets/lookup/").url_name == "asset-lookup"
    with pytest.raises(Resolver404):
        resolve("/api/v1/assets/nao-existe/")

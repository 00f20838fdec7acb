"""Admin pages render, writes go through the services, refused trades show form errors, imports work."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolio.models import Asset, CashMovement, Position, Transaction

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def data(user):
    portfolio = PortfolioFactory(owner=user)
    xp = BrokerFactory(name="XP Investimentos")
    petr = AssetFactory(ticker="PETR4")
    tx = trade(portfolio, petr, "compra", 100, "30", broker=xp, on="2025-03-10")
    return portfolio, xp, petr, tx


MODELS = [
    "broker",
    "asset",
    "portfolio",
    "transaction",
    "position",
    "corporateevent",
    "dividend",
    "dividendreceipt",
    "cashmovement",
]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_add_pages_render(admin_client, data, model):
    assert admin_client.get(reverse(f"admin:portfolio_{model}_changelist")).status_code == 200
    add = admin_client.get(reverse(f"admin:portfolio_{model}_add"))
    assert add.status_code in (200, 403)


def test_change_pages_render(admin_client, data):
    portfolio, xp, petr, tx = data
    for name, obj in [
        ("portfolio", portfolio),
        ("broker", xp),
        ("asset", petr),
        ("transaction", tx),
        ("position", Position.objects.get()),
    ]:
        assert admin_client.get(reverse(f"admin:portfolio_{name}_change", args=[obj.pk])).status_code == 200


def _trade_form(portfolio, broker, asset, **changes):
    form = {
        "portfolio": portfolio.pk,
        "broker": broker.pk,
        "asset": asset.pk,
        "kind": "compra",
        "trade_date_0": "11/03/2025",
        "trade_date_1": "10:00:00",
        "quantity": "10",
        "unit_price": "31",
        "brokerage_fee": "0",
        "settlement_fee": "0",
        "emoluments": "0",
        "other_costs": "0",
        "withheld_tax": "0",
        "currency": "BRL",
        "fx_rate": "1",
        "notes": "",
    }
    form.update(changes)
    return form


def test_adding_a_trade_in_the_admin_goes_through_the_service(admin_client, data, admin_user):
    portfolio, xp, petr, _tx = data
    response = admin_client.post(reverse("admin:portfolio_transaction_add"), _trade_form(portfolio, xp, petr))
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Transaction.objects.latest("pk")
    assert created.owner == portfolio.owner and created.net_amount == D("310.00")
    assert Position.objects.get().quantity == 110
    assert CashMovement.objects.filter(transaction=created).exists()
    from accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="portfolio.transaction.create", actor=admin_user).exists()


def test_an_admin_save_runs_the_service_once(admin_client, data, monkeypatch):
    portfolio, xp, petr, tx = data
    from portfolio import services as portfolio_services

    calls = []
    for name in ("transaction_create", "transaction_update"):
        original = getattr(portfolio_services, name)
        monkeypatch.setattr(
            portfolio_services,
            name,
            lambda *a, _original=original, _name=name, **k: calls.append(_name) or _original(*a, **k),
        )
    admin_client.post(reverse("admin:portfolio_transaction_add"), _trade_form(portfolio, xp, petr))
    form = _trade_form(portfolio, xp, petr, quantity="20")
    admin_client.post(reverse("admin:portfolio_transaction_change", args=[tx.pk]), form)
    assert calls == ["transaction_create", "transaction_update"]  # once each: no dry run, no second replay
    tx.refresh_from_db()
    assert tx.quantity == 20


def test_refused_trade_shows_the_error_on_the_form_and_writes_nothing(admin_client, data):
    portfolio, xp, petr, _tx = data
    count = Transaction.objects.count()
    response = admin_client.post(
        reverse("admin:portfolio_transaction_add"), _trade_form(portfolio, xp, petr, kind="venda", quantity="500")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Quantidade insuficiente" in errors["quantity"][0]
    assert Transaction.objects.count() == count


def test_deleting_a_trade_in_the_admin_replays(admin_client, data):
    _portfolio, _xp, _petr, tx = data
    response = admin_client.post(reverse("admin:portfolio_transaction_delete", args=[tx.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Position.objects.exists()


def test_export_and_rebuild_actions(admin_client, data):
    _portfolio, _xp, _petr, tx = data
    url = reverse("admin:portfolio_transaction_changelist")
    response = admin_client.post(url, {"action": "export_transacoes_csv", "_selected_action": [tx.pk]})
    assert response.status_code == 200 and b"PETR4" in response.content
    with (
        mock.patch("portfolio.admin.base.rebuild_positions.delay") as delay,
        mock.patch("portfolio.admin.base.transaction.on_commit", side_effect=lambda fn: fn()),
    ):
        admin_client.post(url, {"action": "rebuild", "_selected_action": [tx.pk]})
    delay.assert_called_once_with(owner_id=tx.owner_id, asset_id=tx.asset_id)


def test_import_preview_then_confirm(admin_client, data):
    portfolio, _xp, _petr, _tx = data
    csv = b"data,tipo,ativo,quantidade,preco,corretora\n12/03/2025,compra,VALE3,10,60,XP Investimentos\n"
    url = reverse("admin:portfolio_transaction_import")
    assert admin_client.get(url).status_code == 200
    preview = admin_client.post(
        url, {"file": SimpleUploadedFile("t.csv", csv), "portfolio": portfolio.pk, "source": "auto", "broker": ""}
    )
    assert preview.status_code == 200
    assert preview.context["report"]["summary"]["new"] == 1
    assert not Asset.objects.filter(ticker="VALE3").exists()
    done = admin_client.post(url, {"token": preview.context["token"]})
    assert done.status_code == 302
    assert Position.objects.get(asset__ticker="VALE3").quantity == 10


def test_generated_cash_is_read_only_in_admin(admin_client, data):
    _portfolio, _xp, _petr, tx = data
    movement = CashMovement.objects.get(transaction=tx)
    response = admin_client.get(reverse("admin:portfolio_cashmovement_change", args=[movement.pk]))
    assert response.status_code == 200
    assert b'name="amount"' not in response.content

"""Trades through the API: field-level 400s, warnings, edits and deletions replaying positions."""

import pytest

from portfolio.models import CashMovement, Position, Transaction

pytestmark = pytest.mark.django_db


def body(w, **changes):
    data = {
        "portfolio": w.portfolio.pk,
        "broker": w.xp.pk,
        "asset": w.petr.pk,
        "kind": "compra",
        "trade_date": "2025-03-11",
        "quantity": "10",
        "unit_price": "31.00",
        "brokerage_fee": "4.90",
    }
    data.update(changes)
    return data


def test_create_returns_totals_and_updates_position(world, client_for):
    response = client_for(world.owner).post("/api/v1/transactions/", body(world))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["gross_amount"], data["total_costs"], data["net_amount"]) == ("310.00", "4.90", "314.90")
    assert data["warnings"] == []
    assert data["asset_detail"]["ticker"] == "PETR4"
    position = Position.objects.get(portfolio=world.portfolio, asset=world.petr)
    assert position.quantity == 110
    assert str(position.cost_basis) == "3314.90"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "-1"}, "unit_price"),
        ({"brokerage_fee": "-1"}, "brokerage_fee"),
        ({"asset": 999999}, "asset"),
        ({"broker": 999999}, "broker"),
        ({"kind": "doacao"}, "kind"),
        ({"trade_date": "2999-01-01"}, "trade_date"),
        ({"kind": "venda", "quantity": "101"}, "quantity"),
        ({"currency": "USD"}, "currency"),
        ({"quantity": "abc"}, "quantity"),
    ],
)
def test_bad_input_is_a_field_400_and_writes_nothing(world, client_for, changes, field):
    counts = (Transaction.objects.count(), CashMovement.objects.count())
    response = client_for(world.owner).post("/api/v1/transactions/", body(world, **changes))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts == (Transaction.objects.count(), CashMovement.objects.count())


def test_sell_beyond_holdings_message_is_clear(world, client_for):
    response = client_for(world.owner).post("/api/v1/transactions/", body(world, kind="venda", quantity="150"))
    message = response.json()["quantity"][0]
    assert "Quantidade insuficiente" in message and "100" in message and "XP Investimentos" in message


@pytest.mark.parametrize(
    ("day", "fragment"),
    [("2025-03-08", "fim de semana"), ("2025-03-04", "feriado"), ("2025-04-21", "feriado")],
)
def test_weekend_or_b3_holiday_is_a_warning_not_a_refusal(world, client_for, day, fragment):
    response = client_for(world.owner).post("/api/v1/transactions/", body(world, trade_date=day))
    assert response.status_code == 201
    assert fragment in response.json()["warnings"][0]


def test_edit_moves_trade_and_replays(world, client_for):
    client = client_for(world.owner)
    sale = client.post(
        "/api/v1/transactions/", body(world, kind="venda", quantity="50", unit_price="40", brokerage_fee="0")
    )
    assert sale.status_code == 201
    # doubling the original buy leaves the later sale's cost at the same average
    response = client.patch(f"/api/v1/transactions/{world.tx.pk}/", {"quantity": "200"})
    assert response.status_code == 200, response.json()
    position = Position.objects.get(portfolio=world.portfolio, asset=world.petr)
    assert position.quantity == 150
    assert str(position.realized_pnl) == "500.00"
    # shrinking it below what was later sold is refused, nothing changes
    response = client.patch(f"/api/v1/transactions/{world.tx.pk}/", {"quantity": "10"})
    assert response.status_code == 400 and "quantity" in response.json()
    world.tx.refresh_from_db()
    assert world.tx.quantity == 200
    # and so is deleting it
    assert client.delete(f"/api/v1/transactions/{world.tx.pk}/").status_code == 400
    assert Transaction.objects.filter(pk=world.tx.pk).exists()


def test_delete_removes_cash_and_position(world, client_for):
    response = client_for(world.owner).delete(f"/api/v1/transactions/{world.tx.pk}/")
    assert response.status_code == 204
    assert not CashMovement.objects.filter(transaction_id=world.tx.pk).exists()
    assert not Position.objects.filter(portfolio=world.portfolio, asset=world.petr).exists()


def test_generated_cash_movements_are_read_only(world, client_for):
    movement = CashMovement.objects.get(transaction=world.tx)
    client = client_for(world.owner)
    assert client.patch(f"/api/v1/cash-movements/{movement.pk}/", {"description": "x"}).status_code == 400
    assert client.delete(f"/api/v1/cash-movements/{movement.pk}/").status_code == 400
    response = client.post("/api/v1/cash-movements/", {"broker": world.xp.pk, "kind": "compra", "amount": "1"})
    assert response.status_code == 400 and "kind" in response.json()


def test_transfer_needs_destination_and_moves_balances(world, client_for):
    client = client_for(world.owner)
    bad = client.post("/api/v1/cash-movements/", {"broker": world.xp.pk, "kind": "transferencia", "amount": "100"})
    assert bad.status_code == 400 and "destination_broker" in bad.json()
    ok = client.post(
        "/api/v1/cash-movements/",
        {"broker": world.xp.pk, "destination_broker": world.rico.pk, "kind": "transferencia", "amount": "1000"},
    )
    assert ok.status_code == 201 and ok.json()["amount"] == "-1000.00"
    xp = client.get(f"/api/v1/brokers/{world.xp.pk}/balance/").json()
    rico = client.get(f"/api/v1/brokers/{world.rico.pk}/balance/").json()
    # 5000 deposit − 3000 buy + 50 dividend − 1000 transfer
    assert xp == [{"broker": world.xp.pk, "currency": "BRL", "balance": "1050.00"}]
    assert rico == [{"broker": world.rico.pk, "currency": "BRL", "balance": "1000.00"}]


def test_event_ratio_and_validation_messages(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        "/api/v1/corporate-events/",
        {"asset": world.petr.pk, "kind": "split", "event_date": "2025-04-01", "ratio": "1:3"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["ratio"] == "1:3"
    assert Position.objects.get(portfolio=world.portfolio, asset=world.petr).quantity == 300
    bad = client.post(
        "/api/v1/corporate-events/", {"asset": world.petr.pk, "kind": "split", "event_date": "2025-04-02"}
    )
    assert bad.status_code == 400 and "ratio_from" in bad.json()
    bad = client.post(
        "/api/v1/corporate-events/", {"asset": world.petr.pk, "kind": "split", "event_date": "2025-04-02", "ratio": "x"}
    )
    assert bad.status_code == 400 and "ratio" in bad.json()


def test_dividend_payment_before_data_com_is_refused(world, client_for):
    response = client_for(world.admin).post(
        "/api/v1/dividends/",
        {
            "asset": world.petr.pk,
            "kind": "dividendo",
            "value_per_share": "1",
            "data_com": "2025-03-20",
            "payment_date": "2025-03-19",
        },
    )
    assert response.status_code == 400 and "payment_date" in response.json()


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/transactions/", {"trade_date": "0001-01-01T00:00:00Z"}, "trade_date"),
        ("/api/v1/transactions/", {"trade_date": "1850-01-01"}, "trade_date"),
        ("/api/v1/transactions/", {"quantity": "999999999999999999", "unit_price": "99999999"}, "quantity"),
    ],
)
def test_extreme_trade_values_are_400_not_500(world, client_for, url, payload, field):
    response = client_for(world.owner).post(url, body(world, **payload))
    assert response.status_code == 400 and field in response.json(), response.content


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/dividends/", {"kind": "dividendo", "value_per_share": "1", "data_com": "9999-12-31"}, "data_com"),
        ("/api/v1/corporate-events/", {"kind": "split", "event_date": "0001-01-01", "ratio": "1:2"}, "event_date"),
        ("/api/v1/corporate-events/", {"kind": "split", "event_date": "2025-01-02", "ratio": "1:99999999"}, "ratio_to"),
    ],
)
def test_extreme_catalogue_values_are_400_not_500(world, client_for, url, payload, field):
    response = client_for(world.admin).post(url, {"asset": world.petr.pk, **payload})
    assert response.status_code == 400 and field in response.json(), response.content


def test_target_allocation_must_be_finite_percentages(world, client_for):
    client = client_for(world.owner)
    for target in ({"renda_fixa": "NaN"}, {"renda_fixa": 120}, {"acoes": 10}, ["x"]):
        response = client.patch(
            f"/api/v1/portfolios/{world.portfolio.pk}/", {"target_allocation": target}, format="json"
        )
        assert response.status_code == 400 and "target_allocation" in response.json(), target


@pytest.mark.parametrize("query", ["owner=1e30", "owner=-4.06e%2B78", "owner=1.5", "owner=x"])
def test_owner_filter_rejects_non_ids(world, client_for, query):
    response = client_for(world.admin).get(f"/api/v1/positions/?{query}")
    assert response.status_code == 400 and "owner" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/dashboard/", "/api/v1/brokers/{xp}/balance/"])
def test_owner_parameter_is_validated_and_ignored_for_non_admins(world, client_for, url):
    url = url.format(xp=world.xp.pk)
    assert client_for(world.admin).get(f"{url}?owner=99999999999999999999999").status_code == 400
    assert client_for(world.admin).get(f"{url}?owner=abc").status_code == 400
    assert client_for(world.admin).get(f"{url}?owner={world.owner.pk}").status_code == 200
    # a non-admin asking for someone else's data just gets their own
    response = client_for(world.other).get(f"{url}?owner={world.owner.pk}")
    assert response.status_code == 200
    if "dashboard" in url:
        assert response.json()["scope"]["owner"] == world.other.pk
    else:
        assert response.json() == []


def test_writes_by_a_person_leave_an_audit_row(world, client_for):
    from accounts.models import AuditEvent

    client = client_for(world.owner)
    response = client.post("/api/v1/transactions/", body(world), REMOTE_ADDR="127.0.0.9")
    tx_id = response.json()["id"]
    client.patch(f"/api/v1/transactions/{tx_id}/", {"notes": "revisado"})
    client.delete(f"/api/v1/transactions/{tx_id}/")
    actions = list(
        AuditEvent.objects.filter(target_id=str(tx_id), actor=world.owner)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["portfolio.transaction.create", "portfolio.transaction.update", "portfolio.transaction.delete"]
    created = AuditEvent.objects.get(target_id=str(tx_id), action="portfolio.transaction.create")
    assert created.ip_address == "127.0.0.9" and created.changes["quantity"] == [None, "10.0000000000"]

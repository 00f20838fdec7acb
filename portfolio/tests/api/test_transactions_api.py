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

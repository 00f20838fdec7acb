"""Hostile or edge input answers a field-level 400 (JSON) and writes nothing (hardening drills)."""

import json

import pytest

from portfolio.models import CashMovement, CorporateEvent, Transaction

pytestmark = pytest.mark.django_db


def _fields(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


KINDS = ["cisao", "incorporacao", "split", "grupamento", "bonificacao", "mudanca_ticker", "deslistagem"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("ratio", "field"), [({"ratio": "-2:1"}, "ratio"), ({"ratio_from": "-2", "ratio_to": "1"}, "ratio_from")]
)
def test_negative_ratio_is_a_field_error_for_every_event_kind(client_for, world, kind, ratio, field):
    before = CorporateEvent.objects.count()
    response = client_for(world.admin).post(
        "/api/v1/corporate-events/",
        {"asset": world.petr.pk, "kind": kind, "event_date": "2025-05-02", **ratio},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in _fields(response)
    assert CorporateEvent.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dashboard/?owner=²",
        "/api/v1/dashboard/?top=²",
        "/api/v1/positions/?owner=²",
        "/api/v1/signals/ranking/?limit=²",
        "/api/v1/performance/?user=²",
        "/api/v1/tax/monthly/?month=2025-03&user=²",
    ],
)
def test_digit_like_unicode_in_integer_parameters_is_a_400(client_for, world, path):
    response = client_for(world.admin).get(path)
    assert response.status_code == 400, response.content
    assert _fields(response)


def test_deeply_nested_json_is_a_400(client_for, world):
    body = "[" * 100_000 + "]" * 100_000
    response = client_for(world.owner).post("/api/v1/portfolios/", body, content_type="application/json")
    assert response.status_code == 400
    assert "aninhado" in _fields(response)["detail"]


def test_oversized_body_is_a_json_400(client_for, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "x" * 20_000})
    response = client_for(world.owner).post("/api/v1/portfolios/", body, content_type="application/json")
    assert response.status_code == 400
    assert _fields(response)["detail"]


def test_nul_byte_in_a_ticker_path_is_a_400(client_for, world):
    response = client_for(world.owner).get("/api/v1/quotes/PETR4%00/")
    assert response.status_code == 400
    assert "NUL" in _fields(response)["detail"]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2025-13", "²025-01"])
def test_tax_month_out_of_range_is_refused_before_any_work(client_for, world, month, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the user's session/token only: no assessment ran
        response = client_for(world.owner).get(f"/api/v1/tax/monthly/?month={month}")
    assert response.status_code == 400
    assert "month" in _fields(response)


@pytest.mark.parametrize("year", ["9999", "1", "²"])
def test_tax_year_out_of_range_is_refused(client_for, world, year):
    for path in ("/api/v1/tax/darf/", "/api/v1/tax/annual/"):
        response = client_for(world.owner).get(f"{path}?year={year}")
        assert response.status_code == 400, (path, response.content)
        assert "year" in _fields(response)


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59", "9999-12-31T23:59:59-03:00", "0001-01-01T00:00:00"])
def test_transaction_dates_at_the_edges_are_field_errors(client_for, world, moment):
    before = Transaction.objects.count()
    response = client_for(world.owner).post(
        "/api/v1/transactions/",
        {
            "portfolio": world.portfolio.pk,
            "broker": world.xp.pk,
            "asset": world.petr.pk,
            "kind": "compra",
            "trade_date": moment,
            "quantity": "1",
            "unit_price": "10",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "trade_date" in _fields(response)
    assert Transaction.objects.count() == before


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59", "0001-01-01T00:00:00"])
def test_cash_movement_dates_at_the_edges_are_field_errors(client_for, world, moment):
    before = CashMovement.objects.count()
    response = client_for(world.owner).post(
        "/api/v1/cash-movements/",
        {"broker": world.xp.pk, "kind": "deposito", "amount": "10", "currency": "BRL", "date": moment},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "date" in _fields(response)
    assert CashMovement.objects.count() == before


def test_negative_cash_amount_is_refused_not_flipped(client_for, world):
    before = CashMovement.objects.count()
    response = client_for(world.owner).post(
        "/api/v1/cash-movements/",
        {"broker": world.xp.pk, "kind": "deposito", "amount": "-1", "currency": "BRL"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "amount" in _fields(response)
    assert CashMovement.objects.count() == before

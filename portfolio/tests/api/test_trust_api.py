"""Issue 11 endpoints: the consolidated ledger, the monthly explanation, opening balances, custody
transfers, leilões de frações and the tax opening balance — scoping, refusals that change nothing."""

from accounts.models import AuditEvent
from portfolio.models import CustodyTransfer, OpeningPosition, Position
from portfolio.tax.models import TaxOpeningBalance


def test_consolidated_ledger_is_per_owner(world, client_for):
    url = f"/api/v1/positions/consolidated/{world.petr.pk}/ledger/"
    body = client_for(world.owner).get(url).json()
    assert body["position"]["ticker"] == "PETR4"
    assert [e["kind"] for e in body["entries"]] == ["compra"]
    assert body["entries"][0]["quantity"] == "100.0000000000"
    assert client_for(world.other).get(url).status_code == 404  # another user's asset history
    assert client_for(world.owner).get(f"/api/v1/positions/consolidated/{world.vale.pk}/ledger/").status_code == 404


def test_monthly_explain_matches_the_month(world, client_for):
    client = client_for(world.owner)
    month = client.get("/api/v1/tax/monthly/?month=2025-03").json()
    explain = client.get("/api/v1/tax/monthly/explain/?month=2025-03").json()
    assert explain["tax_due"] == month["tax_due"]
    assert explain["darf"]["amount"] == month["darf"]["amount"]
    assert all(explain["checks"].values())
    assert client.get("/api/v1/tax/monthly/explain/?month=2025-13").status_code == 400


def test_opening_balance_create_and_refusals(world, client_for):
    body = {
        "portfolio": world.portfolio.pk,
        "broker": world.rico.pk,
        "asset": world.vale.pk,
        "as_of": "2025-01-02",
        "quantity": "50",
        "average_cost": "60.00",
    }
    assert client_for(world.readonly).post("/api/v1/opening-balances/", body).status_code == 403
    assert client_for(world.other).post("/api/v1/opening-balances/", body).status_code == 400  # not their portfolio
    assert not OpeningPosition.objects.exists()
    response = client_for(world.owner).post("/api/v1/opening-balances/", body)
    assert response.status_code == 201, response.content
    assert response.json()["cost_basis_brl"] == "3000.00"
    assert Position.objects.get(asset=world.vale, broker=world.rico, portfolio=world.portfolio).quantity == 50
    assert AuditEvent.objects.filter(action="portfolio.opening.create").exists()
    export = client_for(world.owner).get("/api/v1/opening-balances/export/?format=csv")
    assert export.status_code == 200 and b"VALE3" in export.content
    assert client_for(world.other).get(f"/api/v1/opening-balances/{response.json()['id']}/").status_code == 404


def test_custody_transfer_refused_beyond_holdings_changes_nothing(world, client_for):
    body = {
        "portfolio": world.portfolio.pk,
        "asset": world.petr.pk,
        "from_broker": world.xp.pk,
        "to_broker": world.rico.pk,
        "date": "2025-03-20",
        "quantity": "150",
    }
    response = client_for(world.owner).post("/api/v1/custody-transfers/", body)
    assert response.status_code == 400 and "quantity" in response.json()
    assert not CustodyTransfer.objects.exists()
    response = client_for(world.owner).post("/api/v1/custody-transfers/", {**body, "quantity": "40"})
    assert response.status_code == 201, response.content
    assert Position.objects.get(asset=world.petr, broker=world.rico).quantity == 40
    assert Position.objects.get(asset=world.petr, broker=world.xp).quantity == 60


def test_fraction_sale_refused_without_a_pending_fraction(world, client_for):
    body = {
        "portfolio": world.portfolio.pk,
        "broker": world.xp.pk,
        "asset": world.petr.pk,
        "date": "2025-03-20",
        "amount": "5.00",
    }
    response = client_for(world.owner).post("/api/v1/fraction-sales/", body)
    assert response.status_code == 400 and "quantity" in response.json()


def test_tax_opening_balance_put_get_delete(world, client_for):
    client = client_for(world.owner)
    assert client.get("/api/v1/tax/opening-balance/").status_code == 404
    response = client.put(
        "/api/v1/tax/opening-balance/",
        {"month": "2025-01", "common_loss": "1000.00", "irrf_credit": "2.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert client.get("/api/v1/tax/opening-balance/").json()["common_loss"] == "1000.00"
    assert (
        client_for(world.readonly).put("/api/v1/tax/opening-balance/", {"month": "2025-01"}, format="json").status_code
        == 403
    )
    assert client.delete("/api/v1/tax/opening-balance/").status_code == 204
    assert not TaxOpeningBalance.objects.exists()


def test_explanations_render_in_the_browsable_api(world, client_for):
    client = client_for(world.owner)
    for url in (
        f"/api/v1/positions/consolidated/{world.petr.pk}/ledger/",
        "/api/v1/tax/monthly/explain/?month=2025-03",
    ):
        page = client.get(url, HTTP_ACCEPT="text/html")
        assert page.status_code == 200 and b"<html" in page.content.lower()
        again = client.get(url)  # cached bytes, same answer
        assert again.status_code == 200 and again.json() == client.get(url).json()

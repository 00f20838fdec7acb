"""Operators' commands and the Celery tasks."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from portfolio import services, tasks
from portfolio.models import Position, PositionEntry, Transaction

from .factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def test_rebuild_positions_repairs_a_damaged_position_and_dry_run_changes_nothing():
    portfolio, asset = PortfolioFactory(), AssetFactory(ticker="ITUB4")
    trade(portfolio, asset, "compra", 100, "25.00", on="2025-03-10")
    Position.objects.update(quantity=D(1), cost_basis=D(1))
    out = StringIO()
    call_command("rebuild_positions", "--dry-run", stdout=out)
    assert "1 posições mudariam" in out.getvalue()
    assert Position.objects.get().quantity == 1
    call_command("rebuild_positions", "--owner", portfolio.owner.username, "--asset", "itub4", stdout=StringIO())
    position = Position.objects.get()
    assert (position.quantity, position.cost_basis) == (100, D("2500.00"))
    assert PositionEntry.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("rebuild_positions", "--asset", "NOPE3", stdout=StringIO())


def test_import_trades_command_simulates_then_commits(tmp_path):
    portfolio = PortfolioFactory()
    path = tmp_path / "t.csv"
    path.write_text("date,kind,ticker,quantity,price,broker\n2025-03-10,compra,BBAS3,10,27.5,BTG Pactual\n")
    out = StringIO()
    call_command("import_trades", str(path), "--portfolio", str(portfolio.pk), stdout=out)
    assert "Simulação" in out.getvalue() and not Transaction.objects.exists()
    call_command("import_trades", str(path), "--portfolio", str(portfolio.pk), "--commit", stdout=out)
    assert Transaction.objects.count() == 1
    path.write_text("date,kind,ticker,quantity,price,broker\n2025-03-10,venda,BBAS3,99,27.5,BTG Pactual\n")
    with pytest.raises(CommandError):
        call_command("import_trades", str(path), "--portfolio", str(portfolio.pk), "--commit", stdout=StringIO())
    assert Transaction.objects.count() == 1


def test_tasks_return_counts_and_are_idempotent():
    portfolio, asset = PortfolioFactory(), AssetFactory()
    with time_machine.travel("2025-03-25 12:00 -03:00", tick=False):
        trade(portfolio, asset, "compra", 100, "10", on="2025-03-10")
        services.dividend_create(
            asset=asset,
            kind="dividendo",
            value_per_share=D("0.1"),
            data_com=date(2025, 3, 20),
            payment_date=date(2025, 4, 1),
        )
    with time_machine.travel("2025-04-02 12:00 -03:00", tick=False):
        assert tasks.credit_due_dividends() == {"receipts_paid": 1, "cash_movements_created": 1, "fx_rates_filled": 0}
        assert tasks.credit_due_dividends() == {"receipts_paid": 0, "cash_movements_created": 0, "fx_rates_filled": 0}
    assert tasks.rebuild_positions(owner_id=portfolio.owner_id) == {"pairs": 1}

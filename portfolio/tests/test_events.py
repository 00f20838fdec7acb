"""Corporate events applied as of their date, whatever order things were entered in."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from portfolio import services
from portfolio.models import Position, PositionEntry

from .factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def pos(portfolio, asset):
    return Position.objects.get(portfolio=portfolio, asset=asset)


def event(asset, kind, on, **extra):
    return services.event_create(asset=asset, kind=kind, event_date=date.fromisoformat(on), **extra)


def test_split_doubles_quantity_halves_average_keeps_cost():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "30.00", on="2025-03-10")
    event(asset, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    position = pos(p, asset)
    assert (position.quantity, position.average_cost, position.cost_basis) == (D(200), D("15.00"), D("3000.00"))
    trade(p, asset, "venda", 50, "16.00", on="2025-04-02")
    position.refresh_from_db()
    assert position.realized_pnl == D("50.00")  # 800 − 50 × 15
    assert position.quantity == D(150)


def test_grupamento_divides_quantity():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 1000, "0.50", brokerage_fee="10.00", on="2025-03-10")
    event(asset, "grupamento", "2025-04-01", ratio_from=D(10), ratio_to=D(1))
    position = pos(p, asset)
    assert (position.quantity, position.average_cost, position.cost_basis) == (D(100), D("5.10"), D("510.00"))


def test_bonificacao_adds_shares_at_custo_atribuido():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "20.00", on="2025-03-10")
    event(asset, "bonificacao", "2025-04-01", ratio_from=D(10), ratio_to=D(1), assigned_cost=D("12.50"))
    position = pos(p, asset)
    # 10 % more shares: +10 at 12.50 = 125.00 → 110 shares costing 2125.00
    assert position.quantity == D(110)
    assert position.cost_basis == D("2125.00")
    assert position.average_cost == D("19.31818182")


def test_event_entered_after_later_trades_applies_as_of_its_date():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "30.00", on="2025-03-10")
    trade(p, asset, "compra", 100, "16.00", on="2025-04-10")  # already at post-split prices
    event(asset, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    position = pos(p, asset)
    assert position.quantity == D(300)  # 100 × 2 + 100
    assert position.cost_basis == D("4600.00")


def test_back_dated_trade_before_a_split_is_multiplied():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "30.00", on="2025-03-01")
    event(asset, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    trade(p, asset, "compra", 10, "31.00", on="2025-03-15")
    position = pos(p, asset)
    assert (position.quantity, position.cost_basis) == (D(220), D("3310.00"))


def test_trade_on_the_event_day_comes_after_the_event():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "30.00", on="2025-03-01")
    event(asset, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    trade(p, asset, "compra", 10, "15.00", on="2025-04-01 10:00")
    assert pos(p, asset).quantity == D(210)


def test_ticker_change_moves_the_position():
    p = PortfolioFactory()
    viia, bhia = AssetFactory(ticker="VIIA3"), AssetFactory(ticker="BHIA3")
    trade(p, viia, "compra", 100, "10.00", on="2023-03-10")
    trade(p, viia, "venda", 20, "12.00", on="2023-04-10")
    event(viia, "mudanca_ticker", "2023-08-01", new_asset=bhia)
    old, new = pos(p, viia), pos(p, bhia)
    assert (old.quantity, old.cost_basis, old.realized_pnl) == (D(0), D(0), D("40.00"))
    assert (new.quantity, new.cost_basis, new.average_cost) == (D(80), D("800.00"), D("10.00"))
    assert new.first_trade_date == old.first_trade_date
    # the old ticker no longer trades
    with pytest.raises(ValidationError) as exc:
        trade(p, viia, "compra", 1, "1", on="2023-09-01")
    assert "BHIA3" in exc.value.message_dict["asset"][0]
    # a back-dated buy of the old ticker flows into the new one
    trade(p, viia, "compra", 20, "11.00", on="2023-05-10")
    new.refresh_from_db()
    assert (new.quantity, new.cost_basis) == (D(100), D("1020.00"))
    trade(p, bhia, "venda", 100, "5.00", on="2023-09-01")
    new.refresh_from_db()
    assert new.realized_pnl == D("-520.00")


def test_deleting_an_event_replays_and_refuses_if_sales_depended_on_it():
    p, asset = PortfolioFactory(), AssetFactory()
    trade(p, asset, "compra", 100, "30.00", on="2025-03-01")
    split = event(asset, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    trade(p, asset, "venda", 150, "16.00", on="2025-04-02")
    with pytest.raises(ValidationError):
        services.event_delete(event=split)
    assert pos(p, asset).quantity == D(50)
    entries = PositionEntry.objects.filter(position__asset=asset).count()
    assert entries == 3


def test_delisting_refuses_buys_but_allows_sales():
    p, asset = PortfolioFactory(), AssetFactory(ticker="CIEL3")
    trade(p, asset, "compra", 100, "5.00", on="2024-03-01")
    event(asset, "deslistagem", "2024-08-20")
    asset.refresh_from_db()
    assert asset.delisted and asset.delisted_at == date(2024, 8, 20)
    with pytest.raises(ValidationError) as exc:
        trade(p, asset, "compra", 10, "5.00", on="2024-09-01")
    assert "deslistado" in exc.value.message_dict["asset"][0]
    trade(p, asset, "venda", 100, "5.60", on="2024-09-01")  # e.g. the OPA auction settles later
    assert pos(p, asset).realized_pnl == D("60.00")


def test_event_validation():
    asset = AssetFactory()
    with pytest.raises(ValidationError) as exc:
        event(asset, "split", "2025-04-01", ratio_from=D(2), ratio_to=D(1))
    assert "ratio_to" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        event(asset, "mudanca_ticker", "2025-04-01")
    assert "new_asset" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        event(asset, "split", "2999-01-01", ratio_from=D(1), ratio_to=D(2))
    assert "event_date" in exc.value.message_dict


@pytest.mark.parametrize("new_day", ["2023-12-20", "2023-06-01"])
def test_moving_a_ticker_change_to_another_date_replays_both_tickers(new_day):
    """Found by a schema fuzz run: moving the event later left the old move-in behind."""
    p = PortfolioFactory()
    viia, bhia = AssetFactory(ticker="VIIA3"), AssetFactory(ticker="BHIA3")
    trade(p, viia, "compra", 100, "10.00", on="2023-03-10")
    change = event(viia, "mudanca_ticker", "2023-08-01", new_asset=bhia)
    services.event_update(event=change, event_date=date.fromisoformat(new_day))
    old, new = pos(p, viia), pos(p, bhia)
    assert (old.quantity, new.quantity, new.cost_basis) == (D(0), D(100), D("1000.00"))
    moves = PositionEntry.objects.filter(event=change).order_by("quantity_delta")
    assert [(e.position_id, e.quantity_delta) for e in moves] == [(old.pk, D(-100)), (new.pk, D(100))]
    assert {e.at.date() for e in moves} == {date.fromisoformat(new_day)}

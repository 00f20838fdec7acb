"""Corporate events (``services/events.py``): what is refused (on which field, writing nothing) and
what recording, editing or deleting one does to every holder's position, the asset and the history."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from portfolio import services
from portfolio.models import Asset, CorporateEvent, Position
from quotes.models import FxRate, PriceBar

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    """ "Not in the future" is judged against one fixed day, not the real clock."""
    with time_machine.travel("2025-06-30 15:00 -0300", tick=False):
        yield


def event(asset, kind, on, **extra):
    return services.event_create(asset=asset, kind=kind, event_date=date.fromisoformat(on), **extra)


def holding(portfolio, asset):
    position = Position.objects.get(portfolio=portfolio, asset=asset)
    return (position.quantity, position.average_cost, position.cost_basis)


def delisting(asset):
    asset.refresh_from_db()
    return (asset.delisted, asset.delisted_at)


@pytest.fixture
def held():
    """100 WEGE3 bought at 30.00 on 10/03/2025."""
    p, wege = PortfolioFactory(), AssetFactory(ticker="WEGE3")
    trade(p, wege, "compra", 100, "30.00", on="2025-03-10")
    return p, wege


SPLIT = {"kind": "split", "ratio_from": D(1), "ratio_to": D(2)}
BONUS = {"kind": "bonificacao", "ratio_from": D(10), "ratio_to": D(1)}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**SPLIT, "event_date": date(2025, 7, 1)}, "event_date"),
        ({**SPLIT, "event_date": date(1899, 12, 31)}, "event_date"),
        ({**SPLIT, "data_com": date(1899, 12, 31)}, "data_com"),
        ({**SPLIT, "data_com": date(2025, 4, 2)}, "data_com"),  # after the event date
        ({**SPLIT, "ratio_from": None}, "ratio_from"),
        ({**SPLIT, "ratio_to": D(0)}, "ratio_to"),
        ({**SPLIT, "ratio_to": D(1_000_001)}, "ratio_to"),
        ({**SPLIT, "ratio_to": D(1)}, "ratio_to"),  # 1:1 is no split
        ({"kind": "grupamento", "ratio_from": D(1), "ratio_to": D(2)}, "ratio_to"),
        ({"kind": "grupamento", "ratio_from": D(10), "ratio_to": D(10)}, "ratio_to"),
        (BONUS, "assigned_cost"),
        ({**BONUS, "assigned_cost": D("-0.01")}, "assigned_cost"),
        ({**BONUS, "assigned_cost": D(0)}, "zero_cost_confirmed"),
        ({"kind": "cisao", "ratio_from": D(0)}, "ratio_from"),
        ({"kind": "outro", "ratio_to": D(1_000_001)}, "ratio_to"),
        ({"kind": "mudanca_ticker"}, "new_asset"),
    ],
)
def test_refused_events_name_the_field_and_change_nothing(held, data, field):
    p, wege = held
    data = {"event_date": date(2025, 4, 1), **data}
    with pytest.raises(ValidationError) as exc:
        services.event_create(asset=wege, actor=p.owner, **data)
    assert list(exc.value.message_dict) == [field]
    assert not CorporateEvent.objects.exists()
    assert holding(p, wege) == (D(100), D("30.00000000"), D("3000.00"))
    assert not AuditEvent.objects.filter(action__startswith="portfolio.event").exists()


def test_an_event_of_today_is_accepted(held):
    p, wege = held
    event(wege, "split", "2025-06-30", ratio_from=D(1), ratio_to=D(2))
    assert holding(p, wege) == (D(200), D("15.00000000"), D("3000.00"))


def test_ticker_change_refusals(held):
    p, wege = held
    with pytest.raises(ValidationError) as exc:
        event(wege, "mudanca_ticker", "2025-04-01", new_asset=wege)
    assert exc.value.message_dict == {"new_asset": ["O novo ativo deve ser diferente do atual."]}
    dollar = AssetFactory(ticker="WEG", market="US", asset_type="stock", currency="USD")
    with pytest.raises(ValidationError) as exc:
        event(wege, "mudanca_ticker", "2025-04-01", new_asset=dollar)
    assert exc.value.message_dict == {"new_asset": ["O novo ativo deve ter a mesma moeda."]}
    # Trades of the old ticker on or after the date must move to the new one first.
    with pytest.raises(ValidationError) as exc:
        event(wege, "mudanca_ticker", "2025-03-10", new_asset=AssetFactory(ticker="WEGE4"))
    assert exc.value.message_dict == {
        "event_date": ["Há operações com WEGE3 a partir desta data: mova-as para o novo ticker antes."]
    }
    assert not CorporateEvent.objects.exists()
    assert not Position.objects.exclude(asset=wege).exists()
    assert holding(p, wege) == (D(100), D("30.00000000"), D("3000.00"))


def test_the_same_event_twice_on_one_day_is_refused(held):
    p, wege = held
    event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    with pytest.raises(ValidationError) as exc:
        event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(3))
    assert exc.value.message_dict == {"event_date": ["Já existe um evento deste tipo para o ativo nesta data."]}
    assert holding(p, wege)[0] == D(200)


def test_recording_an_event_is_audited(held):
    p, wege = held
    split = event(wege, "split", "2025-04-01", actor=p.owner, **{k: v for k, v in SPLIT.items() if k != "kind"})
    [row] = AuditEvent.objects.filter(action="portfolio.event.create")
    assert (row.actor, row.target_id) == (p.owner, str(split.pk))
    assert (row.changes["kind"], row.changes["ratio_to"]) == ([None, "split"], [None, "2"])


def _foreign_holding():
    p = PortfolioFactory()
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    trade(p, aapl, "compra", 10, "100.00", broker=avenue, fx_rate="5.00", on="2025-03-10")
    return p, aapl


def test_a_foreign_bonus_with_a_cost_needs_the_ptax_of_its_date():
    p, aapl = _foreign_holding()
    msft = AssetFactory(ticker="MSFT", market="US", asset_type="stock", currency="USD")  # nobody holds it
    for asset in (aapl, msft):
        with pytest.raises(ValidationError) as exc:
            event(asset, "bonificacao", "2025-04-01", ratio_from=D(10), ratio_to=D(1), assigned_cost=D("20.00"))
        assert exc.value.message_dict == {
            "event_date": ["Sem câmbio USD conhecido nesta data: cadastre a PTAX antes da bonificação."]
        }
    assert not CorporateEvent.objects.exists()
    assert Position.objects.get(portfolio=p, asset=aapl).quantity == D(10)
    event(
        msft, "bonificacao", "2025-04-01", ratio_from=D(10), ratio_to=D(1), assigned_cost=D(0), zero_cost_confirmed=True
    )
    assert CorporateEvent.objects.get().asset == msft  # no cost, nothing to convert


def test_a_foreign_bonus_costs_its_assigned_value_at_the_ptax_of_its_date():
    p, aapl = _foreign_holding()
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 3, 31), rate=D("5.50"), source="bcb")
    event(aapl, "bonificacao", "2025-04-01", ratio_from=D(10), ratio_to=D(1), assigned_cost=D("20.00"))
    position = Position.objects.get(portfolio=p, asset=aapl)
    # One new share at 20.00 USD: 20.00 USD more, 110.00 BRL more (at the 5.50 known on the date).
    assert (position.quantity, position.cost_basis, position.cost_basis_brl) == (D(11), D("1020.00"), D("5110.00"))


def test_an_event_reaches_a_position_built_from_an_opening_balance():
    p, wege = PortfolioFactory(), AssetFactory(ticker="WEGE3")
    services.opening_position_create(
        owner=p.owner,
        portfolio=p,
        broker=BrokerFactory(name="XP Investimentos"),
        asset=wege,
        as_of=date(2025, 1, 2),
        quantity=D(100),
        average_cost=D("30.00"),
    )
    other = PortfolioFactory()
    trade(other, wege, "compra", 10, "30.00", on="2025-03-10")
    event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    assert holding(p, wege) == (D(200), D("15.00000000"), D("3000.00"))
    assert holding(other, wege) == (D(20), D("15.00000000"), D("300.00"))


# --- editing and deleting -----------------------------------------------------------------------


def test_editing_a_split_replays_every_holder_and_audits_the_change(held):
    p, wege = held
    other = PortfolioFactory()
    trade(other, wege, "compra", 10, "30.00", on="2025-03-10")
    split = event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    trade(p, wege, "venda", 150, "11.00", on="2025-04-10")

    services.event_update(event=split, ratio_to=D(3), actor=p.owner)

    position = Position.objects.get(portfolio=p, asset=wege)
    assert (position.quantity, position.cost_basis, position.realized_pnl) == (D(150), D("1500.00"), D("150.00"))
    assert holding(other, wege) == (D(30), D("10.00000000"), D("300.00"))
    [row] = AuditEvent.objects.filter(action="portfolio.event.update")
    assert row.changes == {"ratio_to": ["2.000000", "3"]}


def test_an_edit_a_later_sale_cannot_bear_is_refused_and_changes_nothing(held):
    p, wege = held
    split = event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    trade(p, wege, "venda", 150, "16.00", on="2025-04-10")
    with pytest.raises(ValidationError) as exc:
        services.event_update(event=split, kind="cisao", actor=p.owner)  # no split → only 100 to sell
    assert list(exc.value.message_dict) == ["quantity"]
    split.refresh_from_db()
    assert (split.kind, split.ratio_to) == ("split", D(2))
    assert holding(p, wege)[0] == D(50)
    assert not AuditEvent.objects.filter(action="portfolio.event.update").exists()


def test_an_edit_is_validated_like_a_new_event(held):
    p, wege = held
    split = event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    event(wege, "split", "2025-05-02", ratio_from=D(1), ratio_to=D(2))
    with pytest.raises(ValidationError) as exc:
        services.event_update(event=split, event_date=date(2025, 5, 2))  # the other split's day
    assert list(exc.value.message_dict) == ["event_date"]
    services.event_update(event=split, notes="aviso aos acionistas")  # its own day is no clash
    split.refresh_from_db()
    assert (split.event_date, split.notes) == (date(2025, 4, 1), "aviso aos acionistas")
    assert holding(p, wege)[0] == D(400)


def test_turning_a_split_into_a_record_only_kind_gives_the_quantity_back(held):
    p, wege = held
    split = event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    services.event_update(event=split, kind="incorporacao", ratio_from=None, ratio_to=None)
    assert holding(p, wege) == (D(100), D("30.00000000"), D("3000.00"))


def test_deleting_a_split_gives_the_quantity_back_rederives_the_history_and_is_audited(held):
    p, wege = held
    PriceBar.objects.create(
        asset=wege,
        date=date(2025, 3, 28),
        close=D("15.00"),
        adjusted_close=D("15.00"),
        split_factor=1,
        basis_date=date(2025, 6, 20),
        source="yahoo",
    )
    split = event(wege, "split", "2025-04-01", ratio_from=D(1), ratio_to=D(2))
    assert PriceBar.objects.get(asset=wege).close == D("30.00000000")  # the close actually traded that day
    services.event_delete(event=split, actor=p.owner)
    assert not CorporateEvent.objects.exists()
    assert holding(p, wege) == (D(100), D("30.00000000"), D("3000.00"))
    assert PriceBar.objects.get(asset=wege).close == D("15.00000000")
    [row] = AuditEvent.objects.filter(action="portfolio.event.delete")
    assert row.changes["kind"] == ["split", None]


# --- delisting ------------------------------------------------------------------------------------


def test_the_first_delisting_dates_the_asset_and_follows_edits_and_deletions(held):
    p, wege = held
    first = event(wege, "deslistagem", "2025-05-02")
    later = event(wege, "deslistagem", "2025-05-20")
    assert delisting(wege) == (True, date(2025, 5, 2))  # the later one changes nothing
    services.event_update(event=first, event_date=date(2025, 5, 5))
    assert delisting(wege) == (True, date(2025, 5, 5))
    services.event_delete(event=first)
    assert delisting(wege) == (True, date(2025, 5, 20))
    services.event_delete(event=later)
    assert delisting(wege) == (False, None)
    assert holding(p, wege)[0] == D(100)  # a delisting moves no quantity


def test_a_delisting_edited_into_another_kind_or_asset_undoes_the_mark(held):
    p, wege = held
    other = AssetFactory(ticker="CIEL3")
    delist = event(wege, "deslistagem", "2025-05-02")
    services.event_update(event=delist, asset=other)
    assert (delisting(wege), delisting(other)) == ((False, None), (True, date(2025, 5, 2)))
    services.event_update(event=delist, kind="outro")
    assert delisting(other) == (False, None)
    assert Asset.objects.filter(delisted=True).count() == 0
    assert holding(p, wege)[0] == D(100)

"""Opening balances, custody transfers between brokers and leilões de frações (``services/custody.py``).

Each refusal names the field a person must fix and writes nothing: no row, no position change, no
audit row. Each accepted write moves the positions as of its moment and replays what came after.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from portfolio import services
from portfolio.choices import CashKind
from portfolio.models import CashMovement, CustodyTransfer, FractionSale, OpeningPosition, Position, PositionEntry
from portfolio.tax import selectors as tax
from quotes.models import FxRate

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment, trade

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _today():
    """Every "not in the future" rule below is judged against one fixed day, not the real clock."""
    with time_machine.travel("2025-06-30 15:00 -0300", tick=False):
        yield


@pytest.fixture
def p(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def xp():
    return BrokerFactory(name="XP Investimentos")


@pytest.fixture
def rico():
    return BrokerFactory(name="Rico")


def position(portfolio, broker, asset):
    return Position.objects.get(portfolio=portfolio, broker=broker, asset=asset)


def state(portfolio, broker, asset):
    pos = position(portfolio, broker, asset)
    return (pos.quantity, pos.average_cost, pos.cost_basis, pos.realized_pnl)


def audit_actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def refusal(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    return exc.value.message_dict


# --- opening balances -------------------------------------------------------------------------


def open_balance(user, p, broker, asset, *, as_of="2025-01-02", qty="100", avg="30.00", **extra):
    return services.opening_position_create(
        owner=user,
        portfolio=p,
        broker=broker,
        asset=asset,
        as_of=date.fromisoformat(as_of),
        quantity=D(qty),
        average_cost=D(avg),
        actor=user,
        **extra,
    )


def test_opening_balance_starts_the_position_at_midnight_and_is_audited(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr, qty="100", avg="30.123456789", cost_basis_brl=D("1.00"))
    # Average to 8 places, cost to the cent; a BRL asset's cost in reais is its cost (the 1.00 typed is ignored).
    assert (opening.average_cost, opening.cost_basis, opening.cost_basis_brl) == (
        D("30.12345679"),
        D("3012.35"),
        D("3012.35"),
    )
    assert state(p, xp, petr) == (D(100), D("30.12350000"), D("3012.35"), D(0))
    [entry] = PositionEntry.objects.filter(position__asset=petr)
    assert (entry.opening_id, entry.at, entry.quantity_delta) == (opening.pk, moment("2025-01-02 00:00"), D(100))
    [row] = AuditEvent.objects.filter(action="portfolio.opening.create")
    assert (row.actor, row.target_id) == (user, str(opening.pk))
    assert row.changes["quantity"] == [None, "100.0000000000"]
    assert row.changes["asset"] == [None, petr.pk]


def test_opening_balance_of_a_foreign_asset_keeps_the_reais_typed(user, p):
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    open_balance(user, p, avenue, aapl, qty="10", avg="150.00", cost_basis_brl=D("7800.00"))
    pos = position(p, avenue, aapl)
    assert (pos.cost_basis, pos.cost_basis_brl) == (D("1500.00"), D("7800.00"))


def _bad_opening(user, p, xp, asset, **override):
    data = {
        "portfolio": p,
        "broker": xp,
        "asset": asset,
        "as_of": date(2025, 1, 2),
        "quantity": D(100),
        "average_cost": D("30.00"),
    }
    data.update(override)
    return refusal(services.opening_position_create, owner=user, actor=user, **data)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"as_of": None}, "as_of"),
        ({"as_of": date(1899, 12, 31)}, "as_of"),
        ({"as_of": TODAY + timedelta(days=1)}, "as_of"),
        ({"quantity": D(0)}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"average_cost": D("-0.01")}, "average_cost"),
        ({"average_cost": None}, "average_cost"),
        ({"cost_basis_brl": D("-1.00")}, "cost_basis_brl"),
    ],
)
def test_opening_balance_refusals_name_the_field_and_write_nothing(user, p, xp, override, field):
    petr = AssetFactory(ticker="PETR4")
    errors = _bad_opening(user, p, xp, petr, **override)
    assert list(errors) == [field]
    assert not OpeningPosition.objects.exists()
    assert not Position.objects.exists()
    assert not AuditEvent.objects.exists()


def test_opening_balance_today_is_accepted(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr, as_of=TODAY.isoformat())
    assert opening.as_of == TODAY


def test_opening_balance_of_a_foreign_asset_needs_its_cost_in_reais(user, p):
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    errors = _bad_opening(user, p, avenue, aapl)
    assert list(errors) == ["cost_basis_brl"]
    assert "USD" in errors["cost_basis_brl"][0]
    assert not Position.objects.exists()


def test_opening_balance_in_another_users_portfolio_is_refused(user, other_user, xp):
    theirs = PortfolioFactory(owner=other_user)
    errors = _bad_opening(user, theirs, xp, AssetFactory(ticker="PETR4"))
    assert list(errors) == ["portfolio"]
    assert not OpeningPosition.objects.exists()


def test_second_opening_of_one_position_and_trades_before_it_are_refused(user, p, xp, rico):
    petr = AssetFactory(ticker="PETR4")
    open_balance(user, p, xp, petr)
    assert list(_bad_opening(user, p, xp, petr, as_of=date(2025, 2, 1))) == ["asset"]
    trade(p, petr, "compra", 10, "31.00", broker=rico, on="2025-01-10")
    assert list(_bad_opening(user, p, rico, petr, as_of=date(2025, 1, 11))) == ["as_of"]
    assert OpeningPosition.objects.count() == 1
    assert state(p, rico, petr) == (D(10), D("31.00000000"), D("310.00"), D(0))


def test_editing_an_opening_balance_replays_the_later_sale_and_audits_only_what_changed(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr, qty="100", avg="30.00")
    trade(p, petr, "venda", 50, "35.00", broker=xp, on="2025-02-10")
    assert state(p, xp, petr) == (D(50), D("30.00000000"), D("1500.00"), D("250.00"))

    services.opening_position_update(opening=opening, average_cost=D("32.00"), actor=user)

    assert state(p, xp, petr) == (D(50), D("32.00000000"), D("1600.00"), D("150.00"))
    opening.refresh_from_db()
    assert (opening.cost_basis, opening.cost_basis_brl) == (D("3200.00"), D("3200.00"))
    [row] = AuditEvent.objects.filter(action="portfolio.opening.update")
    assert row.changes == {"average_cost": ["30.00000000", "32.00000000"], "cost_basis_brl": ["3000.00", "3200.00"]}


def test_moving_an_opening_balance_to_another_asset_replays_both(user, p, xp):
    petr, vale = AssetFactory(ticker="PETR4"), AssetFactory(ticker="VALE3")
    opening = open_balance(user, p, xp, petr, qty="100", avg="30.00")
    services.opening_position_update(opening=opening, asset=vale, as_of=date(2024, 12, 2))
    assert not Position.objects.filter(asset=petr).exists()  # nothing left there: the empty row goes
    assert state(p, xp, vale) == (D(100), D("30.00000000"), D("3000.00"), D(0))
    assert PositionEntry.objects.get(opening=opening).at == moment("2024-12-02 00:00")


def test_moving_a_foreign_opening_to_a_brl_asset_recomputes_the_cost_in_reais(user, p, xp):
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, aapl, qty="10", avg="150.00", cost_basis_brl=D("7800.00"))
    services.opening_position_update(opening=opening, asset=petr)
    opening.refresh_from_db()
    assert (opening.cost_basis, opening.cost_basis_brl) == (D("1500.00"), D("1500.00"))
    # the other way round the reais are asked for again, not carried over from the BRL asset
    with pytest.raises(ValidationError) as exc:
        services.opening_position_update(opening=opening, asset=aapl)
    assert list(exc.value.message_dict) == ["cost_basis_brl"]


def test_opening_balance_edit_refusals_change_nothing(user, other_user, p, xp, rico):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr)
    open_balance(user, p, rico, petr)
    before = state(p, xp, petr)
    cases = [
        ({"portfolio": PortfolioFactory(owner=other_user)}, "portfolio"),
        ({"broker": rico}, "asset"),  # Rico already has its own opening of PETR4 in this portfolio
        ({"quantity": D("-1")}, "quantity"),
    ]
    for changes, field in cases:
        errors = refusal(services.opening_position_update, opening=opening, actor=user, **changes)
        assert list(errors) == [field]
    opening.refresh_from_db()
    assert (opening.broker, opening.quantity) == (xp, D(100))
    assert state(p, xp, petr) == before
    assert not AuditEvent.objects.filter(action="portfolio.opening.update").exists()


def test_editing_an_opening_balance_to_its_own_values_is_accepted(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr)
    services.opening_position_update(opening=opening, quantity=D(100), actor=user)  # its own row is no clash
    assert not AuditEvent.objects.filter(action="portfolio.opening.update").exists()  # nothing changed


def test_deleting_an_opening_balance_empties_the_position_and_is_audited(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr)
    services.opening_position_delete(opening=opening, actor=user)
    assert not OpeningPosition.objects.exists()
    assert not Position.objects.exists()
    [row] = AuditEvent.objects.filter(action="portfolio.opening.delete")
    assert row.changes["quantity"] == ["100.0000000000", None]


def test_deleting_an_opening_balance_a_sale_depended_on_is_refused(user, p, xp):
    petr = AssetFactory(ticker="PETR4")
    opening = open_balance(user, p, xp, petr)
    trade(p, petr, "venda", 40, "35.00", broker=xp, on="2025-02-10")
    errors = refusal(services.opening_position_delete, opening=opening, actor=user)
    assert list(errors) == ["quantity"]
    assert OpeningPosition.objects.filter(pk=opening.pk).exists()
    assert state(p, xp, petr) == (D(60), D("30.00000000"), D("1800.00"), D("200.00"))
    assert "portfolio.opening.delete" not in audit_actions()


# --- custody transfers --------------------------------------------------------------------------


def transfer(user, p, asset, source, target, *, on="2025-03-05", qty="100", **extra):
    return services.custody_transfer_create(
        owner=user,
        portfolio=p,
        asset=asset,
        from_broker=source,
        to_broker=target,
        date=moment(on),
        quantity=D(qty),
        **extra,
    )


def test_transfer_moves_shares_at_the_source_average_without_a_result(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 300, "10.00", broker=xp, brokerage_fee="1.00", on="2025-03-03")  # 3,001.00
    trade(p, vale, "compra", 100, "20.00", broker=rico, on="2025-03-04")
    item = transfer(user, p, vale, xp, rico, qty="100", actor=user)

    # 100 leave XP at its average 10.00333333 → 1,000.33; XP keeps its average and realizes nothing.
    assert state(p, xp, vale) == (D(200), D("10.00333333"), D("2000.67"), D(0))
    assert state(p, rico, vale) == (D(200), D("15.00165000"), D("3000.33"), D(0))
    entries = PositionEntry.objects.filter(transfer=item).order_by("quantity_delta")
    assert [(e.position.broker, e.quantity_delta, e.cost_basis_delta) for e in entries] == [
        (xp, D(-100), D("-1000.33")),
        (rico, D(100), D("1000.33")),
    ]
    # The taxpayer's consolidated average (what the tax uses) does not move.
    [row] = tax.consolidated_positions(owner_id=user.pk)
    assert (row["quantity"], row["cost_basis"], row["realized_pnl_brl"]) == (D(400), D("5001.00"), D(0))
    [audit] = AuditEvent.objects.filter(action="portfolio.custody_transfer.create")
    assert audit.changes["from_broker"] == [None, xp.pk] and audit.changes["to_broker"] == [None, rico.pk]


def test_whole_position_transferred_leaves_nothing_behind_and_keeps_the_first_trade_date(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 3, "10.00", broker=xp, brokerage_fee="0.01", on="2025-03-03")
    transfer(user, p, vale, xp, rico, qty="3")
    source, target = position(p, xp, vale), position(p, rico, vale)
    assert (source.quantity, source.cost_basis, source.average_cost) == (D(0), D(0), D(0))
    assert (target.quantity, target.cost_basis) == (D(3), D("30.01"))
    assert target.first_trade_date == moment("2025-03-03")


def _bad_transfer(user, p, asset, source, target, **override):
    data = {
        "portfolio": p,
        "asset": asset,
        "from_broker": source,
        "to_broker": target,
        "date": moment("2025-03-05"),
        "quantity": D(50),
    }
    data.update(override)
    return refusal(services.custody_transfer_create, owner=user, actor=user, **data)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"date": None}, "date"),
        ({"date": moment("1899-12-30")}, "date"),
        ({"date": moment("2025-06-30 15:01")}, "date"),  # a minute from now
        ({"quantity": D(0)}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": D(101)}, "quantity"),  # XP held 100 then
        ({"date": moment("2025-03-02")}, "quantity"),  # before the purchase: nothing to move yet
    ],
)
def test_transfer_refusals_name_the_field_and_write_nothing(user, p, xp, rico, override, field):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    before = state(p, xp, vale)
    errors = _bad_transfer(user, p, vale, xp, rico, **override)
    assert list(errors) == [field]
    assert not CustodyTransfer.objects.exists()
    assert state(p, xp, vale) == before
    assert not Position.objects.filter(broker=rico).exists()
    assert not AuditEvent.objects.exists()


def test_transfer_to_the_same_broker_or_another_users_portfolio_is_refused(user, other_user, p, xp):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    assert list(_bad_transfer(user, p, vale, xp, xp)) == ["to_broker"]
    assert list(_bad_transfer(user, PortfolioFactory(owner=other_user), vale, xp, BrokerFactory())) == ["portfolio"]
    assert not CustodyTransfer.objects.exists()


def test_transfer_refusal_names_what_the_source_held(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    errors = _bad_transfer(user, p, vale, xp, rico, quantity=D("150"))
    assert errors["quantity"] == [
        "Quantidade insuficiente na corretora de origem: transferência de 150 em 05/03/2025, "
        "mas a posição nessa data era de 100."
    ]


def test_transfer_dated_by_day_enters_at_midnight(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = services.custody_transfer_create(
        owner=user, portfolio=p, asset=vale, from_broker=xp, to_broker=rico, date=date(2025, 3, 4), quantity=D(40)
    )
    assert item.date == moment("2025-03-04 00:00")
    assert (position(p, xp, vale).quantity, position(p, rico, vale).quantity) == (D(60), D(40))


def test_editing_a_transfer_replays_both_brokers_and_audits_the_change(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    trade(p, vale, "venda", 40, "12.00", broker=rico, on="2025-03-20")

    services.custody_transfer_update(item=item, quantity=D(70), actor=user)

    assert state(p, xp, vale) == (D(30), D("10.00000000"), D("300.00"), D(0))
    assert state(p, rico, vale) == (D(30), D("10.00000000"), D("300.00"), D("80.00"))
    [row] = AuditEvent.objects.filter(action="portfolio.custody_transfer.update")
    assert row.changes == {"quantity": ["40.0000000000", "70.0000000000"]}


def test_editing_a_transfer_below_what_a_later_sale_needed_is_refused(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    trade(p, vale, "venda", 40, "12.00", broker=rico, on="2025-03-20")
    errors = refusal(services.custody_transfer_update, item=item, quantity=D(30), actor=user)
    assert list(errors) == ["quantity"]
    item.refresh_from_db()
    assert item.quantity == D(40)
    assert state(p, rico, vale) == (D(0), D(0), D(0), D("80.00"))
    assert "portfolio.custody_transfer.update" not in audit_actions()


def test_editing_a_transfer_checks_like_creating_one(user, other_user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    assert list(refusal(services.custody_transfer_update, item=item, to_broker=xp)) == ["to_broker"]
    their = PortfolioFactory(owner=other_user)
    assert list(refusal(services.custody_transfer_update, item=item, portfolio=their)) == ["portfolio"]
    item.refresh_from_db()
    assert (item.to_broker, item.portfolio) == (rico, p)


def test_moving_a_transfer_to_another_asset_gives_the_shares_back(user, p, xp, rico):
    vale, petr = AssetFactory(ticker="VALE3"), AssetFactory(ticker="PETR4")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    trade(p, petr, "compra", 100, "30.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    services.custody_transfer_update(item=item, asset=petr, date=moment("2025-03-04"))
    assert position(p, xp, vale).quantity == D(100)
    assert not Position.objects.filter(asset=vale, broker=rico).exists()
    assert (position(p, xp, petr).quantity, position(p, rico, petr).cost_basis) == (D(60), D("1200.00"))


def test_deleting_a_transfer_gives_the_shares_back_and_is_audited(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    services.custody_transfer_delete(item=item, actor=user)
    assert state(p, xp, vale) == (D(100), D("10.00000000"), D("1000.00"), D(0))
    assert not Position.objects.filter(broker=rico).exists()
    [row] = AuditEvent.objects.filter(action="portfolio.custody_transfer.delete")
    assert row.changes["quantity"] == ["40.0000000000", None]


def test_deleting_a_transfer_a_sale_depended_on_is_refused(user, p, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    item = transfer(user, p, vale, xp, rico, qty="40")
    trade(p, vale, "venda", 40, "12.00", broker=rico, on="2025-03-20")
    errors = refusal(services.custody_transfer_delete, item=item, actor=user)
    assert list(errors) == ["quantity"]
    assert CustodyTransfer.objects.filter(pk=item.pk).exists()
    assert "portfolio.custody_transfer.delete" not in audit_actions()


# --- leilão de frações ---------------------------------------------------------------------------


@pytest.fixture
def grouped(user, p, xp):
    """MGLU3: 25 shares at 10.00, then a 10:1 grupamento → 2.5 shares, 0.5 pending."""
    mglu = AssetFactory(ticker="MGLU3")
    trade(p, mglu, "compra", 25, "10.00", broker=xp, on="2025-03-03")
    event = services.event_create(
        asset=mglu, kind="grupamento", event_date=date(2025, 4, 1), ratio_from=D(10), ratio_to=D(1)
    )
    return mglu, event


def auction_cash():
    return CashMovement.objects.filter(fraction_sale__isnull=False)


def auction(user, p, broker, asset, *, on="2025-04-20", amount="40.00", **extra):
    return services.fraction_sale_create(
        owner=user, portfolio=p, broker=broker, asset=asset, date=moment(on), amount=D(amount), **extra
    )


def test_pending_fraction_is_what_the_position_held_at_that_moment(p, xp, grouped):
    mglu, _event = grouped
    assert services.pending_fraction(portfolio=p, broker=xp, asset=mglu, moment=moment("2025-03-31")) == D(0)
    assert services.pending_fraction(portfolio=p, broker=xp, asset=mglu, moment=moment("2025-04-02")) == D("0.5")
    assert services.pending_fraction(portfolio=p, broker=BrokerFactory(), asset=mglu, moment=moment("2025-04-02")) == 0


def test_assets_traded_in_fractions_never_have_a_pending_fraction(user, p, xp):
    btc = AssetFactory(ticker="BTC", market="GLOBAL", asset_type="cripto")
    trade(p, btc, "compra", "0.5", "300000.00", broker=xp, on="2025-03-03")
    assert services.pending_fraction(portfolio=p, broker=xp, asset=btc, moment=moment("2025-04-02")) == D(0)


def test_fraction_sale_leaves_at_the_average_with_its_cash_and_audit_row(user, p, xp, grouped):
    mglu, event = grouped
    item = auction(user, p, xp, mglu, amount="4.00", actor=user, notes="aviso 12/04")

    assert (item.quantity, item.event, item.currency, item.fx_rate, item.fx_source) == (
        D("0.5"),
        event,
        "BRL",
        D(1),
        "brl",
    )
    # 0.5 share at the average 100.00 → cost 50.00 leaves for 4.00: a 46.00 loss.
    assert state(p, xp, mglu) == (D(2), D("100.00000000"), D("200.00"), D("-46.00"))
    cash = CashMovement.objects.get(fraction_sale=item)
    assert (cash.kind, cash.amount, cash.currency, cash.date, cash.broker, cash.portfolio) == (
        CashKind.VENDA,
        D("4.00"),
        "BRL",
        moment("2025-04-20"),
        xp,
        p,
    )
    assert cash.description == "Leilão de frações MGLU3 (0.5)"
    [row] = AuditEvent.objects.filter(action="portfolio.fraction_sale.create")
    assert row.changes["event"] == [None, event.pk]
    assert row.changes["quantity"][0] is None and D(row.changes["quantity"][1]) == D("0.5")  # "0.5" or "0.5000000000"


def test_fraction_sold_for_nothing_leaves_without_cash(user, p, xp, grouped):
    mglu, _event = grouped
    item = auction(user, p, xp, mglu, amount="0")
    assert not auction_cash().exists()
    assert state(p, xp, mglu) == (D(2), D("100.00000000"), D("200.00"), D("-50.00"))
    assert item.amount == D("0.00")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"date": None}, "date"),
        ({"date": moment("1899-12-30")}, "date"),
        ({"date": moment("2025-07-01")}, "date"),
        ({"amount": None}, "amount"),
        ({"amount": D("-0.01")}, "amount"),
        ({"quantity": D("0.4")}, "quantity"),
        ({"date": moment("2025-03-31")}, "quantity"),  # before the grupamento: nothing pending
    ],
)
def test_fraction_sale_refusals_name_the_field_and_write_nothing(user, p, xp, grouped, override, field):
    mglu, _event = grouped
    before = state(p, xp, mglu)
    data = {"portfolio": p, "broker": xp, "asset": mglu, "date": moment("2025-04-20"), "amount": D("4.00")}
    data.update(override)
    errors = refusal(services.fraction_sale_create, owner=user, actor=user, **data)
    assert list(errors) == [field]
    assert not FractionSale.objects.exists()
    assert not auction_cash().exists()
    assert state(p, xp, mglu) == before
    assert not AuditEvent.objects.exists()


def test_fraction_sale_refusal_says_which_fraction_is_pending(user, p, xp, grouped):
    mglu, _event = grouped
    with pytest.raises(ValidationError) as exc:
        auction(user, p, xp, mglu, quantity=D("0.25"))
    assert exc.value.message_dict["quantity"] == ["A fração pendente nesta data é 0.5."]


def test_fraction_sale_in_another_users_portfolio_is_refused(user, other_user, xp, grouped):
    mglu, _event = grouped
    with pytest.raises(ValidationError) as exc:
        auction(other_user, PortfolioFactory(owner=user), xp, mglu)
    assert "portfolio" in exc.value.message_dict
    assert not FractionSale.objects.exists()


def test_a_second_auction_of_the_same_fraction_is_refused(user, p, xp, grouped):
    mglu, _event = grouped
    auction(user, p, xp, mglu)
    with pytest.raises(ValidationError) as exc:
        auction(user, p, xp, mglu, on="2025-04-25")
    assert list(exc.value.message_dict) == ["quantity"]
    assert FractionSale.objects.count() == auction_cash().count() == 1


def _dollar_fraction(user, p, xp):
    """A whole-unit asset quoted in dollars with half a share pending after a 10:1 grupamento."""
    asset = AssetFactory(ticker="DOLA11", asset_type="etf", currency="USD")
    trade(p, asset, "compra", 25, "10.00", broker=xp, fx_rate="5.00", on="2025-03-03")
    services.event_create(asset=asset, kind="grupamento", event_date=date(2025, 4, 1), ratio_from=D(10), ratio_to=D(1))
    return asset


def test_foreign_fraction_sale_takes_the_ptax_of_the_day(user, p, xp):
    asset = _dollar_fraction(user, p, xp)
    FxRate.objects.create(pair="USD-BRL", date=date(2025, 4, 17), rate=D("5.80"), source="bcb")
    item = auction(user, p, xp, asset, amount="10.00")
    assert (item.currency, item.fx_rate, item.fx_source) == ("USD", D("5.80"), "bcb")
    pos = position(p, xp, asset)
    # 0.5 of 2.5 shares leaves: 50.00 USD of cost (250.00 BRL, bought at 5.00); 10.00 USD × 5.80 = 58.00 BRL.
    assert (pos.realized_pnl, pos.realized_pnl_brl) == (D("-40.00"), D("-192.00"))


def test_foreign_fraction_sale_without_a_known_rate_is_refused_unless_typed(user, p, xp):
    asset = _dollar_fraction(user, p, xp)
    with pytest.raises(ValidationError) as exc:
        auction(user, p, xp, asset, amount="10.00")
    assert list(exc.value.message_dict) == ["fx_rate"]
    assert not FractionSale.objects.exists()
    item = auction(user, p, xp, asset, amount="10.00", fx_rate=D("5.50"))
    assert (item.fx_rate, item.fx_source) == (D("5.50"), "informado")
    assert position(p, xp, asset).realized_pnl_brl == D("-195.00")  # 55.00 − 250.00


def test_deleting_a_fraction_sale_brings_the_fraction_back_and_its_cash_goes(user, p, xp, grouped):
    mglu, _event = grouped
    item = auction(user, p, xp, mglu, amount="4.00")
    services.fraction_sale_delete(item=item, actor=user)
    assert not FractionSale.objects.exists()
    assert not auction_cash().exists()
    pos = position(p, xp, mglu)
    assert (pos.quantity, pos.fraction_pending, pos.realized_pnl) == (D("2.5"), D("0.5"), D(0))
    [row] = AuditEvent.objects.filter(action="portfolio.fraction_sale.delete")
    assert row.changes["amount"] == ["4.00", None]

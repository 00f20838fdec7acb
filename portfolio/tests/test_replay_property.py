"""Random histories: positions kept incrementally equal a full ``rebuild_positions``."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from portfolio import services
from portfolio.models import CashMovement, DividendReceipt, Position, PositionEntry, Transaction

from .factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment

START = date(2024, 1, 1)

day = st.integers(min_value=0, max_value=120)
late_day = st.integers(min_value=60, max_value=120)
qty = st.integers(min_value=20, max_value=300)
small_qty = st.integers(min_value=1, max_value=60)
price = st.decimals(min_value=D("0.50"), max_value=D("80"), places=2)
fee = st.decimals(min_value=0, max_value=D("9.99"), places=2)
op = st.one_of(
    st.tuples(st.just("buy"), day, qty, price, fee, st.integers(0, 1), st.just(0)),
    st.tuples(st.just("sell"), late_day, small_qty, price, fee, st.just(0), st.just(0)),
    st.tuples(st.just("sell"), late_day, small_qty, price, fee, st.integers(0, 1), st.integers(0, 1)),
    st.tuples(st.just("rename"), st.integers(min_value=90, max_value=130)),
    st.tuples(st.just("split"), day, st.sampled_from([(1, 2), (1, 3), (10, 1), (4, 1), (10, 1)])),
    st.tuples(st.just("bonus"), day, st.sampled_from([(10, 1), (5, 1)]), price),
    st.tuples(st.just("dividend"), day, price),
    st.tuples(st.just("edit"), st.integers(0, 50), day, qty),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


def snapshot():
    positions = sorted(
        Position.objects.values_list(
            "portfolio_id",
            "broker_id",
            "asset_id",
            "quantity",
            "average_cost",
            "cost_basis",
            "cost_basis_brl",
            "realized_pnl",
            "realized_pnl_brl",
            "first_trade_date",
            "last_trade_date",
        )
    )
    entries = sorted(
        PositionEntry.objects.values_list("position_id", "at", "order", "ref_id", "quantity", "cost_basis")
    )
    receipts = sorted(
        DividendReceipt.objects.values_list("dividend_id", "position_id", "quantity", "net_amount", "paid")
    )
    cash = sorted(CashMovement.objects.values_list("kind", "amount", "transaction_id", "dividend_receipt_id"))
    return positions, entries, receipts, cash


def apply(operation, ctx):
    kind = operation[0]
    on = lambda offset: START + timedelta(days=offset)  # noqa: E731
    if kind in ("buy", "sell"):
        _, offset, q, p, f, b, a = operation
        services.transaction_create(
            data=services.TradeInput(
                portfolio=ctx["portfolio"],
                broker=ctx["brokers"][b],
                asset=ctx["assets"][a],
                kind="compra" if kind == "buy" else "venda",
                trade_date=moment(on(offset)),
                quantity=D(q),
                unit_price=p,
                brokerage_fee=f,
            )
        )
    elif kind == "split":
        _, offset, (a, b) = operation
        services.event_create(
            asset=ctx["assets"][0],
            kind="split" if b > a else "grupamento",
            event_date=on(offset),
            ratio_from=D(a),
            ratio_to=D(b),
        )
    elif kind == "bonus":
        _, offset, (a, b), cost = operation
        services.event_create(
            asset=ctx["assets"][0],
            kind="bonificacao",
            event_date=on(offset),
            ratio_from=D(a),
            ratio_to=D(b),
            assigned_cost=cost,
        )
    elif kind == "rename":
        services.event_create(
            asset=ctx["assets"][0], kind="mudanca_ticker", event_date=on(operation[1]), new_asset=ctx["assets"][2]
        )
    elif kind == "dividend":
        _, offset, value = operation
        services.dividend_create(
            asset=ctx["assets"][offset % 3],
            kind="dividendo",
            value_per_share=value / 100,
            data_com=on(offset),
            payment_date=on(offset + 10),
        )
    elif kind == "edit":
        _, index, offset, q = operation
        txs = list(Transaction.objects.order_by("pk"))
        if txs:
            services.transaction_update(
                tx=txs[index % len(txs)], changes={"trade_date": moment(on(offset)), "quantity": D(q)}
            )
    elif kind == "delete":
        txs = list(Transaction.objects.order_by("pk"))
        if txs:
            services.transaction_delete(tx=txs[operation[1] % len(txs)])


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(op, min_size=1, max_size=20))
def test_incremental_positions_equal_rebuild(operations):
    with transaction.atomic():
        owner = UserFactory()
        ctx = {
            "portfolio": PortfolioFactory(owner=owner),
            "brokers": [BrokerFactory(name="XP"), BrokerFactory(name="Rico")],
            "assets": [AssetFactory(ticker="PROP3"), AssetFactory(ticker="PROP4"), AssetFactory(ticker="NEWP3")],
        }
        seed = [("buy", 0, 400, D("10.00"), D(0), 0, 0), ("buy", 3, 200, D("12.00"), D(0), 1, 0)]
        for operation in seed + operations:
            try:
                with transaction.atomic():
                    apply(operation, ctx)
            except ValidationError:
                pass  # refused operations must leave nothing behind; the comparison checks it
        incremental = snapshot()
        services.rebuild(owner_id=owner.pk)
        rebuilt = snapshot()
        assert incremental[0] == rebuilt[0]
        assert [e[:1] + e[2:] for e in incremental[1]] == [e[:1] + e[2:] for e in rebuilt[1]]
        assert incremental[2] == rebuilt[2]
        assert incremental[3] == rebuilt[3]
        transaction.set_rollback(True)

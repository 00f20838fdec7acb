"""Month-end patrimony snapshots: the task, the backfill command, idempotency."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from portfolio.analytics.models import PatrimonySnapshot
from portfolio.analytics.selectors import Scope
from portfolio.analytics.services import month_end_snapshots, snapshots_build
from portfolio.analytics.tasks import month_end_snapshot
from quotes.models import PriceBar

from ..factories import AssetFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def setup_history():
    p = PortfolioFactory()
    x = AssetFactory(ticker="XPTO3")
    fii = AssetFactory(ticker="HGLG11", asset_type="fii")
    PriceBar.objects.bulk_create(
        [
            PriceBar(asset=x, date=date(2025, 1, 10), close=D("10.00")),
            PriceBar(asset=x, date=date(2025, 1, 31), close=D("12.00")),
            PriceBar(asset=x, date=date(2025, 2, 27), close=D("11.00")),  # no bar on the 28th: carried
            PriceBar(asset=fii, date=date(2025, 2, 3), close=D("100.00")),
        ]
    )
    trade(p, x, "compra", 100, "10.00", on="2025-01-10 11:00")
    trade(p, fii, "compra", 10, "100.00", on="2025-02-03 11:00")
    trade(p, x, "venda", 50, "11.50", on="2025-02-20 11:00")  # 575 stays as cash
    return p


@time_machine.travel("2025-03-15 10:00 -0300", tick=False)
def test_month_end_task_stores_each_portfolio_and_user_and_is_idempotent():
    p = setup_history()
    first = month_end_snapshot("2025-02")
    assert (first["created"], first["scopes"]) == (2, 2)  # the portfolio and its owner's total
    snap = PatrimonySnapshot.objects.get(portfolio=p, month=date(2025, 2, 28))
    assert snap.invested == D("1550.00")  # 50 × 11.00 + 10 × 100.00
    assert snap.cash == D("575.00")
    assert snap.total == D("2125.00")
    assert snap.cost == D("1500.00")  # 500 + 1,000
    assert snap.by_type == {"acao": "550.00", "fii": "1000.00"}
    assert snap.by_class == {"renda_variavel": "1550.00"}
    assert snap.net_flows == D("1000.00")  # the FII bought with new money; the sale's cash stays
    again = month_end_snapshot("02/2025")  # the scheduling catalogue's form
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    # Default month: the last complete one (February on 15/03).
    assert month_end_snapshot()["unchanged"] == 2


@time_machine.travel("2025-03-15 10:00 -0300", tick=False)
def test_backfill_command_builds_past_months():
    p = setup_history()
    out = StringIO()
    call_command("backfill_snapshots", "--dry-run", stdout=out)
    assert "[dry-run] 4 criadas" in out.getvalue()
    assert not PatrimonySnapshot.objects.exists()
    call_command("backfill_snapshots", stdout=StringIO())
    months = list(PatrimonySnapshot.objects.filter(portfolio=p).order_by("month").values_list("month", "total"))
    assert months == [(date(2025, 1, 31), D("1200.00")), (date(2025, 2, 28), D("2125.00"))]


@time_machine.travel("2025-03-15 10:00 -0300", tick=False)
def test_a_back_dated_trade_updates_the_stored_month_and_a_dry_run_writes_nothing():
    p = setup_history()
    month_end_snapshots(month=date(2025, 2, 1))
    x = p.positions.get(asset__ticker="XPTO3").asset
    trade(p, x, "compra", 10, "11.00", on="2025-02-25 11:00")  # paid from the cash the sale left

    dry = month_end_snapshots(month=date(2025, 2, 1), dry_run=True)
    assert (dry["created"], dry["updated"], dry["unchanged"]) == (0, 2, 0)
    snap = PatrimonySnapshot.objects.get(portfolio=p, month=date(2025, 2, 28))
    assert (snap.invested, snap.cash, snap.cost) == (D("1550.00"), D("575.00"), D("1500.00"))

    real = month_end_snapshots(month=date(2025, 2, 1))
    assert (real["created"], real["updated"], real["unchanged"]) == (0, 2, 0)
    snap.refresh_from_db()
    # 60 × 11.00 + 10 × 100.00 invested, 575 − 110 of cash, 610 + 1,000 of cost; no new money came in.
    assert (snap.invested, snap.cash, snap.cost, snap.total, snap.net_flows) == (
        D("1660.00"),
        D("465.00"),
        D("1610.00"),
        D("2125.00"),
        D("1000.00"),
    )
    assert snap.by_type == {"acao": "660.00", "fii": "1000.00"}
    assert month_end_snapshots(month=date(2025, 2, 1))["unchanged"] == 2


@time_machine.travel("2025-03-15 10:00 -0300", tick=False)
def test_a_user_without_history_gets_no_snapshot_and_progress_is_reported():
    p = PortfolioFactory()  # no trade, no cash
    seen = []
    totals = month_end_snapshots(owner_id=p.owner_id, progress=lambda done, total: seen.append((done, total)))
    assert totals == {"month": "2025-02-28", "scopes": 2, "created": 0, "updated": 0, "unchanged": 0}
    assert seen == [(1, 2), (2, 2)]
    assert not PatrimonySnapshot.objects.exists()


@time_machine.travel("2025-03-15 10:00 -0300", tick=False)
def test_snapshots_of_one_scope_from_a_given_month():
    p = setup_history()
    scope = Scope(owner_id=p.owner_id, portfolio_id=p.pk)
    counts = snapshots_build(scope=scope, since=date(2025, 2, 1), until=date(2025, 2, 10))
    assert counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert list(PatrimonySnapshot.objects.values_list("month", "portfolio")) == [(date(2025, 2, 28), p.pk)]

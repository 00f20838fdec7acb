"""Year-end checkpoints: a year resumed from 31/12 of the year before gives the full replay's figures,
to the character, and a checkpoint is never used once anything it was computed from has changed."""

import json
from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError

from portfolio import services
from portfolio.dates import start_of_day
from portfolio.models import (
    Asset,
    CorporateEvent,
    CustodyTransfer,
    DividendReceipt,
    FractionSale,
    OpeningPosition,
    Transaction,
)
from portfolio.tax import checkpoints, selectors
from portfolio.tax.models import TaxOpeningBalance, TaxRule, YearEndCheckpoint

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment, trade

pytestmark = pytest.mark.django_db
TODAY = "2026-11-23 12:00 -0300"


def dividend(asset, kind, value, data_com, paid_on, rate="0"):
    services.dividend_create(
        asset=asset,
        kind=kind,
        value_per_share=D(value),
        data_com=date.fromisoformat(data_com),
        payment_date=date.fromisoformat(paid_on),
        withholding_rate=D(rate),
    )


@pytest.fixture
def history(user):
    """Three years touching every input the checkpoint stands for (see each line)."""
    with time_machine.travel(TODAY):
        p = PortfolioFactory(owner=user)
        xp, rico = BrokerFactory(name="XP Investimentos"), BrokerFactory(name="Rico")
        avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
        petr, vale, itsa = AssetFactory(ticker="PETR4"), AssetFactory(ticker="VALE3"), AssetFactory(ticker="ITSA4")
        hglg = AssetFactory(ticker="HGLG11", asset_type="fii")
        aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
        TaxOpeningBalance.objects.create(owner=user, month=date(2023, 1, 1), common_loss=D("500.00"))
        services.opening_position_create(
            owner=user, portfolio=p, broker=xp, asset=petr, as_of=date(2023, 1, 2), quantity=D(100), average_cost=D(30)
        )
        trade(p, petr, "compra", 100, "40.00", broker=rico, on="2023-03-01")
        trade(p, hglg, "compra", 10, "150.00", broker=xp, on="2023-03-01")
        trade(p, vale, "compra", 3000, "10.00", broker=xp, on="2023-04-03")
        trade(p, vale, "venda", 3000, "11.00", broker=xp, on="2023-11-06", withheld_tax="1.65")  # taxable, IRRF
        trade(p, itsa, "compra", 15, "10.00", broker=xp, on="2024-03-01")
        services.event_create(  # bonificação leaving a fraction, sold at auction
            asset=itsa,
            kind="bonificacao",
            event_date=date(2024, 4, 1),
            ratio_from=D(10),
            ratio_to=D(1),
            assigned_cost=D("5.00"),
        )
        services.fraction_sale_create(
            owner=user, portfolio=p, broker=xp, asset=itsa, date=moment("2024-04-20"), amount=D("4.00")
        )
        trade(p, hglg, "venda", 5, "120.00", broker=xp, on="2024-05-02")  # FII loss, carried
        trade(p, aapl, "compra", 10, "100.00", broker=avenue, fx_rate="5.00", on="2024-03-01")
        trade(p, aapl, "venda", 5, "80.00", broker=avenue, fx_rate="5.00", on="2024-06-03")  # foreign loss
        services.custody_transfer_create(
            owner=user,
            portfolio=p,
            asset=petr,
            from_broker=xp,
            to_broker=rico,
            date=moment("2024-08-01"),
            quantity=D(50),
        )
        dividend(itsa, "jcp", "0.50", "2024-09-02", "2024-09-20", rate="15")
        trade(p, vale, "compra", 100, "10.00", broker=xp, on="2024-12-10")  # day trade with IRRF in December
        trade(p, vale, "venda", 100, "12.00", broker=xp, on="2024-12-10", withheld_tax="2.00")
        services.event_create(asset=petr, kind="split", event_date=date(2025, 5, 2), ratio_from=D(1), ratio_to=D(2))
        trade(p, petr, "venda", 100, "25.00", broker=rico, on="2025-06-02")
        trade(p, hglg, "venda", 5, "200.00", broker=xp, on="2025-06-02")  # FII gain against the loss
        trade(p, aapl, "venda", 5, "140.00", broker=avenue, fx_rate="5.00", on="2025-06-02")  # foreign gain
        dividend(itsa, "jcp", "0.50", "2025-09-01", "2025-09-19", rate="15")
    return user


def report(owner, year):
    cache.clear()
    with time_machine.travel(TODAY):
        return json.dumps(selectors.annual_report(owner=owner, year=year), cls=DjangoJSONEncoder, sort_keys=True)


def resumed_report(owner, year, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "_from_scratch", lambda *a, **k: pytest.fail("replayed from scratch"))
        return report(owner, year)


def months_of(owner, year):
    """Every month's assessment and explanation, and the year's DARFs, as the API renders them."""
    cache.clear()
    with time_machine.travel(TODAY):
        figures = {
            "darfs": selectors.darf_year(owner=owner, year=year, today=date(2026, 11, 23)),
            **{
                f"{m:02d}": (
                    selectors.monthly_assessment(owner=owner, month=date(year, m, 1), today=date(2026, 11, 23)),
                    selectors.monthly_explanation(owner=owner, month=date(year, m, 1)),
                )
                for m in range(1, 13)
            },
        }
    return json.dumps(figures, cls=DjangoJSONEncoder, sort_keys=True)


@pytest.mark.parametrize("year", [2024, 2025])
def test_a_year_resumed_from_its_checkpoint_has_the_full_replays_figures(history, year, monkeypatch):
    full = report(history, year)
    stored = YearEndCheckpoint.objects.get(owner=history, year=year - 1)
    assert stored.holdings and stored.carry is not None
    assert resumed_report(history, year, monkeypatch) == full
    assert json.loads(full)["renda_variavel"]["months"]  # a real report, not an empty one


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_months_and_darfs_resumed_have_the_full_replays_figures(history, year, monkeypatch):
    YearEndCheckpoint.objects.all().delete()
    with monkeypatch.context() as patch:  # no checkpoint may be stored or used: the full replay, every month
        patch.setattr(selectors.checkpoints, "find", lambda **kwargs: None)
        patch.setattr(selectors.checkpoints, "save", lambda **kwargs: None)
        full = months_of(history, year)
    report(history, year)  # stores the checkpoint of 31/12 of the year before
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "_from_scratch", lambda *a, **k: pytest.fail("replayed from scratch"))
        assert months_of(history, year) == full
    assert any(json.loads(full)[f"{m:02d}"][0]["operations"] for m in range(1, 13))  # real sales in the year


def test_a_first_sale_after_the_checkpoint_starts_the_months_there(user, monkeypatch):
    """Bought in 2024, first sold in 2025: no month had been assessed by 31/12/2024, so the resumed
    chain starts at the first sale, as the full replay's does."""
    with time_machine.travel(TODAY):
        p = PortfolioFactory(owner=user)
        bbas = AssetFactory(ticker="BBAS3")
        trade(p, bbas, "compra", 2000, "20.00", on="2024-05-06")
        trade(p, bbas, "venda", 2000, "25.00", on="2025-08-04")  # 50,000: taxable
    full = report(user, 2025)
    assert YearEndCheckpoint.objects.get(owner=user, year=2024).carry is None
    assert resumed_report(user, 2025, monkeypatch) == full
    months = json.loads(full)["renda_variavel"]["months"]
    assert months[0]["month"] == "2025-08-01"


def test_a_past_trade_changed_behind_the_services_back_is_never_served_from_the_checkpoint(history, monkeypatch):
    before = report(history, 2025)
    first = Transaction.objects.filter(owner=history).order_by("trade_date").first()  # 2023
    Transaction.objects.filter(pk=first.pk).update(  # no service, no signal, no version bump
        unit_price=D("20.00"), gross_amount=D("2000.00"), net_amount=D("2000.00")
    )
    after = report(history, 2025)
    assert after != before  # PETR4's average moved: the 2025 sale's result with it
    YearEndCheckpoint.objects.all().delete()
    assert report(history, 2025) == after  # the same as a replay with no checkpoint at all
    assert resumed_report(history, 2025, monkeypatch) == after


def _fingerprint(owner, year=2024):
    return selectors._checkpoint_fingerprint(owner.pk, date(year, 12, 31))


MUTATIONS = {
    "trade": lambda u: Transaction.objects.filter(owner=u, trade_date__year=2023).update(withheld_tax=D("9.99")),
    "dividend receipt": lambda u: DividendReceipt.objects.filter(owner=u).update(tax_amount=D("1.00")),
    "opening position": lambda u: OpeningPosition.objects.filter(owner=u).update(quantity=D(99)),
    "custody transfer": lambda u: CustodyTransfer.objects.filter(owner=u).update(quantity=D(40)),
    "leilão de frações": lambda u: FractionSale.objects.filter(owner=u).update(amount=D("5.00")),
    "tax opening balance": lambda u: TaxOpeningBalance.objects.filter(owner=u).update(common_loss=D("1.00")),
    "corporate event": lambda u: CorporateEvent.objects.filter(kind="bonificacao").update(assigned_cost=D("6.00")),
    "asset classification": lambda u: Asset.objects.filter(ticker="HGLG11").update(asset_type="acao"),
    "rule table": lambda u: TaxRule.objects.filter(key="common_rate").update(legal_basis="outra"),
}


@pytest.mark.parametrize("what", MUTATIONS)
def test_every_input_up_to_the_day_changes_the_fingerprint(history, what):
    assert TaxRule.objects.filter(key="common_rate").exists()
    first = _fingerprint(history)
    assert _fingerprint(history) == first  # stable while nothing changes
    assert MUTATIONS[what](history)
    assert _fingerprint(history) != first


@pytest.mark.parametrize("what", MUTATIONS)
def test_the_portable_fingerprint_sees_every_input_too(history, what):
    """The Python hashing used where the SQL one is not (SQLite), run on every database."""
    through = date(2024, 12, 31)

    def portable():
        return checkpoints._portable_parts(history.pk, through, start_of_day(date(2025, 1, 1)))

    first = portable()
    assert portable() == first
    assert MUTATIONS[what](history)
    assert portable() != first


def test_what_happens_after_the_day_keeps_the_checkpoint(history):
    first = _fingerprint(history)
    with time_machine.travel(TODAY):
        trade(
            PortfolioFactory(owner=history),
            Asset.objects.get(ticker="VALE3"),
            "compra",
            10,
            "10.00",
            on="2025-02-03",
        )
    assert _fingerprint(history) == first


def test_no_checkpoint_is_stored_when_the_data_changes_while_computing(history, monkeypatch):
    computation = selectors.user_computation

    def with_a_write_in_the_middle(**kwargs):
        found = computation(**kwargs)
        Transaction.objects.filter(owner=history, trade_date__year=2023).update(withheld_tax=D("3.00"))
        return found

    monkeypatch.setattr(selectors, "user_computation", with_a_write_in_the_middle)
    report(history, 2025)
    assert not YearEndCheckpoint.objects.filter(owner=history).exists()


@pytest.mark.parametrize("error", [IntegrityError, DatabaseError])
def test_a_checkpoint_that_cannot_be_stored_costs_only_speed(history, monkeypatch, caplog, error):
    def refuse(**kwargs):
        raise error("refused")

    monkeypatch.setattr(YearEndCheckpoint.objects, "update_or_create", refuse)
    figures = report(history, 2025)
    assert not YearEndCheckpoint.objects.exists()
    monkeypatch.undo()
    assert report(history, 2025) == figures
    logged = "tax checkpoint" in caplog.text
    assert logged is (error is DatabaseError)  # a lost race is expected; anything else is logged

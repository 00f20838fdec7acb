"""Celery tasks (names, JSON results, idempotency), the backfill command and the demo loader."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from exitus.celery import app
from quotes import demo, tasks
from quotes.models import FxRate, IndicatorRate, MacroParameters, PriceBar, Provider, ProviderAttempt, Quote
from quotes.tests.factories import hold, make_asset

pytestmark = pytest.mark.django_db

CLOSED = "2026-11-23 22:00:00 +0000"


def test_tasks_are_registered_by_name_and_routed_to_quotes():
    for name in (
        "quotes.refresh_quotes",
        "quotes.refresh_fx",
        "quotes.refresh_indicators",
        "quotes.backfill_prices",
        "quotes.cleanup_provider_attempts",
    ):
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "quotes"


def test_refresh_quotes_defaults_to_held_assets(live, user, petr4, aapl):
    hold(user, petr4)
    make_asset("CDB-Y", asset_type="cdb")
    result = tasks.refresh_quotes.apply().get()
    assert result == {
        "requested": 1,
        "updated": 1,
        "failed": 0,
        "anomalies": 0,
        "skipped": 0,
        "fresh": 0,
        "sources": {"brapi": 1},
        "unknown": 0,
    }
    assert list(Quote.objects.values_list("asset__ticker", flat=True)) == ["PETR4"]
    again = tasks.refresh_quotes.apply().get()  # the quote is still fresh: no provider call
    assert (again["requested"], again["fresh"], again["updated"]) == (0, 1, 0)
    assert tasks.refresh_quotes.apply(kwargs={"tickers": ["PETR4"]}).get()["updated"] == 1  # explicit: forced
    assert Quote.objects.count() == 1


def test_scheduled_refresh_skips_closed_markets_until_the_next_open(live, user, petr4):
    hold(user, petr4)
    with time_machine.travel("2026-11-20 22:00:00 +0000", tick=False) as clock:  # Friday night (a holiday too)
        assert tasks.refresh_quotes.apply().get()["updated"] == 1
        calls = live.count("brapi")
        clock.shift(timedelta(days=2))  # Sunday night
        assert tasks.refresh_quotes.apply().get()["fresh"] == 1
        assert live.count("brapi") == calls
        clock.shift(timedelta(hours=16))  # Monday 11:00 local: open again
        assert tasks.refresh_quotes.apply().get()["updated"] == 1


def test_refresh_quotes_by_ticker_and_overlap_lock(live, petr4):
    result = tasks.refresh_quotes.apply(kwargs={"tickers": ["PETR4", "NOPE3"]}).get()
    assert (result["updated"], result["unknown"]) == (1, 1)
    cache.add(tasks.REFRESH_LOCK, 1, timeout=60)
    assert "skipped" in tasks.refresh_quotes.apply().get()


def test_fx_backfill_and_cleanup_tasks_return_counts(live, petr4, user):
    hold(user, petr4)
    with time_machine.travel(CLOSED, tick=False) as clock:  # every attempt below is logged on one known day
        assert tasks.refresh_fx.apply(kwargs={"pairs": ["USD-BRL"]}).get()["ok"] == 1
        assert tasks.refresh_indicators.apply(kwargs={"series": ["CDI"]}).get()["ok"] == 1
        result = tasks.backfill_prices.apply(kwargs={"days": 10}).get()
        assert (result["assets"], result["ok"], result["failed"]) == (1, 1, 0)
        before = ProviderAttempt.objects.count()
        assert before >= 3
        assert tasks.cleanup_provider_attempts.apply(kwargs={"days": 1}).get() == {
            "deleted": 0
        }  # all one day old at most
        clock.shift(timedelta(days=1, hours=14))
        assert tasks.cleanup_provider_attempts.apply(kwargs={"days": 1}).get() == {"deleted": before}


def test_backfill_command_progress_and_summary(live, user, petr4):
    hold(user, petr4)
    make_asset("ZZZZ3")
    out = StringIO()
    with time_machine.travel(CLOSED, tick=False):
        call_command(
            "backfill_prices",
            "--ticker",
            "PETR4",
            "--ticker",
            "ZZZZ3",
            "--ticker",
            "NOPE3",
            "--days",
            "10",
            stdout=out,
            stderr=StringIO(),
        )
    text = out.getvalue()
    assert "[OK] PETR4:" in text and "registros inseridos (brapi)" in text
    assert "[ERRO] ZZZZ3:" in text
    assert "[INFO] Resumo: 3 ativos processados, 1 sucesso, 2 falhas" in text
    out = StringIO()
    with time_machine.travel(CLOSED, tick=False):
        call_command("backfill_prices", "--ticker", "PETR4", "--days", "10", stdout=out, stderr=StringIO())
    assert "já completo" in out.getvalue()
    assert "Resumo: 1 ativos processados, 1 sucesso, 0 falhas (0 registros inseridos" in out.getvalue()


def test_backfill_command_defaults_dry_run_and_delisted(live, user, petr4):
    gone = make_asset("OIBR3", delisted=True, delisted_at=date(2026, 11, 10))
    hold(user, petr4)
    hold(user, gone, quantity="0")
    out = StringIO()
    with time_machine.travel(CLOSED, tick=False):
        call_command("backfill_prices", "--days", "5", "--dry-run", stdout=out)
        assert "[DRY-RUN] PETR4" in out.getvalue() and "OIBR3" not in out.getvalue()
        out = StringIO()
        call_command("backfill_prices", "--days", "20", "--include-delisted", "--dry-run", stdout=out)
    assert "[DRY-RUN] OIBR3" in out.getvalue()
    assert not PriceBar.objects.exists()


def test_backfill_command_fails_when_nothing_could_be_filled(live, db):
    make_asset("ZZZZ3")
    with time_machine.travel(CLOSED, tick=False), pytest.raises(CommandError):
        call_command("backfill_prices", "--ticker", "ZZZZ3", "--days", "5", stdout=StringIO(), stderr=StringIO())


def test_demo_load_is_idempotent_and_offline(settings, db):
    settings.QUOTES_MODE = "offline"  # in live mode the demo refuses (accounts/tests/test_checks.py)
    for ticker, market, kind, currency in (
        ("PETR4", "BR", "acao", "BRL"),
        ("HGLG11", "BR", "fii", "BRL"),
        ("AAPL", "US", "stock", "USD"),
        ("BTC", "GLOBAL", "cripto", "BRL"),
        ("CDB-Z", "BR", "cdb", "BRL"),
    ):
        make_asset(ticker, market=market, asset_type=kind, currency=currency)
    first = demo.load(stdout=StringIO())
    assert first["cotações"] == 4 and first["barras de preço"] == 4 * 300
    assert first["taxas de câmbio"] > 0 and first["indicadores"] > 0
    assert Provider.objects.count() == len(settings.QUOTES_PROVIDERS)
    second = demo.load(stdout=StringIO())
    assert set(second.values()) == {0}
    assert Quote.objects.get(asset__ticker="PETR4").price == Decimal("37.52")
    assert MacroParameters.objects.count() == 3
    assert FxRate.objects.filter(pair="USD-BRL").exists() and IndicatorRate.objects.filter(series="IPCA").exists()


def test_no_missing_migrations():
    call_command("makemigrations", "quotes", "--check", "--dry-run", stdout=StringIO())


def test_default_refresh_also_covers_watchlists(live, user, petr4, aapl):
    from quotes.models import WatchlistItem

    hold(user, petr4)
    WatchlistItem.objects.create(owner=user, asset=aapl)
    assert tasks.refresh_quotes.apply().get()["updated"] == 2


def test_health_entry_and_system_checks(settings):
    from django.core import checks

    from exitus.health import run_checks
    from quotes import circuit

    assert run_checks()[1]["quotes"] == "ok"
    settings.QUOTES_MODE = "live"
    settings.QUOTES_CIRCUIT_FAILURES = 1
    circuit.record_failure("brapi")
    assert run_checks()[1]["quotes"]["open_circuits"] == ["brapi"]
    settings.QUOTES_MODE, settings.DEBUG, settings.TESTING = "offline", False, False
    assert "quotes.W001" in {m.id for m in checks.run_checks()}
    settings.QUOTES_CHAINS = {"BR": ["nope"]}
    assert "quotes.E001" in {m.id for m in checks.run_checks()}

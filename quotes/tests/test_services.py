"""Services: refresh and storage, stale fallback, anomalies, backfill, FX, indicators, cleanup."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from portfolio.models import CorporateEvent
from quotes import cache as quote_cache
from quotes import services
from quotes.choices import AnomalyStatus, Outcome
from quotes.models import FxRate, IndicatorRate, PriceAnomaly, PriceBar, ProviderAttempt, Quote
from quotes.tests.factories import bars, make_asset

pytestmark = pytest.mark.django_db(transaction=False)

# Monday 23/11/2026, 14:00 in São Paulo: B3 open. 20/11 (Friday) was a holiday (Consciência Negra).
OPEN = "2026-11-23 17:00:00 +0000"
# Monday 23/11/2026 after the close (19:00 local).
CLOSED = "2026-11-23 22:00:00 +0000"


def test_refresh_stores_quotes_attempts_and_cache(live, petr4, aapl, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.quotes_refresh(assets=[petr4, aapl])
    assert summary.as_dict() | {"sources": None} == {
        "requested": 2,
        "updated": 2,
        "failed": 0,
        "anomalies": 0,
        "skipped": 0,
        "fresh": 0,
        "sources": None,
    }
    assert summary.sources == {"brapi": 1, "finnhub": 1}
    quote = Quote.objects.get(asset=petr4)
    assert (quote.price, quote.source, quote.currency) == (Decimal("37.50"), "brapi", "BRL")
    assert quote_cache.fetch([petr4])[petr4.pk]["price"] == "37.50000000"
    assert ProviderAttempt.objects.filter(outcome=Outcome.OK).count() == 2


def test_refresh_skips_fixed_income_and_delisted(live, db):
    cdb = make_asset("CDB-XP-2028", asset_type="cdb")
    gone = make_asset("OIBR3", delisted=True, delisted_at=date(2024, 1, 2))
    summary = services.quotes_refresh(assets=[cdb, gone])
    assert (summary.requested, summary.skipped) == (0, 2)
    assert live.count("brapi") == 0


def test_closed_session_quote_also_writes_the_days_bar(live, petr4):
    with time_machine.travel(CLOSED, tick=False):
        services.quotes_refresh(assets=[petr4])
    bar = PriceBar.objects.get(asset=petr4)
    assert (bar.date, bar.close) == (date(2026, 11, 23), Decimal("37.50"))


def test_open_session_quote_writes_no_bar(live, petr4):
    with time_machine.travel(OPEN, tick=False):
        services.quotes_refresh(assets=[petr4])
    assert not PriceBar.objects.exists()


def test_read_serves_cache_then_database_then_chain(live, petr4):
    with time_machine.travel(OPEN, tick=False):
        first = services.quote_read(petr4)
        assert (first["source"], first["stale"], first["cached"]) == ("brapi", False, False)
        calls = live.count("brapi")
        second = services.quote_read(petr4)  # the stored quote is still fresh: no provider call
        assert second["cached"] is False
        assert services.quote_read(petr4)["cached"] is True
        assert live.count("brapi") == calls
        services.quote_read(petr4, refresh=True)
        assert live.count("brapi") == calls + 1


def test_stale_fallback_when_every_provider_fails(live, petr4):
    with time_machine.travel(OPEN, tick=False) as clock:
        services.quote_read(petr4)
        for name in ("brapi", "yahoo", "hgbrasil", "twelvedata"):
            live.fault(name, status=500)
        clock.shift(timedelta(minutes=20))  # past the 5-minute TTL of an open market
        quote_cache.forget([petr4])
        payload = services.quote_read(petr4)
    assert payload["stale"] is True
    assert payload["price"] == "37.50000000"  # the last known price, never a made-up one
    assert payload["age_seconds"] == 1200


def test_no_quote_at_all_and_all_providers_failing_raises(live, petr4):
    for name in ("brapi", "yahoo", "hgbrasil", "twelvedata"):
        live.fault(name, status=503)
    with pytest.raises(services.QuoteUnavailable) as error:
        services.quote_read(petr4)
    assert len(error.value.reasons) == 4
    assert not Quote.objects.exists()


def test_closed_market_quote_stays_fresh_until_next_open(live, petr4):
    # Thursday 19/11 after the close; Friday 20/11 is a holiday → fresh until Monday 10:00.
    with time_machine.travel("2026-11-19 22:00:00 +0000", tick=False) as clock:
        services.quote_read(petr4)
        clock.shift(timedelta(days=3, hours=14))  # Monday 23/11, 09:00 local
        payload = services.quote_read(petr4)
    assert payload["stale"] is False
    assert payload["fresh_until"].startswith("2026-11-23T10:00:00")
    assert live.count("brapi") == 1


def test_big_move_without_event_is_held_for_review(live, petr4):
    bars(petr4, [30, 30], end=date(2026, 11, 19))
    live.prices["PETR4"] = Decimal("37.50")  # +25 % against the last close
    with time_machine.travel(OPEN, tick=False):
        summary = services.quotes_refresh(assets=[petr4])
    assert (summary.updated, summary.anomalies) == (0, 1)
    anomaly = PriceAnomaly.objects.get()
    assert (anomaly.reference_close, anomaly.price, anomaly.status) == (Decimal("30"), Decimal("37.50"), "pending")
    assert anomaly.change_percent == Decimal("25.0000")
    assert not Quote.objects.exists()  # not silently stored
    with time_machine.travel(OPEN, tick=False):
        services.quotes_refresh(assets=[petr4])
    assert PriceAnomaly.objects.count() == 1  # the same day's anomaly is updated, not duplicated
    with time_machine.travel(OPEN, tick=False), pytest.raises(services.QuoteUnavailable) as error:
        services.quote_read(petr4)
    assert "revisão" in error.value.reasons[0]


def test_big_move_with_corporate_event_nearby_is_accepted(live, petr4):
    bars(petr4, [75], end=date(2026, 11, 19))
    CorporateEvent.objects.create(
        asset=petr4, kind="split", event_date=date(2026, 11, 19), ratio_from=Decimal(1), ratio_to=Decimal(2)
    )
    with time_machine.travel(OPEN, tick=False):
        summary = services.quotes_refresh(assets=[petr4])
    assert (summary.updated, summary.anomalies) == (1, 0)


def test_approving_an_anomaly_applies_the_price_and_audits(live, petr4, admin_user):
    bars(petr4, [30], end=date(2026, 11, 19))
    with time_machine.travel(OPEN, tick=False):
        services.quotes_refresh(assets=[petr4])
        anomaly = PriceAnomaly.objects.get()
        services.anomaly_approve(anomaly=anomaly, actor=admin_user)
        assert Quote.objects.get(asset=petr4).price == Decimal("37.50")
        # Later refreshes that day are no longer held: the operator confirmed the move.
        summary = services.quotes_refresh(assets=[petr4])
    assert (summary.updated, summary.anomalies) == (1, 0)
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.reviewed_by) == (AnomalyStatus.APPROVED, admin_user)
    assert AuditEvent.objects.filter(action="quotes.anomaly.approve").exists()
    with pytest.raises(ValidationError):
        services.anomaly_reject(anomaly=anomaly, actor=admin_user)


def test_rejecting_an_anomaly_changes_no_price(live, petr4, admin_user):
    bars(petr4, [30], end=date(2026, 11, 19))
    with time_machine.travel(OPEN, tick=False):
        services.quotes_refresh(assets=[petr4])
    services.anomaly_reject(anomaly=PriceAnomaly.objects.get(), actor=admin_user, notes="erro do provedor")
    assert not Quote.objects.exists()
    assert PriceAnomaly.objects.get().status == AnomalyStatus.REJECTED


def test_backfill_fills_only_gaps_and_is_idempotent(live, petr4):
    with time_machine.travel(CLOSED, tick=False):
        first = services.prices_backfill(assets=[petr4], days=30)
        calls = live.count("brapi")
        second = services.prices_backfill(assets=[petr4], days=30)
    assert (first["ok"], first["failed"]) == (1, 0)
    assert first["inserted"] == PriceBar.objects.filter(asset=petr4).count() > 15
    assert second == {"assets": 1, "ok": 1, "failed": 0, "inserted": 0, "anomalies": 0, "failures": {}}
    assert live.count("brapi") == calls  # no provider asked when there is no gap


def test_backfill_reports_failures_per_asset(live, petr4):
    ghost = make_asset("ZZZZ3")
    with time_machine.travel(CLOSED, tick=False):
        summary = services.prices_backfill(assets=[petr4, ghost], days=10)
    assert (summary["assets"], summary["ok"], summary["failed"]) == (2, 1, 1)
    assert "ZZZZ3" in summary["failures"]


def test_backfill_holds_a_jump_bar_without_event(live, petr4):
    with time_machine.travel(CLOSED, tick=False):
        today = timezone.localdate()
        PriceBar.objects.create(asset=petr4, date=today - timedelta(days=10), close=Decimal("10"))
        summary = services.prices_backfill(assets=[petr4], days=9)
    assert summary["anomalies"] == 1  # the first new bar jumps from 10 to ~37
    anomaly = PriceAnomaly.objects.get()
    assert anomaly.kind == "bar"
    assert not PriceBar.objects.filter(asset=petr4, date=anomaly.date).exists()


def test_backfill_of_delisted_stops_at_delisting(live, db):
    asset = make_asset("VALE3", delisted=True, delisted_at=date(2026, 11, 10))
    with time_machine.travel(CLOSED, tick=False):
        services.prices_backfill(assets=[asset], days=20)
    assert PriceBar.objects.filter(asset=asset).latest("date").date <= date(2026, 11, 10)


def test_fx_refresh_upserts_ptax(live, db):
    counts = services.fx_refresh(pairs=["USD-BRL", "EUR-BRL", "XYZ-BRL"])
    assert (counts["ok"], counts["failed"]) == (2, 1)
    assert FxRate.objects.filter(pair="USD-BRL", source="bcb").exists()
    again = services.fx_refresh(pairs=["USD-BRL"])
    assert again["ok"] == 1
    assert (
        FxRate.objects.filter(pair="USD-BRL").count() == counts["rates"] - FxRate.objects.filter(pair="EUR-BRL").count()
    )


def test_indicators_refresh(live, db):
    counts = services.indicators_refresh(series=["CDI", "SELIC_META"], days=10)
    assert counts["ok"] == 2
    assert IndicatorRate.objects.filter(series="CDI").first().value == Decimal("0.055131")


def test_attempts_cleanup_keeps_recent(db):
    now = timezone.now()
    ProviderAttempt.objects.create(
        provider="brapi", operation="quote", outcome="ok", created_at=now - timedelta(days=9)
    )
    ProviderAttempt.objects.create(provider="brapi", operation="quote", outcome="ok", created_at=now)
    assert services.attempts_cleanup(days=7) == 1
    assert ProviderAttempt.objects.count() == 1


def test_macro_defaults_are_never_overwritten(db):
    from quotes.models import MacroParameters

    MacroParameters.objects.filter(market="BR").update(bazin_yield=Decimal("7"))
    services.macro_ensure_defaults()
    assert MacroParameters.objects.get(market="BR").bazin_yield == Decimal("7")


def test_lookup_marks_registered_and_register_creates_asset(settings, petr4, admin_user):
    settings.QUOTES_MODE = "offline"
    results = services.assets_lookup(query="PETR")
    by_ticker = {r["ticker"]: r for r in results}
    assert by_ticker["PETR4"]["registered"] is True
    assert by_ticker["PETR3"]["registered"] is False
    asset = services.asset_register(ticker="petr3", actor=admin_user)
    assert (asset.ticker, asset.market, asset.asset_type, asset.asset_class, asset.currency) == (
        "PETR3",
        "BR",
        "acao",
        "renda_variavel",
        "BRL",
    )
    assert AuditEvent.objects.filter(action="quotes.asset.register").exists()
    with pytest.raises(ValidationError):
        services.asset_register(ticker="PETR3", actor=admin_user)
    with pytest.raises(ValidationError):
        services.asset_register(ticker="NADA9", actor=admin_user)


def test_reads_survive_an_unreachable_cache(petr4):
    from django.test import override_settings

    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=broken):
        first = services.quote_read(petr4)  # offline provider, no cache at all
        second = services.quote_read(petr4)
    assert first["price"] == second["price"] == "37.52000000"
    assert second["cached"] is False

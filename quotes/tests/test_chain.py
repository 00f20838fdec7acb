"""The chain against loopback fakes: fallback, circuit breaker, rate limits, skip reasons."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from quotes import circuit
from quotes.chain import Chain
from quotes.choices import Outcome
from quotes.providers.base import Instrument

PETR4 = Instrument("PETR4", "BR", "acao", "BRL")
VALE3 = Instrument("VALE3", "BR", "acao", "BRL")
AAPL = Instrument("AAPL", "US", "stock", "USD")


def fetch(instruments):
    with Chain(disabled=set()) as chain:
        return chain.quotes(instruments)


def outcomes(result):
    return [(a.provider, a.outcome) for a in result.attempts]


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        ({"delay": 0.5}, Outcome.TIMEOUT),
        ({"status": 500}, Outcome.HTTP_ERROR),
        ({"status": 429}, Outcome.RATE_LIMITED),
        ({"garbage": True}, Outcome.BAD_RESPONSE),
    ],
)
def test_b3_falls_back_to_yahoo_when_brapi_fails(live, settings, fault, outcome):
    settings.QUOTES_PROVIDERS["brapi"]["timeout"] = 0.2
    live.fault("brapi", **fault)
    result = fetch([PETR4, VALE3])
    assert result.quotes[PETR4.key].source == "yahoo"
    assert result.quotes[PETR4.key].price == Decimal("37.50")
    assert outcomes(result) == [("brapi", outcome), ("yahoo", Outcome.OK)]
    assert "brapi" in result.attempts[0].reason


def test_us_chain_starts_with_finnhub_one_symbol_per_call(live):
    result = fetch([AAPL, Instrument("MSFT", "US", "stock", "USD")])
    assert {q.source for q in result.quotes.values()} == {"finnhub"}
    assert live.count("finnhub") == 2
    assert live.count("alphavantage") == 0


def test_unknown_symbol_walks_the_whole_chain_and_is_reported(live):
    result = fetch([Instrument("ZZZZ3", "BR")])
    assert result.quotes == {}
    assert [a.provider for a in result.attempts] == ["brapi", "yahoo", "hgbrasil", "twelvedata"]
    assert all(a.outcome == Outcome.NOT_FOUND for a in result.attempts)
    assert len(result.reasons[("ZZZZ3", "BR")]) == 4


def test_batch_partial_answer_sends_only_the_rest_onwards(live, settings):
    settings.QUOTES_PROVIDERS["brapi"]["batch_size"] = 10
    live.fault("brapi", status=404, body={"error": True, "message": "Não encontramos a ação ZZZZ3"})
    result = fetch([PETR4, Instrument("ZZZZ3", "BR")])
    assert result.quotes[PETR4.key].source == "yahoo"  # brapi refuses the whole batch on one unknown symbol
    yahoo = next(a for a in result.attempts if a.provider == "yahoo")
    assert yahoo.outcome == Outcome.PARTIAL
    assert "ZZZZ3" in yahoo.detail


def test_providers_without_key_are_skipped_with_reason(live, settings):
    for name in ("brapi", "hgbrasil"):
        settings.QUOTES_PROVIDERS[name]["api_key"] = ""
    settings.QUOTES_CHAINS = {**settings.QUOTES_CHAINS, "BR": ["hgbrasil", "yahoo"]}
    result = fetch([PETR4])
    assert outcomes(result) == [("hgbrasil", Outcome.SKIPPED_NO_KEY), ("yahoo", Outcome.OK)]
    assert live.count("hgbrasil") == 0


def test_disabled_provider_is_skipped(live):
    with Chain(disabled={"brapi"}) as chain:
        result = chain.quotes([PETR4])
    assert outcomes(result)[0] == ("brapi", Outcome.SKIPPED_DISABLED)
    assert live.count("brapi") == 0


def test_unsupported_market_is_skipped(live, settings):
    settings.QUOTES_CHAINS = {**settings.QUOTES_CHAINS, "US": ["hgbrasil", "finnhub"]}
    result = fetch([AAPL])
    assert outcomes(result) == [("hgbrasil", Outcome.SKIPPED_UNSUPPORTED), ("finnhub", Outcome.OK)]


def test_circuit_opens_after_repeated_failures_and_half_opens(live, settings):
    settings.QUOTES_CIRCUIT_FAILURES = 2
    settings.QUOTES_CIRCUIT_COOLDOWN = 60
    live.fault("brapi", status=503)
    with time_machine.travel("2026-11-23 14:00:00 +0000", tick=False) as clock:
        fetch([PETR4])
        fetch([PETR4])
        assert circuit.status("brapi")["state"] == circuit.OPEN
        third = fetch([PETR4])
        assert outcomes(third)[0] == ("brapi", Outcome.SKIPPED_CIRCUIT)
        assert live.count("brapi") == 2  # the open circuit spared the provider
        assert third.quotes[PETR4.key].source == "yahoo"

        clock.shift(61)
        live.clear("brapi")
        fourth = fetch([PETR4])  # half-open: one trial goes through and succeeds
        assert outcomes(fourth) == [("brapi", Outcome.OK)]
        assert circuit.status("brapi")["state"] == circuit.CLOSED


def test_failed_half_open_trial_reopens(live, settings):
    settings.QUOTES_CIRCUIT_FAILURES = 1
    live.fault("brapi", status=500)
    with time_machine.travel("2026-11-23 14:00:00 +0000", tick=False) as clock:
        fetch([PETR4])
        clock.shift(settings.QUOTES_CIRCUIT_COOLDOWN + 1)
        assert circuit.allow("brapi").state == circuit.HALF_OPEN
        assert not circuit.allow("brapi").allowed  # only one trial at a time
        circuit.record_failure("brapi")
        assert circuit.status("brapi")["state"] == circuit.OPEN


def test_rate_limit_respected_under_concurrent_refreshes(live, settings):
    settings.QUOTES_PROVIDERS["brapi"]["rate_limit"] = "3/min"
    settings.QUOTES_PROVIDERS["brapi"]["batch_size"] = 1
    settings.QUOTES_RATE_LIMIT_MAX_WAIT = 0
    tickers = ["PETR4", "VALE3", "ITUB4", "HGLG11"]
    results = []

    def refresh():
        results.append(fetch([Instrument(t, "BR", "acao", "BRL") for t in tickers]))

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert live.count("brapi") == 3  # 12 wanted brapi calls, the shared bucket allowed 3
    skipped = [a for r in results for a in r.attempts if a.outcome == Outcome.SKIPPED_RATE_LIMIT]
    assert len(skipped) == 9
    assert all(len(r.quotes) == 4 for r in results)  # the rest came from the next provider


def test_rate_limit_waits_when_a_token_is_close(live, settings):
    settings.QUOTES_PROVIDERS["brapi"]["rate_limit"] = "20/sec"
    settings.QUOTES_PROVIDERS["brapi"]["batch_size"] = 1
    settings.QUOTES_RATE_LIMIT_MAX_WAIT = 1.0
    result = fetch([Instrument(t, "BR") for t in ["PETR4", "VALE3", "ITUB4", "HGLG11"] * 6])
    assert live.count("brapi") == 4  # duplicates collapse to 4 keys; all within the burst
    assert {q.source for q in result.quotes.values()} == {"brapi"}


def test_twelvedata_batches_never_exceed_its_credit_bucket(live, settings):
    settings.QUOTES_PROVIDERS["twelvedata"].update(rate_limit="2/min", batch_size=8)
    settings.QUOTES_CHAINS = {**settings.QUOTES_CHAINS, "US": ["twelvedata"]}
    with Chain(disabled=set()) as chain:
        assert chain._batch_size(chain.provider("twelvedata")) == 2


def test_offline_mode_never_calls_http(settings, market):
    settings.QUOTES_MODE = "offline"
    settings.QUOTES_PROVIDERS = market.provider_settings()
    result = fetch([PETR4, AAPL, Instrument("NOPE11", "BR", "fii")])
    assert {q.source for q in result.quotes.values()} == {"offline"}
    assert set(result.quotes) == {PETR4.key, AAPL.key}  # unknown means not available
    assert sum(market.calls.values()) == 0


@time_machine.travel("2026-11-23 15:00:00 +0000", tick=False)  # the fake market and "today" agree on the day
def test_history_fx_series_and_lookup_through_the_chain(live):
    from datetime import date

    end = timezone.localdate()
    with Chain(disabled=set()) as chain:
        history = chain.history(PETR4, end - timedelta(days=20), end)
        assert history.source == "brapi" and history.points[-1].close == Decimal("37.50")
        live.fault("bcb", status=500)
        fx = chain.fx("USD", "BRL", end - timedelta(days=10), end)
        assert fx.source == "yahoo" and fx.points
        assert [a.outcome for a in fx.attempts] == [Outcome.HTTP_ERROR, Outcome.OK]
        live.clear()
        series = chain.series("CDI", date(2026, 11, 2), date(2026, 11, 6))
        assert series.source == "bcb" and len(series.points) == 5
        found, attempts = chain.lookup("PETR")
    assert ("PETR4", "BR") in {(r.ticker, r.market) for r in found}
    assert {a.provider for a in attempts} == {"brapi", "yahoo", "finnhub", "twelvedata"}


def test_answer_in_another_currency_is_rejected_not_stored(live, settings):
    settings.QUOTES_CHAINS = {**settings.QUOTES_CHAINS, "EU": ["yahoo", "twelvedata"]}
    asml = Instrument("ASML", "EU", "stock_intl", "EUR")
    live.prices["ASML"] = Decimal("700")
    result = fetch([asml])  # both fakes answer the bare symbol in USD (the US listing)
    assert result.quotes == {}
    assert [a.outcome for a in result.attempts] == [Outcome.NOT_FOUND, Outcome.NOT_FOUND]
    assert "cotado em USD, o ativo é em EUR" in result.reasons[asml.key][0]
    assert circuit.status("yahoo")["state"] == circuit.CLOSED


def test_a_429_is_honoured_until_its_retry_after(live, settings):
    """The provider is not called again until the wait it asked for is over; the breaker stays closed."""
    settings.QUOTES_CIRCUIT_FAILURES = 2
    live.fault("brapi", status=429, headers={"Retry-After": "30"})
    first = fetch([PETR4])
    assert outcomes(first) == [("brapi", Outcome.RATE_LIMITED), ("yahoo", Outcome.OK)]
    assert "pausado por 30s (Retry-After)" in first.attempts[0].reason
    calls = live.count("brapi")
    for _ in range(3):  # refreshes within the 30 s: brapi is skipped, not hammered
        again = fetch([PETR4])
        assert outcomes(again)[0] == ("brapi", Outcome.SKIPPED_RATE_LIMIT)
        assert "429" in again.attempts[0].reason
    assert live.count("brapi") == calls
    assert circuit.status("brapi")["state"] == circuit.CLOSED
    live.clear("brapi")
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert outcomes(fetch([PETR4]))[0] == ("brapi", Outcome.OK)


def test_a_429_without_retry_after_waits_for_the_documented_limit(live, settings):
    settings.QUOTES_PROVIDERS["brapi"]["rate_limit"] = "10/hour"  # one request every 6 minutes
    live.fault("brapi", status=429)
    result = fetch([PETR4])
    assert "pausado por 360s" in result.attempts[0].reason
    with time_machine.travel(timezone.now() + timedelta(seconds=300)):
        assert outcomes(fetch([PETR4]))[0] == ("brapi", Outcome.SKIPPED_RATE_LIMIT)

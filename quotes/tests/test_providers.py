"""Each adapter against the recorded responses of its provider (served on loopback)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from quotes.providers import (
    AlphaVantageProvider,
    BCBProvider,
    BrapiProvider,
    FinnhubProvider,
    HGBrasilProvider,
    TwelveDataProvider,
    YahooProvider,
)
from quotes.providers.base import (
    BadResponse,
    Instrument,
    ProviderAuthError,
    ProviderHTTPError,
    ProviderRateLimited,
    ProviderTimeout,
    UnsafeURL,
    to_decimal,
)
from quotes.tests.fakes.market import sample

PETR4 = Instrument("PETR4", "BR", "acao", "BRL")
VALE3 = Instrument("VALE3", "BR", "acao", "BRL")
AAPL = Instrument("AAPL", "US", "stock", "USD")
BTC = Instrument("BTC", "GLOBAL", "cripto", "BRL")
NY = ZoneInfo("America/New_York")


def adapter(cls, market, **extra):
    return cls(market.provider_settings()[cls.name] | extra)


def test_brapi_quotes_batch_parsed_as_decimals(market):
    market.fault("brapi", body=sample("brapi_quote"))
    result = adapter(BrapiProvider, market).fetch_quotes([PETR4, VALE3])
    petr4 = result.quotes[PETR4.key]
    assert petr4.price == Decimal("37.52")
    assert petr4.previous_close == Decimal("37.82")
    assert petr4.change_percent == Decimal("-0.7932")
    assert petr4.volume == 39499060
    assert petr4.currency == "BRL"
    assert petr4.market_time == datetime(2026, 11, 19, 20, 7, tzinfo=UTC)
    assert petr4.source == "brapi"
    assert result.quotes[VALE3.key].price == Decimal("61.04")
    assert "/brapi/quote/PETR4,VALE3" in market.paths[0][1]


def test_brapi_unknown_symbol_is_not_found_not_zero(market):
    market.fault("brapi", status=404, body=sample("brapi_not_found"))
    result = adapter(BrapiProvider, market).fetch_quotes([Instrument("XXXX3", "BR")])
    assert result.quotes == {}
    assert result.not_found == {("XXXX3", "BR")}


def test_brapi_history_dates_in_sao_paulo(market):
    market.fault("brapi", body=sample("brapi_history"))
    bars = adapter(BrapiProvider, market).fetch_history(PETR4, date(2026, 11, 1), date(2026, 11, 30))
    assert [b.date for b in bars] == [date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
    assert bars[-1].close == Decimal("37.52")
    assert bars[0].adjusted_close == Decimal("37.22")


def test_brapi_crypto_and_lookup(market):
    market.fault("brapi", body=sample("brapi_crypto"))
    quote = adapter(BrapiProvider, market).fetch_quotes([BTC]).quotes[BTC.key]
    assert quote.price == Decimal("513000.0")
    assert quote.currency == "BRL"
    market.fault("brapi", body=sample("brapi_list"))
    found = {r.ticker: r for r in adapter(BrapiProvider, market).lookup("PETR")}
    assert found["PETR4"].asset_type == "acao"
    assert found["HGLG11"].asset_type == "fii"


def test_yahoo_spark_quote_and_sa_suffix(market):
    market.fault("yahoo", body=sample("yahoo_spark"))
    quote = adapter(YahooProvider, market).fetch_quotes([PETR4]).quotes[PETR4.key]
    assert quote.price == Decimal("37.52")
    assert quote.previous_close == Decimal("37.82")
    assert quote.change == Decimal("-0.30")
    assert quote.market_time == datetime.fromtimestamp(1795032420, tz=UTC)


def test_yahoo_chart_skips_null_rows_and_keeps_adjusted(market):
    market.fault("yahoo", body=sample("yahoo_chart"))
    bars = adapter(YahooProvider, market).fetch_history(AAPL, date(2026, 11, 1), date(2026, 11, 30))
    assert [b.date for b in bars] == [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 19)]
    assert bars[0].close == Decimal("227.86")
    assert bars[0].adjusted_close == Decimal("227.6")


def test_yahoo_not_found_and_search(market):
    market.fault("yahoo", status=404, body=sample("yahoo_not_found"))
    assert adapter(YahooProvider, market).fetch_history(AAPL, date(2026, 1, 1), date(2026, 2, 1)) == []
    market.fault("yahoo", body=sample("yahoo_search"))
    found = {(r.ticker, r.market): r for r in adapter(YahooProvider, market).lookup("petro")}
    assert found[("PETR4", "BR")].asset_type == "acao"
    assert found[("PBR", "US")].asset_type == "stock"
    assert found[("BTC", "GLOBAL")].currency == "BRL"


def test_alphavantage_global_quote(market):
    market.fault("alphavantage", body=sample("alphavantage_global_quote"))
    quote = adapter(AlphaVantageProvider, market).fetch_quotes([AAPL]).quotes[AAPL.key]
    assert quote.price == Decimal("230.1000")
    assert quote.change_percent == Decimal("0.4716")
    assert quote.market_time == datetime(2026, 11, 20, 16, 0, tzinfo=NY)


def test_alphavantage_quota_note_is_rate_limit_and_empty_is_not_found(market):
    market.fault("alphavantage", body=sample("alphavantage_note"))
    with pytest.raises(ProviderRateLimited):
        adapter(AlphaVantageProvider, market).fetch_quotes([AAPL])
    market.fault("alphavantage", body={"Global Quote": {}})
    assert adapter(AlphaVantageProvider, market).fetch_quotes([AAPL]).not_found == {AAPL.key}


def test_alphavantage_daily_and_fx(market):
    market.fault("alphavantage", body=sample("alphavantage_daily"))
    bars = adapter(AlphaVantageProvider, market).fetch_history(AAPL, date(2026, 11, 1), date(2026, 11, 30))
    assert [(b.date, b.close) for b in bars][-1] == (date(2026, 11, 20), Decimal("230.1000"))
    market.fault("alphavantage", body=sample("alphavantage_fx_daily"))
    points = adapter(AlphaVantageProvider, market).fetch_fx("USD", "BRL", date(2026, 11, 1), date(2026, 11, 30))
    assert [(p.date, p.rate) for p in points] == [
        (date(2026, 11, 19), Decimal("5.3995")),
        (date(2026, 11, 20), Decimal("5.4012")),
    ]


def test_finnhub_quote_unknown_zero_and_candles(market):
    market.fault("finnhub", body=sample("finnhub_quote"))
    quote = adapter(FinnhubProvider, market).fetch_quotes([AAPL]).quotes[AAPL.key]
    assert quote.price == Decimal("230.1")
    assert quote.previous_close == Decimal("229.02")
    market.fault("finnhub", body=sample("finnhub_quote_unknown"))
    assert adapter(FinnhubProvider, market).fetch_quotes([AAPL]).not_found == {AAPL.key}
    market.fault("finnhub", body=sample("finnhub_candle"))
    bars = adapter(FinnhubProvider, market).fetch_history(AAPL, date(2026, 11, 1), date(2026, 11, 30))
    assert [b.date for b in bars] == [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]


def test_twelvedata_single_batch_and_errors(market):
    market.fault("twelvedata", body=sample("twelvedata_quote"))
    quote = adapter(TwelveDataProvider, market).fetch_quotes([AAPL]).quotes[AAPL.key]
    assert quote.price == Decimal("230.10001")
    market.fault("twelvedata", body=sample("twelvedata_quote_batch"))
    unknown = Instrument("XXXX", "US", "stock", "USD")
    result = adapter(TwelveDataProvider, market).fetch_quotes([AAPL, unknown])
    assert set(result.quotes) == {AAPL.key}
    assert result.not_found == {unknown.key}
    market.fault("twelvedata", body=sample("twelvedata_error"))
    with pytest.raises(ProviderRateLimited):
        adapter(TwelveDataProvider, market).fetch_quotes([AAPL])
    market.fault("twelvedata", body=sample("twelvedata_time_series"))
    bars = adapter(TwelveDataProvider, market).fetch_history(AAPL, date(2026, 11, 1), date(2026, 11, 30))
    assert [(b.date, b.close) for b in bars] == [
        (date(2026, 11, 19), Decimal("229.02000")),
        (date(2026, 11, 20), Decimal("230.10001")),
    ]


def test_hgbrasil_quote_derives_previous_close(market):
    market.fault("hgbrasil", body=sample("hgbrasil_stock_price"))
    unknown = Instrument("XXXX3", "BR")
    result = adapter(HGBrasilProvider, market).fetch_quotes([PETR4, unknown])
    quote = result.quotes[PETR4.key]
    assert quote.price == Decimal("37.52")
    assert quote.previous_close == (Decimal("37.52") / Decimal("0.9921")).quantize(Decimal("0.00000001"))
    assert quote.market_time == datetime(2026, 11, 19, 17, 7, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert result.not_found == {unknown.key}
    market.fault("hgbrasil", body=sample("hgbrasil_stock_price") | {"valid_key": False})
    with pytest.raises(ProviderAuthError):
        adapter(HGBrasilProvider, market).fetch_quotes([PETR4])


def test_bcb_ptax_keeps_closing_sell_rate(market):
    market.fault("bcb", body=sample("bcb_ptax_usd"))
    bcb = adapter(BCBProvider, market)
    points = bcb.fetch_fx("USD", "BRL", date(2026, 11, 16), date(2026, 11, 20))
    assert [(p.date, p.rate) for p in points] == [
        (date(2026, 11, 17), Decimal("5.3912")),
        (date(2026, 11, 18), Decimal("5.4027")),
        (date(2026, 11, 19), Decimal("5.3995")),
    ]
    market.fault("bcb", body=sample("bcb_ptax_eur"))
    points = bcb.fetch_fx("EUR", "BRL", date(2026, 11, 16), date(2026, 11, 20))
    assert [(p.date, p.rate) for p in points] == [(date(2026, 11, 19), Decimal("6.2522"))]
    assert bcb.fetch_fx("USD", "EUR", date(2026, 11, 16), date(2026, 11, 20)) == []  # PTAX is in reais only


def test_bcb_sgs_series(market):
    market.fault("bcb", body=sample("bcb_sgs_cdi"))
    points = adapter(BCBProvider, market).fetch_series("CDI", date(2026, 11, 1), date(2026, 11, 30))
    assert (points[0].date, points[0].value) == (date(2026, 11, 17), Decimal("0.055131"))
    assert "bcdata.sgs.12/dados" in market.paths[-1][1]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"garbage": True}, BadResponse),
        ({"empty": True}, BadResponse),
        ({"status": 500}, ProviderHTTPError),
        ({"status": 429}, ProviderRateLimited),
        ({"status": 401}, ProviderAuthError),
        ({"delay": 0.6}, ProviderTimeout),
    ],
)
def test_faults_are_provider_errors(market, fault, error):
    market.fault("brapi", **fault)
    with pytest.raises(error):
        adapter(BrapiProvider, market, timeout=0.3).fetch_quotes([PETR4])


def test_zero_or_missing_price_is_invalid_never_zero(market):
    body = sample("brapi_quote")
    body["results"][0]["regularMarketPrice"] = 0
    body["results"][1]["regularMarketPrice"] = None
    market.fault("brapi", body=body)
    result = adapter(BrapiProvider, market).fetch_quotes([PETR4, VALE3])
    assert result.quotes == {}
    assert set(result.invalid) == {PETR4.key, VALE3.key}


def test_to_decimal_rejects_non_numbers():
    assert to_decimal("12.5000") == Decimal("12.5000")
    assert to_decimal("1.5%", positive=False) == Decimal("1.5")
    for value in ("abc", "NaN", "Infinity", True, "0", -1):
        with pytest.raises(BadResponse):
            to_decimal(value)


def test_non_loopback_url_refused_without_any_connection(settings):
    settings.QUOTES_LOOPBACK_ONLY = True
    provider = BrapiProvider({"base_url": "https://brapi.dev/api", "api_key": "", "timeout": 1, "batch_size": 1})
    with pytest.raises(UnsafeURL):
        provider.fetch_quotes([PETR4])
    assert provider._client is None  # no HTTP client was even created

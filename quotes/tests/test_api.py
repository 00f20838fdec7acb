"""The quotes API: authentication, quotes, history, FX, signals, watchlist, lookup and registration."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent
from portfolio.models import Asset
from quotes.models import FxRate, MacroParameters, PriceBar, Quote, WatchlistItem
from quotes.tests.factories import bars, hold, make_asset

pytestmark = pytest.mark.django_db

OFFLINE_PETR4 = "37.52000000"  # last close of fixtures/quotes/prices/BR/PETR4.csv


@pytest.fixture
def api(client_for, user):
    return client_for(user)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/quotes/",
        "/api/v1/quotes/PETR4/",
        "/api/v1/quotes/PETR4/history/",
        "/api/v1/quotes/updates/",
        "/api/v1/fx/?pair=USD-BRL",
        "/api/v1/signals/PETR4/",
        "/api/v1/signals/ranking/",
        "/api/v1/signals/watchlist/",
        "/api/v1/assets/lookup/?q=PETR",
    ],
)
def test_everything_needs_authentication(api_client, petr4, path):
    assert api_client.get(path).status_code == 401


def test_unknown_ticker_is_404_with_a_clear_message(api):
    response = api.get("/api/v1/quotes/XPTO3/")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "Ativo XPTO3 não encontrado. Busque-o nos provedores em /api/v1/assets/lookup/?q=XPTO3."
    )
    assert api.get("/api/v1/signals/XPTO3/").status_code == 404
    assert api.get("/api/v1/quotes/XPTO3/history/").status_code == 404


def test_fixed_income_has_no_quote(api, db):
    make_asset("CDB-BANCO-2028", asset_type="cdb")
    response = api.get("/api/v1/quotes/CDB-BANCO-2028/")
    assert response.status_code == 404
    assert "não tem cotação de mercado" in response.json()["detail"]


def test_quote_detail_from_offline_provider(api, petr4):
    body = api.get("/api/v1/quotes/petr4/").json()
    assert (body["ticker"], body["price"], body["source"], body["stale"]) == ("PETR4", OFFLINE_PETR4, "offline", False)
    assert body["currency"] == "BRL" and body["anomaly_pending"] is False
    assert api.get("/api/v1/quotes/PETR4/?refresh=1").json()["cached"] is False


def test_quote_detail_market_disambiguation(api, db):
    make_asset("BTC", market="GLOBAL", asset_type="cripto", currency="USD")
    assert api.get("/api/v1/quotes/BTC/").json()["market"] == "GLOBAL"
    assert api.get("/api/v1/quotes/BTC/?market=US").status_code == 404
    assert api.get("/api/v1/quotes/BTC/?market=XX").status_code == 400


def test_quote_unavailable_is_404_with_reasons(api, live, petr4):
    for name in ("brapi", "yahoo", "hgbrasil", "twelvedata"):
        live.fault(name, status=500)
    response = api.get("/api/v1/quotes/PETR4/")
    assert response.status_code == 404
    assert len(response.json()["reasons"]) == 4


def test_batch_quotes(api, user, petr4, aapl):
    make_asset("CDB-X", asset_type="cdb")
    body = api.get("/api/v1/quotes/?tickers=PETR4,AAPL:US,NOPE3,CDB-X").json()
    assert [q["ticker"] for q in body["results"]] == ["PETR4", "AAPL"]
    assert body["not_found"] == ["NOPE3"]
    assert body["not_quotable"] == ["CDB-X"]
    assert body["unavailable"] == []


def test_batch_defaults_to_the_users_holdings(api, user, other_user, petr4, aapl):
    hold(user, petr4)
    hold(other_user, aapl)
    body = api.get("/api/v1/quotes/").json()
    assert [q["ticker"] for q in body["results"]] == ["PETR4"]


def test_batch_rejects_too_many_tickers(api, settings):
    settings.QUOTES_BATCH_MAX_TICKERS = 3
    response = api.get("/api/v1/quotes/?tickers=A,B,C,D")
    assert response.status_code == 400
    assert "tickers" in response.json()


def test_batch_of_50_served_from_cache_in_few_queries(api, django_assert_max_num_queries, db):
    assets = [make_asset(f"T{i:03d}3") for i in range(50)]
    now = timezone.now()
    Quote.objects.bulk_create(
        [
            Quote(asset=a, price=Decimal("10"), currency="BRL", source="brapi", market_time=now, fetched_at=now)
            for a in assets
        ]
    )
    tickers = ",".join(a.ticker for a in assets)
    api.get(f"/api/v1/quotes/?tickers={tickers}")  # warms the cache
    with django_assert_max_num_queries(3):
        body = api.get(f"/api/v1/quotes/?tickers={tickers}").json()
    assert len(body["results"]) == 50 and all(q["cached"] for q in body["results"])


def test_history_range_and_validation(api, petr4):
    bars(petr4, [10, 11, 12, 13], end=date(2026, 11, 19))
    body = api.get("/api/v1/quotes/PETR4/history/?start=2026-11-17&end=2026-11-19").json()
    assert [b["date"] for b in body["results"]] == ["2026-11-17", "2026-11-18", "2026-11-19"]
    assert body["results"][-1]["close"] == "13.00000000"
    assert body["count"] == 3 and body["currency"] == "BRL"
    bad = api.get("/api/v1/quotes/PETR4/history/?start=2026-11-20&end=2026-11-01")
    assert bad.status_code == 400 and "start" in bad.json()


def test_fx_on_a_holiday_uses_the_last_published_rate(api, db):
    FxRate.objects.create(pair="USD-BRL", date=date(2026, 11, 19), rate=Decimal("5.3995"), source="bcb")
    FxRate.objects.create(pair="USD-BRL", date=date(2026, 11, 23), rate=Decimal("5.4100"), source="bcb")
    body = api.get("/api/v1/fx/?pair=usd-brl&date=2026-11-21&amount=100").json()  # Saturday after a holiday
    assert (body["rate_date"], body["rate"], body["converted"]) == ("2026-11-19", "5.39950000", "539.95000000")
    assert api.get("/api/v1/fx/?pair=USD-BRL").json()["rate_date"] == "2026-11-23"
    inverse = api.get("/api/v1/fx/?pair=BRL-USD&date=2026-11-19").json()
    assert Decimal(inverse["rate"]) == (Decimal(1) / Decimal("5.3995")).quantize(Decimal("0.00000001"))
    assert api.get("/api/v1/fx/?pair=USD-BRL&date=2020-01-01").status_code == 404
    assert api.get("/api/v1/fx/?pair=USDBRL").status_code == 400


@time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=ZoneInfo("America/Sao_Paulo")), tick=False)
def test_signals_detail(api, petr4):
    """During the session, so the quote fetch does not also store today's closing bar."""
    Asset.objects.filter(pk=petr4.pk).update(
        dps=Decimal("3.00"), eps=Decimal("7"), bvps=Decimal("35"), beta=Decimal("1.2")
    )
    petr4.refresh_from_db()
    api.get("/api/v1/quotes/PETR4/")  # stores the offline quote (37.52)
    bars(petr4, [30 + (i % 10) for i in range(60)])
    body = api.get("/api/v1/signals/PETR4/").json()
    methods = {c["method"]: c for c in body["ceilings"]}
    assert methods["bazin"]["value"] == "50.00"  # 3.00 / 6 % (BR default macro)
    assert methods["graham"]["value"] == "74.25"  # √(22.5 × 7 × 35)
    assert methods["dcf"]["value"] is None and "FCL" in methods["dcf"]["omitted_reason"]
    assert body["zscore"]["closes"] == 60 and body["zscore"]["error"] is None
    assert body["dividend_yield"] == "8.00"  # 3.00 / 37.52 × 100
    assert body["band"] in ("COMPRAR", "AGUARDAR", "VENDER")
    assert body["macro"]["market"] == "BR"


def test_signals_with_short_history_explain_the_zscore(api, petr4):
    bars(petr4, [10] * 5)
    body = api.get("/api/v1/signals/PETR4/").json()
    assert body["zscore"]["error"] == "histórico insuficiente: 5 fechamentos; o z-score exige pelo menos 30"
    assert body["score"] is None and "margin" in body["omitted"]


def test_ranking_of_watchlist_and_holdings(api, user, petr4, aapl):
    vale = make_asset("VALE3")
    hold(user, petr4)
    WatchlistItem.objects.create(owner=user, asset=vale)
    for asset, price in ((petr4, "30"), (vale, "60")):
        Asset.objects.filter(pk=asset.pk).update(dps=Decimal("3"))
        Quote.objects.create(
            asset=asset,
            price=Decimal(price),
            currency="BRL",
            source="t",
            market_time=timezone.now(),
            fetched_at=timezone.now(),
        )
    body = api.get("/api/v1/signals/ranking/?limit=5").json()
    assert [r["ticker"] for r in body["results"]] == ["PETR4", "VALE3"]  # 3/30 yields more than 3/60
    assert body["universe"] == "default"
    assert [r["ticker"] for r in api.get("/api/v1/signals/ranking/?universe=held").json()["results"]] == ["PETR4"]


def test_watchlist_crud_and_readonly_refused(api, client_for, readonly_user, user, other_user, petr4):
    created = api.post("/api/v1/signals/watchlist/", {"ticker": "petr4"})
    assert created.status_code == 201 and created.json()["ticker"] == "PETR4"
    assert api.post("/api/v1/signals/watchlist/", {"ticker": "NOPE9"}).status_code == 404
    assert [i["ticker"] for i in api.get("/api/v1/signals/watchlist/").json()] == ["PETR4"]
    item_id = created.json()["id"]
    assert client_for(other_user).delete(f"/api/v1/signals/watchlist/{item_id}/").status_code == 404
    readonly = client_for(readonly_user)
    assert readonly.post("/api/v1/signals/watchlist/", {"ticker": "PETR4"}).status_code == 403
    assert not WatchlistItem.objects.filter(owner=readonly_user).exists()
    assert api.delete(f"/api/v1/signals/watchlist/{item_id}/").status_code == 204
    assert not WatchlistItem.objects.exists()


def test_lookup_offline_catalog(api, petr4):
    body = api.get("/api/v1/assets/lookup/?q=petr").json()
    found = {r["ticker"]: r for r in body["results"]}
    assert found["PETR4"]["registered"] is True and found["PETR4"]["asset_id"] == petr4.pk
    assert found["PETR3"]["registered"] is False and found["PETR3"]["asset_type"] == "acao"
    assert api.get("/api/v1/assets/lookup/?q=a").status_code == 400


def test_register_from_lookup_admin_only(
    client_for, admin_user, user, readonly_user, django_capture_on_commit_callbacks
):
    payload = {"ticker": "hglg11", "sector": "Logística"}
    for someone in (user, readonly_user):
        assert client_for(someone).post("/api/v1/assets/lookup/register/", payload).status_code == 403
    assert not Asset.objects.filter(ticker="HGLG11").exists()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(admin_user).post("/api/v1/assets/lookup/register/", payload)
    assert response.status_code == 201
    body = response.json()
    assert (body["ticker"], body["market"], body["asset_type"], body["asset_class"], body["sector"]) == (
        "HGLG11",
        "BR",
        "fii",
        "renda_variavel",
        "Logística",
    )
    assert len(callbacks) == 1  # refresh + backfill queued after the commit
    assert AuditEvent.objects.filter(action="quotes.asset.register", actor=admin_user).exists()
    again = client_for(admin_user).post("/api/v1/assets/lookup/register/", payload)
    assert again.status_code == 400 and "já está cadastrado" in again.json()["ticker"][0]
    unknown = client_for(admin_user).post("/api/v1/assets/lookup/register/", {"ticker": "NADA9"})
    assert unknown.status_code == 400


def test_register_with_overrides(client_for, admin_user):
    response = client_for(admin_user).post(
        "/api/v1/assets/lookup/register/", {"ticker": "BOVA11", "asset_type": "etf", "name": "BOVA"}
    )
    assert response.status_code == 201
    assert Asset.objects.get(ticker="BOVA11").name == "BOVA"


def test_updates_polling(api, user, petr4, aapl):
    hold(user, petr4)
    hold(user, aapl)
    with time_machine.travel("2026-11-23 15:00:00 +0000", tick=False) as clock:
        api.get("/api/v1/quotes/?tickers=PETR4,AAPL:US")
        first = api.get("/api/v1/quotes/updates/").json()
        assert {q["ticker"] for q in first["results"]} == {"PETR4", "AAPL"}
        assert api.get(f"/api/v1/quotes/updates/?since={first['last_event_id']}").json()["results"] == []
        clock.shift(timedelta(minutes=10))
        api.get("/api/v1/quotes/PETR4/?refresh=1")
        later = api.get(f"/api/v1/quotes/updates/?since={first['last_event_id']}").json()
    assert [q["ticker"] for q in later["results"]] == ["PETR4"]
    assert later["last_event_id"] > first["last_event_id"]
    assert api.get("/api/v1/quotes/updates/?tickers=NOPE3").status_code == 404


def test_macro_defaults_exist_after_migrations(db):
    assert set(MacroParameters.objects.values_list("market", flat=True)) >= {"BR", "US", "EU"}


def test_history_default_window_is_one_year(api, petr4):
    today = timezone.localdate()
    PriceBar.objects.create(asset=petr4, date=today - timedelta(days=400), close=Decimal("1"))
    PriceBar.objects.create(asset=petr4, date=today - timedelta(days=30), close=Decimal("2"))
    assert api.get("/api/v1/quotes/PETR4/history/").json()["count"] == 1


def test_outro_with_fixed_income_terms_is_not_quoted(api, db):
    make_asset("COE-XP-2027", asset_type="outro", maturity_date=date(2027, 6, 30), face_value=Decimal("1000"))
    make_asset("OZ1D", asset_type="outro")
    body = api.get("/api/v1/quotes/?tickers=COE-XP-2027,OZ1D").json()
    assert body["not_quotable"] == ["COE-XP-2027"]
    assert [q["ticker"] for q in body["results"]] == ["OZ1D"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/quotes/updates/?since=99999999999999999999999",
        "/api/v1/fx/?pair=USD-BRL&amount=999999999999999999999999",
        "/api/v1/quotes/PETR4/history/?start=0001-01-01&end=9999-12-31",
        "/api/v1/signals/ranking/?limit=0",
    ],
)
def test_bad_input_is_400_never_500(api, petr4, path):
    assert api.get(path).status_code == 400


def test_sse_last_event_id_garbage_means_from_the_start():
    from quotes.api.sse import parse_last_event_id

    assert parse_last_event_id("abc") is None
    assert parse_last_event_id("9" * 40) is None
    assert parse_last_event_id("1795098600123456").year == 2026


def test_batch_of_one_asset_without_any_quote_lists_it_as_unavailable(api):
    """Found by a schema fuzz run: a batch of one unquotable-by-anyone asset answered 500."""
    make_asset("ZZZZ3")
    response = api.get("/api/v1/quotes/", {"tickers": "ZZZZ3"})
    assert response.status_code == 200
    assert response.json()["unavailable"] == ["ZZZZ3"]
    assert api.get("/api/v1/quotes/ZZZZ3/").status_code == 404


@pytest.mark.parametrize("since", ["253402300799999998", "99999999999999999999"])
def test_updates_with_an_out_of_range_cursor_is_400(api, since):
    assert api.get("/api/v1/quotes/updates/", {"since": since}).status_code == 400

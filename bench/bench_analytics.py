"""Performance over ``max`` for a portfolio of 100,000 transactions over 10 years, and a year's tax.

Targets: performance ≤ 1 s cold (nothing cached) and ≤ 50 ms cached (p95 of the HTTP endpoint at
8 clients); the tax year (the DIRPF report) with no cache ≤ 1.5 × the performance cold figure — it
starts from the year-end checkpoint the first report stored (``portfolio.tax.checkpoints``; the time of
that first report, every year replayed, is reported beside it) — and the monthly explanation and the
consolidated ledger, cached, ≤ 2 × the trivial endpoint's p95 (issue 11 §7). The data set: one user,
one portfolio, 2 brokers, 200 assets (ações, FIIs, ETFs, two US stocks), a daily close for every
weekday of the 10 years (≈ 520,000 bars), USD-BRL and CDI series, 100,000 trades with same-day
round trips (day trade) among them. Positions are built by the portfolio services' replay.

``BENCH_ANALYTICS_TRADES`` / ``BENCH_ANALYTICS_ASSETS`` shrink it for a quick run.
"""

import os
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

TARGET_COLD_S = 1.0
TARGET_CACHED_MS = 50
TRADES = int(os.environ.get("BENCH_ANALYTICS_TRADES", "100000"))
ASSETS = int(os.environ.get("BENCH_ANALYTICS_ASSETS", "200"))
YEARS = 10
USERNAME = "bench.analytics"


def _weekdays(start, end):
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def seed(user, today):
    from django.db import transaction
    from django.utils import timezone

    from portfolio.models import Asset, Broker, CashMovement, Portfolio, Transaction
    from portfolio.services import positions
    from portfolio.services.transactions import TradeInput, build, cash_for
    from quotes.models import FxRate, IndicatorRate, PriceBar

    portfolio = Portfolio.objects.filter(owner=user, name="Bench analytics").first()
    if portfolio and Transaction.objects.filter(portfolio=portfolio).count() >= TRADES:
        return portfolio
    rng = random.Random(7)
    start = date(today.year - YEARS, today.month, 1)
    end = today - timedelta(days=1)
    days = list(_weekdays(start, end))
    brokers = [Broker.objects.get_or_create(name=n, defaults={"cnpj": c})[0]
               for n, c in (("Bench XP", "02332886000104"), ("Bench Rico", "02332886001178"))]  # fmt: skip
    kinds = ["acao"] * 150 + ["fii"] * 40 + ["etf"] * 8 + ["stock"] * 2
    assets = []
    for n in range(ASSETS):
        kind = kinds[n % len(kinds)]
        ticker = {"acao": f"BA{n:03d}3", "fii": f"BF{n:03d}11", "etf": f"BE{n:03d}11", "stock": f"BUS{n:03d}"}[kind]
        asset, _c = Asset.objects.get_or_create(
            ticker=ticker,
            market="US" if kind == "stock" else "BR",
            defaults={
                "asset_type": kind,
                "asset_class": "renda_variavel",
                "currency": "USD" if kind == "stock" else "BRL",
                "name": f"Bench {ticker}",
            },
        )
        assets.append(asset)
    # Prices: a random walk per asset on every weekday; USD-BRL and CDI on every weekday.
    closes = {}
    bars = []
    for asset in assets:
        price = rng.uniform(10, 100)
        series = {}
        for day in days:
            price = max(1.0, price * (1 + rng.gauss(0.0003, 0.015)))
            series[day] = round(price, 2)
            bars.append(PriceBar(asset=asset, date=day, close=Decimal(f"{series[day]:.2f}"), source="bench"))
        closes[asset.pk] = series
    PriceBar.objects.bulk_create(bars, batch_size=10000, ignore_conflicts=True)
    usd, fx = 4.0, []
    for day in days:
        usd = max(2.0, usd * (1 + rng.gauss(0, 0.006)))
        fx.append(FxRate(pair="USD-BRL", date=day, rate=Decimal(f"{usd:.4f}"), source="bench"))
    FxRate.objects.bulk_create(fx, batch_size=10000, ignore_conflicts=True)
    IndicatorRate.objects.bulk_create(
        [IndicatorRate(series="CDI", date=d, value=Decimal("0.040168")) for d in days],
        batch_size=10000,
        ignore_conflicts=True,
    )
    portfolio, _c = Portfolio.objects.get_or_create(owner=user, name="Bench analytics")
    # Trades: buys while building, then a mix; every sale within what that broker holds.
    held = {}
    rows = []
    tz = timezone.get_current_timezone()
    per_day = max(1, TRADES // len(days))
    for n in range(TRADES):
        day = days[min(len(days) - 1, n // per_day)]
        asset = assets[rng.randrange(len(assets))]
        broker = brokers[rng.randrange(2)]
        key = (asset.pk, broker.pk)
        qty = held.get(key, 0)
        price = Decimal(f"{closes[asset.pk][day]:.2f}")
        # Strictly increasing moments, so the replay sees the trades in the order they were generated.
        moment = datetime.combine(day, time(10), tzinfo=tz) + timedelta(seconds=20 * (n % per_day))
        if qty >= 100 and rng.random() < 0.4:
            sell = rng.randrange(1, qty // 2 + 1)
            held[key] = qty - sell
            rows.append(("venda", asset, broker, sell, price, moment))
        else:
            buy = rng.randrange(10, 300)
            held[key] = qty + buy
            rows.append(("compra", asset, broker, buy, price, moment))
            if rng.random() < 0.03:  # a same-day round trip at the same broker: day trade
                out = moment + timedelta(seconds=10)
                rows.append(("venda", asset, broker, buy, price * Decimal("1.01"), out))
                held[key] -= buy
    rows = rows[:TRADES]
    with transaction.atomic():
        txs = []
        for kind, asset, broker, qty, price, moment in rows:
            fx_rate = Decimal("1") if asset.currency == "BRL" else Decimal("5")
            data = TradeInput(portfolio=portfolio, broker=broker, asset=asset, kind=kind, trade_date=moment,
                              quantity=Decimal(qty), unit_price=price, brokerage_fee=Decimal("2.50"),
                              currency=asset.currency, fx_rate=fx_rate)  # fmt: skip
            txs.append(build(data, user.pk))
        created = Transaction.objects.bulk_create(txs, batch_size=5000)
        CashMovement.objects.bulk_create([m for m in (cash_for(tx) for tx in created) if m], batch_size=5000)
        positions.rebuild(owner_id=user.pk)
    return portfolio


def run(ctx):
    from django.core.cache import cache
    from django.utils import timezone

    from portfolio.analytics import selectors
    from portfolio.tax import selectors as tax_selectors
    from portfolio.tax.models import YearEndCheckpoint

    user = ctx.create_user(USERNAME)
    today = timezone.localdate()
    with ctx.timer() as seeding:
        portfolio = seed(user, today)
    scope = selectors.Scope(owner_id=user.pk, portfolio_id=portfolio.pk)
    n_trades = portfolio.transactions.count()

    cold = []
    for _ in range(3):
        cache.clear()
        with ctx.timer() as t:
            result = selectors.performance(scope=scope, period="max", benchmarks=("CDI",))
        cold.append(t.seconds)
    with ctx.timer() as warm:
        for _ in range(20):
            selectors.performance(scope=scope, period="max", benchmarks=("CDI",))
    cached_in_process_ms = warm.seconds / 20 * 1000

    token = ctx.login(USERNAME)
    url = f"/api/v1/portfolios/{portfolio.pk}/performance/?period=max&benchmark=CDI"
    ctx.warm_up(url, token=token)
    single = ctx.load(url, token=token, connections=1, threads=1)  # the latency one user sees
    http = ctx.load(url, token=token, connections=8)

    year = today.year - 1
    YearEndCheckpoint.objects.filter(owner=user).delete()
    cache.clear()
    with ctx.timer() as from_scratch:  # every year replayed; stores the checkpoint of 31/12 of year - 1
        tax_selectors.annual_report(owner=user, year=year)
    tax_cold = []
    for _ in range(2):
        cache.clear()
        with ctx.timer() as t:  # no cache: the year replayed from its checkpoint (fingerprint checked)
            report = tax_selectors.annual_report(owner=user, year=year)
        tax_cold.append(t.seconds)
    cache.clear()
    with ctx.timer() as monthly:
        tax_selectors.monthly_assessment(owner=user, month=date(year, 12, 1))

    # Issue 11 §7: the explanations, cached, against the trivial endpoint of the same run (same load shape).
    from django.db.models import Count

    busiest = (
        portfolio.transactions.values("asset_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("asset_id", flat=True)[0]
    )
    explain_url = f"/api/v1/tax/monthly/explain/?month={year}-12"
    ledger_url = f"/api/v1/positions/consolidated/{busiest}/ledger/"
    cache.clear()
    with ctx.timer() as ledger_cold:
        tax_selectors.consolidated_ledger(owner_id=user.pk, asset_id=busiest)
    with ctx.timer() as explain_cold:
        tax_selectors.monthly_explanation(owner=user, month=date(year, 12, 1))  # both now cached (shared cache)
    ctx.warm_up(explain_url, token=token)
    ctx.warm_up(ledger_url, token=token)
    explain = ctx.load(explain_url, token=token)
    ledger = ctx.load(ledger_url, token=token)
    base_p95 = ctx.baseline["p95_ms"] if ctx.baseline else None

    def ratio(figures):
        return round(figures["p95_ms"] / base_p95, 2) if base_p95 else None

    best_cold = min(cold)
    tax_ratio = round(min(tax_cold) / best_cold, 2) if best_cold else None
    return [
        ctx.result(
            "analytics.performance_max_cold",
            ok=best_cold <= TARGET_COLD_S,
            target=f"<= {TARGET_COLD_S} s cold",
            seconds=round(best_cold, 3),
            runs=[round(c, 3) for c in cold],
            transactions=n_trades,
            assets=len(result["assets"]),
            grid_days=result["days"],
            seed_seconds=round(seeding.seconds, 1),
        ),
        ctx.result(
            "analytics.performance_max_cached",
            ok=single["p95_ms"] <= TARGET_CACHED_MS and single["non_2xx"] == 0,
            target=f"p95 <= {TARGET_CACHED_MS} ms cached (one client, over HTTP)",
            in_process_ms=round(cached_in_process_ms, 2),
            **single,
        ),
        ctx.result(
            "analytics.performance_max_cached_8_clients",
            ok=http["non_2xx"] == 0,
            target="reported (8 concurrent clients)",
            baseline_rps=ctx.baseline["rps"] if ctx.baseline else None,
            **http,
        ),
        ctx.result(
            "analytics.tax_year_cold",
            ok=tax_ratio is not None and tax_ratio <= 1.5,
            target="<= 1.5 x analytics.performance_max_cold of the same run (no cache; year-end checkpoint)",
            ratio_to_performance_cold=tax_ratio,
            year=year,
            seconds=round(min(tax_cold), 3),
            from_scratch_seconds=round(from_scratch.seconds, 3),
            from_scratch_ratio=round(from_scratch.seconds / best_cold, 2) if best_cold else None,
            performance_cold_seconds=round(best_cold, 3),
            monthly_seconds=round(monthly.seconds, 3),
            transactions=n_trades,
            bens=len(report["bens_e_direitos"]),
        ),
        ctx.result(
            "analytics.tax_explain_cached",
            ok=ratio(explain) is not None
            and ratio(explain) <= 2
            and explain["requests"] > 0
            and not explain["non_2xx"],
            target="p95 <= 2 x baseline p95 (same run, same load shape)",
            ratio_to_baseline_p95=ratio(explain),
            baseline_p95_ms=base_p95,
            cold_seconds=round(explain_cold.seconds, 3),
            **explain,
        ),
        ctx.result(
            "analytics.consolidated_ledger_cached",
            ok=ratio(ledger) is not None and ratio(ledger) <= 2 and ledger["requests"] > 0 and not ledger["non_2xx"],
            target="p95 <= 2 x baseline p95 (same run, same load shape)",
            ratio_to_baseline_p95=ratio(ledger),
            baseline_p95_ms=base_p95,
            cold_seconds=round(ledger_cold.seconds, 3),
            **ledger,
        ),
    ]

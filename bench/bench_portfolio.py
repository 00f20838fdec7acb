"""Portfolio benchmarks (see bench/README.md for the ``ctx`` contract).

1. ``portfolio.dashboard_200_positions`` / ``portfolio.user_dashboard``: one user, 200 positions
   built from 100,000 transactions (bulk-inserted, then one ``rebuild``), most assets quoted, a
   tenth in USD. Driven with ``ctx.load`` (32 connections) next to ``ctx.baseline``. Targets:
   ≥ 400 req/s, p95 ≤ 100 ms, ≥ 50 % of the baseline's req/s. ``portfolio.dashboard_cold`` times
   the uncached computation in-process (what a request pays right after a write).
2. ``portfolio.record_trade``: one more trade into that history through the service, database
   time per trade (median of 20); target ≤ 10 ms and a constant number of queries.
3. ``portfolio.import_100k``: a 100,000-row generic CSV imported into a fresh portfolio,
   positions rebuilt; target ≤ 60 s.
"""

import random
import statistics
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

PASSWORD = "bench-portfolio-123"
TRANSACTIONS = 100_000
POSITIONS = 200
IMPORT_ROWS = 100_000
START = date(2020, 1, 2)


def _assets(prefix: str, count: int):
    from portfolio.choices import AssetType, Market
    from portfolio.models import Asset

    rows = []
    for n in range(count):
        us = n % 10 == 9
        rows.append(
            Asset(
                ticker=f"{prefix}{n:03d}" + ("" if us else "3"),
                market=Market.US if us else Market.BR,
                name=f"Bench {n}",
                asset_type=AssetType.STOCK if us else AssetType.ACAO,
                asset_class="renda_variavel",
                currency="USD" if us else "BRL",
            )
        )
    return Asset.objects.bulk_create(rows)


def _history(owner, portfolio, brokers, assets, count, rng):
    """``count`` trades spread over the assets: mostly buys, sales never beyond what was bought."""
    from portfolio import bulk
    from portfolio.models import CashMovement, Transaction
    from portfolio.services.transactions import cash_for

    per_asset = count // len(assets)
    held = {}
    txs = []
    tz = timezone.get_current_timezone()
    for index, asset in enumerate(assets):
        broker = brokers[index % len(brokers)]
        for n in range(per_asset):
            day = START + timedelta(days=n * 3 + index % 3)
            qty = Decimal(rng.randint(1, 20) * 10)
            kind = "compra"
            if n % 4 == 3 and held.get(asset.pk, 0) > qty:
                kind = "venda"
            held[asset.pk] = held.get(asset.pk, 0) + (qty if kind == "compra" else -qty)
            price = Decimal(rng.randint(500, 9000)) / 100
            gross = (qty * price).quantize(Decimal("0.01"))
            fee = Decimal("4.90")
            txs.append(
                Transaction(
                    owner=owner,
                    portfolio=portfolio,
                    broker=broker,
                    asset=asset,
                    kind=kind,
                    trade_date=datetime.combine(day, time(11), tzinfo=tz),
                    quantity=qty,
                    unit_price=price,
                    brokerage_fee=fee,
                    currency=asset.currency,
                    fx_rate=Decimal("5.40") if asset.currency == "USD" else Decimal("1"),
                    gross_amount=gross,
                    total_costs=fee,
                    net_amount=gross + fee if kind == "compra" else gross - fee,
                )
            )
    bulk.insert_objects(Transaction, txs, returning=True)
    bulk.insert_objects(CashMovement, [m for m in map(cash_for, txs) if m])
    return txs


def _market_data(assets):
    from quotes.models import FxRate, Quote

    now = timezone.now()
    Quote.objects.bulk_create(
        [
            Quote(
                asset=a,
                price=Decimal("42.10"),
                currency=a.currency,
                source="bench",
                market_time=now - timedelta(minutes=n % 30),
                fetched_at=now,
            )
            for n, a in enumerate(assets)
            if n % 20 != 7  # about 5 % unpriced: valued at cost and flagged
        ]
    )
    FxRate.objects.update_or_create(pair="USD-BRL", date=timezone.localdate(), defaults={"rate": Decimal("5.42")})


def _dashboards(ctx, token, portfolio, results):
    baseline = ctx.baseline
    for name, path in [
        ("portfolio.dashboard_200_positions", f"/api/v1/portfolios/{portfolio.pk}/dashboard/"),
        ("portfolio.user_dashboard", "/api/v1/dashboard/"),
    ]:
        figures = ctx.load(path, token=token, seconds=8, connections=32)
        ratio = figures["rps"] / baseline["rps"] if baseline.get("rps") else None
        ok = (
            figures["rps"] >= 400
            and figures["p95_ms"] <= 100
            and (ratio or 0) >= 0.5
            and not figures.get("errors")
            and not figures.get("non_2xx")
        )
        results.append(
            ctx.result(
                name,
                ok=ok,
                ratio_to_baseline=round(ratio, 3) if ratio else None,
                baseline_rps=baseline.get("rps"),
                target="rps >= 400, p95 <= 100 ms, >= 50% of baseline",
                **figures,
            )
        )


def _cold_dashboard(ctx, owner, portfolio, results):
    from portfolio import selectors

    selectors.compute_dashboard(owner_id=owner.pk, portfolio=portfolio)  # warm imports
    samples = []
    for _ in range(20):
        with ctx.timer() as timer:
            selectors.compute_dashboard(owner_id=owner.pk, portfolio=portfolio)
        samples.append(timer.seconds * 1000)
    with ctx.db_time() as db:
        selectors.compute_dashboard(owner_id=owner.pk, portfolio=portfolio)
    results.append(
        ctx.result(
            "portfolio.dashboard_cold",
            ok=True,
            median_ms=round(statistics.median(samples), 2),
            max_ms=round(max(samples), 2),
            queries=db.queries,
            db_ms=round(db.seconds * 1000, 2),
            note="uncached computation in-process (the first request after a write)",
        )
    )


def _record_trade(ctx, portfolio, broker, asset, results):
    from portfolio import services

    samples, queries = [], []
    for n in range(20):
        data = services.TradeInput(
            portfolio=portfolio,
            broker=broker,
            asset=asset,
            kind="compra",
            trade_date=timezone.now() - timedelta(minutes=30 - n),
            quantity=Decimal(10),
            unit_price=Decimal("42.00"),
            brokerage_fee=Decimal("4.90"),
        )
        with ctx.db_time() as db:
            services.transaction_create(data=data)
        samples.append(db.seconds * 1000)
        queries.append(db.queries)
    median = statistics.median(samples)
    results.append(
        ctx.result(
            "portfolio.record_trade",
            ok=median <= 10,
            db_ms_median=round(median, 3),
            db_ms_max=round(max(samples), 3),
            queries=max(queries),
            history=TRANSACTIONS,
            target="<= 10 ms of database work",
        )
    )


def _import(ctx, results, rng):
    from accounts.models import User
    from portfolio import importers, services
    from portfolio.models import Broker

    owner = User.objects.get(username="bench_portfolio")
    portfolio = services.portfolio_save(owner=owner, data={"name": "Importação 100k"})
    brokers = list(Broker.objects.filter(name__startswith="Bench ")[:3])
    tickers = [f"IMP{n:03d}3" for n in range(POSITIONS)]
    lines = ["date,kind,ticker,quantity,price,broker,brokerage_fee"]
    held = dict.fromkeys(tickers, 0)
    for n in range(IMPORT_ROWS):
        ticker = tickers[n % len(tickers)]
        day = START + timedelta(days=n // len(tickers))
        qty = rng.randint(1, 20) * 10
        kind = "compra"
        if n % 5 == 4 and held[ticker] > qty:
            kind = "venda"
        held[ticker] += qty if kind == "compra" else -qty
        price = rng.randint(500, 9000) / 100
        broker = brokers[(n % len(tickers)) % len(brokers)].name  # one broker per ticker: sales stay covered
        lines.append(f"{day.isoformat()},{kind},{ticker},{qty},{price:.2f},{broker},4.90")
    content = ("\n".join(lines) + "\n").encode()
    with ctx.timer() as timer:
        report = importers.run(
            content=content, file_name="bench-100k.csv", portfolio=portfolio, dry_run=False, actor=owner
        )
    results.append(
        ctx.result(
            "portfolio.import_100k",
            ok=not report.errors and report.created == IMPORT_ROWS and timer.seconds <= 60,
            seconds=round(timer.seconds, 2),
            rows=IMPORT_ROWS,
            created=report.created,
            errors=len(report.errors),
            target="<= 60 s including the position rebuild",
        )
    )


def run(ctx) -> list[dict]:
    from portfolio import services
    from portfolio.models import Broker, Position

    rng = random.Random(20250310)
    results = []
    owner = ctx.create_user("bench_portfolio", role="USER", password=PASSWORD)
    portfolio = services.portfolio_save(owner=owner, data={"name": "Bench 200 posições"})
    brokers = Broker.objects.bulk_create(
        [Broker(name=f"Bench Corretora {n}", country="BR", default_currency="BRL") for n in range(3)]
    )
    assets = _assets("BCH", POSITIONS)
    with ctx.timer() as build:
        _history(owner, portfolio, brokers, assets, TRANSACTIONS, rng)
        services.rebuild(owner_id=owner.pk)
    _market_data(assets)
    results.append(
        ctx.result(
            "portfolio.build_history",
            ok=Position.objects.filter(owner=owner, quantity__gt=0).count() == POSITIONS,
            seconds=round(build.seconds, 2),
            transactions=TRANSACTIONS,
            positions=Position.objects.filter(owner=owner).count(),
        )
    )
    token = ctx.login("bench_portfolio", PASSWORD)
    _dashboards(ctx, token, portfolio, results)
    _cold_dashboard(ctx, owner, portfolio, results)
    _record_trade(ctx, portfolio, brokers[0], assets[0], results)
    _import(ctx, results, rng)
    return results

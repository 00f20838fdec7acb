"""Desk benchmarks (issue 14 §6; the ``ctx`` contract is in bench/README.md).

1. ``desk.reconcile_2000_lines``: one investor with 2,000 positions (10 brokers × 200 assets, built
   with bulk inserts and one ``rebuild``) reconciled against a 2,000-line B3 position statement (CSV)
   in which a tenth of the lines differ. Target ≤ 2 s (read, compare, name causes, store the run).
   ``desk.reconcile_2000_lines_again``: the same file again (nothing changed: nothing written).
2. ``desk.evaluate_10k_alerts``: 10,000 alerts of 100 investors over 500 tickers (price above and
   below, day change, dividend yield); the 500 quotes move as a refresh would store them, then the
   evaluation the refresh queues runs for those 500 assets. Target ≤ 2 s. About a third of the alerts
   cross and fire (notifications written in bulk); ``desk.evaluate_10k_alerts_again`` is the next
   refresh with the same prices (nothing fires twice).
"""

import random
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal

from django.utils import timezone

BROKERS = 10
ASSETS = 200
ALERT_ASSETS = 500
ALERTS = 10_000
OWNERS = 100
AS_OF = date(2025, 3, 31)


def _reconciliation_world():
    from accounts.models import User
    from portfolio import bulk, services
    from portfolio.models import Asset, Broker, CashMovement, Portfolio, Transaction
    from portfolio.services.transactions import cash_for

    owner = User.objects.create_user(username="bench_desk", email="bench_desk@example.com", password="x-bench-123")
    portfolio = Portfolio.objects.create(owner=owner, name="Conciliação")
    brokers = Broker.objects.bulk_create([Broker(name=f"Bench Corretora {n:02d}") for n in range(BROKERS)])
    assets = Asset.objects.bulk_create(
        [
            Asset(
                ticker=f"BDK{n:03d}3", market="BR", name=f"Bench {n}", asset_type="acao", asset_class="renda_variavel"
            )
            for n in range(ASSETS)
        ]
    )
    moment = datetime.combine(date(2025, 1, 10), clock(11), tzinfo=timezone.get_current_timezone())
    txs = []
    for b, broker in enumerate(brokers):
        for a, asset in enumerate(assets):
            qty = Decimal(100 + (a * 7 + b) % 50)
            gross = qty * Decimal("10.00")
            txs.append(
                Transaction(
                    owner=owner,
                    portfolio=portfolio,
                    broker=broker,
                    asset=asset,
                    kind="compra",
                    trade_date=moment,
                    quantity=qty,
                    unit_price=Decimal("10"),
                    currency="BRL",
                    fx_rate=Decimal("1"),
                    gross_amount=gross,
                    net_amount=gross,
                )
            )
    bulk.insert_objects(Transaction, txs, returning=True)
    bulk.insert_objects(CashMovement, [m for m in map(cash_for, txs) if m])
    services.rebuild(owner_id=owner.pk)
    lines = ["Produto;Instituição;Código de Negociação;Quantidade"]
    for n, tx in enumerate(txs):
        qty = tx.quantity + (10 if n % 10 == 0 else 0)  # a tenth differ
        lines.append(f"{tx.asset.ticker} - {tx.asset.name};{tx.broker.name};{tx.asset.ticker};{qty}")
    return owner, ("\n".join(lines) + "\n").encode()


def reconcile(ctx, results):
    from portfolio.desk import services

    owner, content = _reconciliation_world()
    with ctx.timer() as timed:
        run, _created = services.reconcile_positions(owner=owner, content=content, file_name="posicao.csv", as_of=AS_OF)
    results.append(
        ctx.result(
            "desk.reconcile_2000_lines",
            ok=timed.seconds <= 2.0 and run.matches == 1800 and run.differences == 200,
            seconds=round(timed.seconds, 3),
            lines=run.matches + run.open_issues,
            differences=run.open_issues,
            target="<= 2 s",
        )
    )
    with ctx.timer() as again:
        second, _created = services.reconcile_positions(
            owner=owner, content=content, file_name="posicao.csv", as_of=AS_OF
        )
    results.append(
        ctx.result(
            "desk.reconcile_2000_lines_again",
            ok=again.seconds <= 2.0 and second.unchanged,
            seconds=round(again.seconds, 3),
            unchanged=second.unchanged,
            target="<= 2 s, nothing written",
        )
    )


def _alert_world(rng):
    from accounts.models import User
    from portfolio.desk.models import Alert
    from portfolio.models import Asset
    from quotes.models import Quote

    users = User.objects.bulk_create(
        [User(username=f"bench_alert_{n}", email=f"bench_alert_{n}@example.com", password="!") for n in range(OWNERS)]
    )
    assets = Asset.objects.bulk_create(
        [
            Asset(
                ticker=f"BAL{n:03d}3",
                market="BR",
                name=f"Alerta {n}",
                asset_type="acao",
                asset_class="renda_variavel",
                dps=Decimal("1.50"),
            )
            for n in range(ALERT_ASSETS)
        ]
    )
    now = timezone.now()
    Quote.objects.bulk_create(
        [
            Quote(
                asset=a,
                price=Decimal("20"),
                previous_close=Decimal("20"),
                change_percent=Decimal("0"),
                currency="BRL",
                source="bench",
                market_time=now,
                fetched_at=now,
            )
            for a in assets
        ]
    )
    kinds = [("preco_acima", "21"), ("preco_abaixo", "19"), ("variacao_dia", "4"), ("dy_acima", "7")]
    alerts = []
    for n in range(ALERTS):
        kind, base = kinds[n % len(kinds)]
        threshold = Decimal(base) + Decimal(rng.randint(-100, 100)) / 100
        alerts.append(Alert(owner=users[n % OWNERS], kind=kind, asset=assets[n % ALERT_ASSETS], threshold=threshold))
    Alert.objects.bulk_create(alerts, batch_size=2000)
    return assets


def evaluate(ctx, results):
    from portfolio.desk import services
    from portfolio.desk.models import Notification
    from quotes.models import Quote

    rng = random.Random(14)
    assets = _alert_world(rng)
    ids = [a.pk for a in assets]
    services.evaluate_alerts(asset_ids=ids)  # as armed before the refresh: nothing holds yet
    now = timezone.now()
    rows = list(Quote.objects.filter(asset_id__in=ids))
    for row in rows:  # what a refresh stores: new prices, the day's change
        row.price = Decimal(rng.randint(1700, 2300)) / 100
        row.change_percent = (row.price - row.previous_close) / row.previous_close * 100
        row.fetched_at = row.market_time = now
    Quote.objects.bulk_update(rows, ["price", "change_percent", "fetched_at", "market_time"], batch_size=500)
    with ctx.timer() as timed:
        counts = services.evaluate_alerts(asset_ids=ids)
    results.append(
        ctx.result(
            "desk.evaluate_10k_alerts",
            ok=timed.seconds <= 2.0 and counts["evaluated"] == ALERTS,
            seconds=round(timed.seconds, 3),
            target="<= 2 s",
            **counts,
            notifications=Notification.objects.count(),
        )
    )
    with ctx.timer() as again:
        second = services.evaluate_alerts(asset_ids=ids)
    results.append(
        ctx.result(
            "desk.evaluate_10k_alerts_again",
            ok=again.seconds <= 2.0 and second["fired"] == 0,
            seconds=round(again.seconds, 3),
            target="<= 2 s, nothing fires twice",
            **second,
        )
    )


def run(ctx) -> list[dict]:
    results = []
    reconcile(ctx, results)
    evaluate(ctx, results)
    return results

"""Quotes benchmarks (``make bench``; contract in bench/README.md).

1. ``quotes.refresh_500``: refresh 500 B3 tickers through the provider chain against a loopback
   fake provider answering in brapi's format with 50 ms latency per request. Target ≤ 5 s (the
   sequential reference is 500 × 50 ms = 25 s). Measured twice: with brapi's batches of 10
   (how production runs) and one symbol per request (the worst case, e.g. Finnhub).
2. ``quotes.batch_endpoint_50``: ``GET /api/v1/quotes/?tickers=<50 tickers>`` served from the
   cache, driven by the harness's load generator.

Nothing here leaves loopback: the fake provider listens on 127.0.0.1 and the adapters refuse any
other host while it runs (``QUOTES_LOOPBACK_ONLY``).
"""

import time
from decimal import Decimal

TICKERS = [f"BQ{i:03d}3" for i in range(500)]
LATENCY = 0.05


def _assets():
    from portfolio.models import Asset

    existing = set(Asset.objects.filter(ticker__in=TICKERS, market="BR").values_list("ticker", flat=True))
    Asset.objects.bulk_create(
        [
            Asset(ticker=t, market="BR", asset_type="acao", asset_class="renda_variavel", currency="BRL", name=t)
            for t in TICKERS
            if t not in existing
        ]
    )
    order = {t: i for i, t in enumerate(TICKERS)}
    return sorted(Asset.objects.filter(ticker__in=TICKERS, market="BR"), key=lambda a: order[a.ticker])


def refresh_500(*, batch_size, workers=None):
    """Seconds to refresh the 500 tickers (and how many were updated), against the 50 ms fake."""
    from django.conf import settings
    from django.test.utils import override_settings
    from django.utils import timezone

    from quotes import services
    from quotes.models import ProviderAttempt
    from quotes.tests.fakes.market import FakeMarketProcess

    assets = _assets()
    begun = timezone.now()
    prices = {t: Decimal("10") + Decimal(i) / 100 for i, t in enumerate(TICKERS)}
    with FakeMarketProcess(prices, latency=LATENCY) as market:
        providers = market.provider_settings(batch_sizes={"brapi": batch_size}, timeout=5.0)
        with override_settings(
            QUOTES_MODE="live",
            QUOTES_LOOPBACK_ONLY=True,
            QUOTES_PROVIDERS=providers,
            QUOTES_MAX_WORKERS=workers or settings.QUOTES_MAX_WORKERS,
            QUOTES_CHAINS={**settings.QUOTES_CHAINS, "BR": ["brapi"]},
            QUOTES_ANOMALY_THRESHOLD=1000.0,
        ):
            started = time.perf_counter()
            summary = services.quotes_refresh(assets=assets)
            seconds = time.perf_counter() - started
            requests = ProviderAttempt.objects.filter(provider="brapi", created_at__gte=begun).count()
    return seconds, summary.updated, requests


def run(ctx):
    results = []
    for label, batch in (("batched", 10), ("per_symbol", 1)):
        seconds, updated, requests = refresh_500(batch_size=batch)
        results.append(
            ctx.result(
                f"quotes.refresh_500_{label}",
                ok=seconds <= 5.0 and updated == len(TICKERS),
                seconds=round(seconds, 3),
                updated=updated,
                provider_requests=requests,
                latency_ms=int(LATENCY * 1000),
                sequential_reference_s=round(requests * LATENCY, 1),
                target="<= 5 s (sequential: 25 s)",
            )
        )

    # Batch endpoint, 50 tickers, from the cache (quotes are fresh: no provider is called).
    from django.utils import timezone

    from quotes.models import Quote

    assets = _assets()[:50]
    now = timezone.now()
    Quote.objects.filter(asset__in=assets).update(fetched_at=now, market_time=now)
    user = ctx.create_user("bench_quotes", role="USER", password="bench-quotes-123")
    token = ctx.login(user.username, "bench-quotes-123")
    path = "/api/v1/quotes/?tickers=" + ",".join(a.ticker for a in assets)
    ctx.load(path, token=token, seconds=2, connections=4)  # warm every worker's cache
    figures = ctx.load(path, token=token)
    results.append(
        ctx.result(
            "quotes.batch_endpoint_50",
            ok=figures.get("non_2xx", 0) == 0 and figures.get("errors", 0) == 0,
            target="report (cache hit path)",
            **figures,
        )
    )
    return results


if __name__ == "__main__":  # quick run without the harness: python bench/bench_quotes.py
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")
    import django

    django.setup()
    for label, batch in (("batched", 10), ("per_symbol", 1)):
        seconds, updated, requests = refresh_500(batch_size=batch)
        print(f"refresh_500_{label}: {seconds:.2f}s, {updated} atualizados, {requests} requisições")

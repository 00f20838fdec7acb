"""Demo market data for ``manage.py seed_demo`` (runs after the portfolio's demo assets exist).

Fills quotes, daily history, FX and Banco Central series straight from the offline fixtures
(no provider chain, no network), plus the default macro parameters and the provider rows.
Idempotent and fast: existing rows are left alone, only what is missing is inserted.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from portfolio.models import Asset

from . import services
from .choices import IndicatorSeries, quotable_q
from .models import FxRate, IndicatorRate, PriceBar, Quote
from .providers.offline import OfflineProvider

FX_PAIRS = ("USD-BRL", "EUR-BRL", "GBP-BRL")


class LiveModeRefusal(CommandError):
    """Synthetic prices never enter an installation that reads real markets."""


@transaction.atomic
def load(*, stdout=None) -> dict:
    if settings.QUOTES_MODE == "live":
        raise LiveModeRefusal(
            "QUOTES_MODE=live: os preços sintéticos de demonstração (fixtures/quotes) não são carregados "
            "numa instalação que consulta os mercados reais."
        )
    provider = OfflineProvider()
    now = timezone.now()
    counts = {
        "parâmetros macro": services.macro_ensure_defaults(),
        "provedores": _providers(),
        "cotações": 0,
        "barras de preço": 0,
        "taxas de câmbio": 0,
        "indicadores": 0,
    }
    assets = list(Asset.objects.filter(quotable_q()))
    have_quote = set(Quote.objects.filter(asset__in=assets).values_list("asset_id", flat=True))
    have_bars = {}
    for asset_id, day in PriceBar.objects.filter(asset__in=assets).values_list("asset_id", "date"):
        have_bars.setdefault(asset_id, set()).add(day)
    quotes, bars, missing = [], [], []
    for asset in assets:
        instrument = services.instrument_for(asset)
        history = provider.bars(instrument)
        if not history:
            missing.append(asset.ticker)
            continue
        if asset.delisted and asset.delisted_at:
            history = [b for b in history if b.date <= asset.delisted_at]
        known = have_bars.get(asset.pk, set())
        bars.extend(services.bar_row(asset, b, provider.name) for b in history if b.date not in known)
        if asset.pk not in have_quote and not asset.delisted:
            quote = provider.fetch_quotes([instrument]).quotes[instrument.key]
            quotes.append(services.quote_row(asset, quote, now))
    PriceBar.objects.bulk_create(bars, batch_size=2000)
    Quote.objects.bulk_create(quotes, batch_size=500)
    counts["barras de preço"], counts["cotações"] = len(bars), len(quotes)
    counts["taxas de câmbio"] = _fx(provider)
    counts["indicadores"] = _indicators(provider)
    if missing and stdout is not None:
        stdout.write(
            f"quotes: sem dados offline para {', '.join(sorted(missing))} (renda fixa ou símbolo desconhecido)"
        )
    return counts


def _providers():
    from .models import Provider

    before = Provider.objects.count()
    services.providers_ensure()
    return Provider.objects.count() - before


def _fx(provider):
    start, end = date(1990, 1, 1), timezone.localdate()
    created = 0
    for pair in FX_PAIRS:
        base, _sep, quote = pair.partition("-")
        known = set(FxRate.objects.filter(pair=pair).values_list("date", flat=True))
        rows = [
            FxRate(pair=pair, date=p.date, rate=p.rate, source=provider.name)
            for p in provider.fetch_fx(base, quote, start, end)
            if p.date not in known
        ]
        FxRate.objects.bulk_create(rows, batch_size=1000)
        created += len(rows)
    return created


def _indicators(provider):
    end = timezone.localdate()
    start = end - timedelta(days=800)
    created = 0
    for series in IndicatorSeries.values:
        known = set(IndicatorRate.objects.filter(series=series).values_list("date", flat=True))
        rows = [
            IndicatorRate(series=series, date=p.date, value=p.value, source=provider.name)
            for p in provider.fetch_series(series, start, end)
            if p.date not in known
        ]
        IndicatorRate.objects.bulk_create(rows, batch_size=1000)
        created += len(rows)
    return created

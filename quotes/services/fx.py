"""FX rates (PTAX first) and the Banco Central series (CDI, Selic, IPCA)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portfolio.models import Asset

from ..chain import Chain
from ..choices import IndicatorSeries
from ..models import FxRate, IndicatorRate
from .common import attempts_save

logger = logging.getLogger("quotes")


def fx_pairs_default():
    """Configured pairs plus ``XXX-BRL`` for every foreign currency an active asset trades in."""
    pairs = [p.upper() for p in settings.QUOTES_FX_PAIRS]
    currencies = Asset.objects.filter(active=True).exclude(currency="BRL").values_list("currency", flat=True).distinct()
    for currency in sorted(set(currencies)):
        pair = f"{currency.upper()}-BRL"
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def fx_refresh(*, pairs=None, days=None, chain=None) -> dict:
    """Fetch the last ``days`` of PTAX (then other providers) for each pair; upsert ``FxRate``."""
    pairs = [p.upper() for p in (pairs or fx_pairs_default())]
    days = days or settings.QUOTES_FX_LOOKBACK_DAYS
    end = timezone.localdate()
    start = end - timedelta(days=days)
    counts = {"pairs": len(pairs), "ok": 0, "failed": 0, "rates": 0}
    own_chain = chain is None
    chain = chain or Chain()
    try:
        for pair in pairs:
            base, _sep, quote = pair.partition("-")
            if len(base) != 3 or len(quote) != 3:
                counts["failed"] += 1
                continue
            answer = chain.fx(base, quote, start, end)
            with transaction.atomic():
                attempts_save(answer.attempts)
                if answer.points:
                    FxRate.objects.bulk_create(
                        [FxRate(pair=pair, date=p.date, rate=p.rate, source=answer.source) for p in answer.points],
                        update_conflicts=True,
                        unique_fields=["pair", "date"],
                        update_fields=["rate", "source", "fetched_at"],
                    )
            if answer.points:
                counts["ok"] += 1
                counts["rates"] += len(answer.points)
            else:
                counts["failed"] += 1
                logger.warning("cotacoes: câmbio %s indisponível: %s", pair, "; ".join(answer.reasons))
    finally:
        if own_chain:
            chain.close()
    return counts


def indicators_refresh(*, series=None, days=45, chain=None) -> dict:
    """Fetch CDI, Selic (daily and target) and IPCA from the Banco Central; upsert ``IndicatorRate``."""
    names = series or [s.value for s in IndicatorSeries]
    end = timezone.localdate()
    start = end - timedelta(days=max(days, 70) if "IPCA" in names else days)
    counts = {"series": len(names), "ok": 0, "failed": 0, "points": 0}
    own_chain = chain is None
    chain = chain or Chain()
    try:
        for name in names:
            answer = chain.series(name, start, end)
            with transaction.atomic():
                attempts_save(answer.attempts)
                if answer.points:
                    IndicatorRate.objects.bulk_create(
                        [
                            IndicatorRate(series=name, date=p.date, value=p.value, source=answer.source)
                            for p in answer.points
                        ],
                        update_conflicts=True,
                        unique_fields=["series", "date"],
                        update_fields=["value", "source", "fetched_at"],
                    )
            counts["ok" if answer.points else "failed"] += 1
            counts["points"] += len(answer.points)
    finally:
        if own_chain:
            chain.close()
    return counts

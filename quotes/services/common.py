"""What every flow shares: which assets are quoted, the chain's view of an asset, the attempt log."""

from ..choices import is_quotable as _is_quotable
from ..models import ProviderAttempt
from ..providers.base import Instrument


def is_quotable(asset) -> bool:
    return _is_quotable(asset)


def instrument_for(asset) -> Instrument:
    return Instrument(
        ticker=asset.ticker,
        market=asset.market,
        asset_type=asset.asset_type,
        currency=asset.currency,
        asset_id=asset.pk,
    )


def attempts_save(records) -> int:
    """Persist the chain's attempt records (one INSERT)."""
    rows = [
        ProviderAttempt(
            provider=r.provider,
            operation=r.operation,
            market=r.market,
            symbols=",".join(r.symbols)[:4000],
            symbol_count=len(r.symbols),
            ok_count=r.ok_count,
            outcome=r.outcome,
            http_status=r.http_status,
            detail=r.detail[:2000],
            duration_ms=r.duration_ms,
            created_at=r.created_at,
        )
        for r in records
    ]
    ProviderAttempt.objects.bulk_create(rows, batch_size=500)
    return len(rows)

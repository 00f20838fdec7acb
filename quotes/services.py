"""Every write of market data: quote refresh, FX and indicators, history backfill, anomalies,
asset registration from a provider lookup, watchlist, provider switches.

Providers are only reached through :class:`quotes.chain.Chain`; what each call did is saved in
``ProviderAttempt``. Prices are never invented: a symbol no provider answered keeps its last
known quote (shown ``stale`` with its age) or has none.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record
from portfolio.choices import DEFAULT_CLASS_BY_TYPE, AssetType, Market
from portfolio.models import Asset, CorporateEvent

from . import cache as quote_cache
from . import circuit, markets, shared_state
from .chain import Chain
from .choices import AnomalyKind, AnomalyStatus, IndicatorSeries
from .choices import is_quotable as _is_quotable
from .models import (
    FxRate,
    IndicatorRate,
    MacroParameters,
    PriceAnomaly,
    PriceBar,
    Provider,
    ProviderAttempt,
    Quote,
    WatchlistItem,
)
from .providers.base import Instrument

logger = logging.getLogger("quotes")

CURRENCY_BY_MARKET = {Market.BR: "BRL", Market.US: "USD", Market.EU: "EUR", Market.ASIA: "USD", Market.GLOBAL: "USD"}
UPDATES_CHANNEL = "updates"
# A stored close older than this is no reference for the anomaly check (use the provider's).
REFERENCE_MAX_AGE = timedelta(days=14)


class QuoteUnavailable(Exception):
    """No provider answered and no quote was ever stored for the asset."""

    def __init__(self, asset, reasons):
        self.asset = asset
        self.reasons = reasons
        super().__init__(
            _("Nenhuma cotação disponível para %(ticker)s: todos os provedores falharam.") % {"ticker": asset.ticker}
        )


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


# --- Quotes --------------------------------------------------------------------------


@dataclass
class RefreshSummary:
    requested: int = 0
    updated: int = 0
    failed: int = 0
    anomalies: int = 0
    skipped: int = 0
    fresh: int = 0
    sources: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)  # ticker -> [why each provider had nothing]

    def as_dict(self):
        return {
            "requested": self.requested,
            "updated": self.updated,
            "failed": self.failed,
            "anomalies": self.anomalies,
            "skipped": self.skipped,
            "fresh": self.fresh,
            "sources": self.sources,
        }


# A scheduled refresh also renews quotes that would expire within this margin (schedule jitter).
EXPIRY_MARGIN = timedelta(seconds=60)


def quotes_refresh(*, assets, chain=None, only_expiring=False) -> RefreshSummary:
    """Fetch fresh quotes for ``assets`` through the chain and store them.

    ``only_expiring`` (scheduled runs): leave out assets whose stored quote is still fresh —
    a closed market's quote is fresh until the next open, so nights, weekends and holidays
    cost no provider request. Moves ≥ ``QUOTES_ANOMALY_THRESHOLD`` % against the previous close
    without a corporate event nearby are held as ``PriceAnomaly`` for an operator instead of
    being stored. Stored quotes go to the cache and are announced to the live stream after the
    commit.
    """
    assets = list(assets)
    summary = RefreshSummary()
    quotable = [a for a in assets if is_quotable(a) and not a.delisted]
    summary.skipped = len(assets) - len(quotable)
    if only_expiring and quotable:
        soon = timezone.now() + EXPIRY_MARGIN
        fetched = dict(Quote.objects.filter(asset__in=quotable).values_list("asset_id", "fetched_at"))
        due = [a for a in quotable if a.pk not in fetched or markets.fresh_until(a.market, fetched[a.pk]) <= soon]
        summary.fresh = len(quotable) - len(due)
        quotable = due
    summary.requested = len(quotable)
    if not quotable:
        return summary
    by_key = {(a.ticker, a.market): a for a in quotable}
    own_chain = chain is None
    chain = chain or Chain()
    try:
        result = chain.quotes([instrument_for(a) for a in quotable])
    finally:
        if own_chain:
            chain.close()
    now = timezone.now()
    with transaction.atomic():
        attempts_save(result.attempts)
        accepted, held = _screen_quotes({by_key[k]: q for k, q in result.quotes.items()}, now=now)
        stored = _store_quotes(accepted, now=now)
    summary.updated = len(stored)
    summary.anomalies = held
    summary.failed = len(quotable) - len(result.quotes)
    for quote in result.quotes.values():
        summary.sources[quote.source] = summary.sources.get(quote.source, 0) + 1
    for key, reasons in result.reasons.items():
        if key not in result.quotes:
            summary.reasons[key[0]] = reasons
    if summary.failed:
        logger.warning("cotacoes: %d de %d ativos sem cotação nova", summary.failed, summary.requested)
    return summary


def quote_row(asset, quote, fetched_at) -> Quote:
    """An unsaved ``Quote`` from a provider's :class:`~quotes.providers.base.QuoteData`."""
    return Quote(
        asset=asset,
        price=quote.price,
        previous_close=quote.previous_close,
        change=quote.change,
        change_percent=quote.change_percent,
        volume=quote.volume,
        currency=quote.currency,
        source=quote.source,
        market_time=quote.market_time,
        fetched_at=fetched_at,
    )


def _store_quotes(accepted, *, now):
    """Upsert ``Quote`` rows (and the day's bar once its session closed); cache and announce after commit."""
    if not accepted:
        return []
    rows = [quote_row(asset, q, now) for asset, q in accepted.items()]
    Quote.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["asset"],
        update_fields=[
            "price",
            "previous_close",
            "change",
            "change_percent",
            "volume",
            "currency",
            "source",
            "market_time",
            "fetched_at",
        ],
        batch_size=500,
    )
    bars = []
    for asset, q in accepted.items():
        day = markets.market_date(asset.market, q.market_time)
        if not markets.is_open(asset.market, now) and day == markets.last_completed_session(asset.market, now):
            bars.append(
                PriceBar(
                    asset=asset,
                    date=day,
                    open=q.open,
                    high=q.high,
                    low=q.low,
                    close=q.price,
                    volume=q.volume,
                    source=q.source,
                )
            )
    if bars:
        PriceBar.objects.bulk_create(
            bars,
            update_conflicts=True,
            unique_fields=["asset", "date"],
            update_fields=["open", "high", "low", "close", "volume", "source"],
            batch_size=500,
        )
    payloads = [quote_cache.quote_payload(row, row.asset) for row in rows]
    transaction.on_commit(lambda: _after_store(payloads, now))
    return rows


def _after_store(payloads, now):
    quote_cache.store(payloads, now=now)
    event = {"event_id": event_id(now), "asset_ids": [p["asset_id"] for p in payloads]}
    shared_state.publish(UPDATES_CHANNEL, json.dumps(event))


def event_id(moment) -> int:
    """Live-stream event id of a quote update: its ``fetched_at`` in microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


def _screen_quotes(fetched, *, now):
    """Split fetched quotes into ``accepted`` and the number held as anomalies."""
    if not fetched:
        return {}, 0
    assets = list(fetched)
    days = {a: markets.market_date(a.market, fetched[a].market_time) for a in assets}
    references = _reference_closes(days)
    current = {q.asset_id: q for q in Quote.objects.filter(asset__in=assets)}
    for asset in assets:
        ref = references.get(asset.pk)
        existing = current.get(asset.pk)
        if existing is not None:
            existing_day = markets.market_date(asset.market, existing.market_time)
            if existing_day < days[asset] and (ref is None or existing_day > ref[0]):
                ref = (existing_day, existing.price)
        if ref is not None and days[asset] - ref[0] > REFERENCE_MAX_AGE:
            ref = None
        if ref is None and fetched[asset].previous_close:
            ref = (None, fetched[asset].previous_close)
        references[asset.pk] = ref
    suspects = {
        a: _change(references[a.pk][1], fetched[a].price)
        for a in assets
        if references.get(a.pk) and abs(_change(references[a.pk][1], fetched[a].price)) >= _threshold()
    }
    if not suspects:
        return dict(fetched), 0
    cleared = _explained_moves({a: days[a] for a in suspects}, kind=AnomalyKind.QUOTE)
    accepted, held = {}, 0
    for asset, quote in fetched.items():
        if asset not in suspects or asset in cleared:
            accepted[asset] = quote
            continue
        ref_day, ref_close = references[asset.pk]
        _hold(
            asset,
            AnomalyKind.QUOTE,
            days[asset],
            ref_close,
            ref_day,
            quote.price,
            suspects[asset],
            quote.source,
            _quote_json(quote),
            now,
        )
        held += 1
    return accepted, held


def _threshold():
    return Decimal(str(settings.QUOTES_ANOMALY_THRESHOLD))


def _change(reference, price):
    return (price - reference) / reference * 100


def _reference_closes(days_by_asset):
    """``{asset_id: (date, close)}``: the last stored close before each asset's quote date."""
    refs = {}
    groups = {}
    for asset, day in days_by_asset.items():
        groups.setdefault(day, []).append(asset.pk)
    for day, ids in groups.items():
        last = PriceBar.objects.filter(asset=OuterRef("pk"), date__lt=day).order_by("-date")
        rows = (
            Asset.objects.filter(pk__in=ids)
            .annotate(ref_date=Subquery(last.values("date")[:1]), ref_close=Subquery(last.values("close")[:1]))
            .values_list("pk", "ref_date", "ref_close")
        )
        for pk, ref_date, ref_close in rows:
            if ref_date is not None:
                refs[pk] = (ref_date, ref_close)
    return refs


def _explained_moves(days_by_asset, *, kind):
    """Assets whose big move is explained: a corporate event within the window, or already approved."""
    window = timedelta(days=settings.QUOTES_ANOMALY_EVENT_WINDOW_DAYS)
    ids = [a.pk for a in days_by_asset]
    first, last = min(days_by_asset.values()) - window, max(days_by_asset.values()) + window
    events = {}
    for asset_id, day in CorporateEvent.objects.filter(asset_id__in=ids, event_date__range=(first, last)).values_list(
        "asset_id", "event_date"
    ):
        events.setdefault(asset_id, []).append(day)
    approved = set(
        PriceAnomaly.objects.filter(
            asset_id__in=ids, kind=kind, status=AnomalyStatus.APPROVED, date__in=set(days_by_asset.values())
        ).values_list("asset_id", "date")
    )
    cleared = set()
    for asset, day in days_by_asset.items():
        if (asset.pk, day) in approved or any(abs(e - day) <= window for e in events.get(asset.pk, [])):
            cleared.add(asset)
    return cleared


def _hold(asset, kind, day, ref_close, ref_day, price, change, source, payload, now):
    PriceAnomaly.objects.update_or_create(
        asset=asset,
        kind=kind,
        date=day,
        status=AnomalyStatus.PENDING,
        defaults={
            "reference_close": ref_close,
            "reference_date": ref_day,
            "price": price,
            "change_percent": change.quantize(Decimal("0.0001")),
            "source": source,
            "payload": payload,
            "detected_at": now,
        },
    )
    logger.warning(
        "cotacoes: anomalia em %s %s: %s → %s (%+.2f%%), retida para revisão", asset, day, ref_close, price, change
    )


def _quote_json(quote):
    return {
        "price": f"{quote.price:f}",
        "previous_close": None if quote.previous_close is None else f"{quote.previous_close:f}",
        "change": None if quote.change is None else f"{quote.change:f}",
        "change_percent": None if quote.change_percent is None else f"{quote.change_percent:f}",
        "volume": quote.volume,
        "currency": quote.currency,
        "market_time": quote.market_time.isoformat(),
        "open": None if quote.open is None else f"{quote.open:f}",
        "high": None if quote.high is None else f"{quote.high:f}",
        "low": None if quote.low is None else f"{quote.low:f}",
    }


def quote_read(asset, *, refresh=False) -> dict:
    """The asset's quote for the API: cache → stored quote if still fresh → the chain.

    ``refresh`` forces a fetch. When the chain has nothing, the last stored quote is returned
    flagged ``stale`` with its age; with nothing stored at all, :class:`QuoteUnavailable`.
    """
    found, reasons = _quotes_read(assets=[asset], refresh=refresh)
    if asset.pk not in found:
        raise QuoteUnavailable(asset, reasons.get(asset.ticker) or [])
    return found[asset.pk]


def quotes_read(assets, *, refresh=False) -> dict:
    """``{asset_id: payload}`` for quotable ``assets`` (see :func:`quote_read`); one fetch for all misses.

    Assets with no quote at all are simply absent (the batch endpoint lists them as unavailable).
    """
    return _quotes_read(assets=assets, refresh=refresh)[0]


def _quotes_read(*, assets, refresh):
    """``(found, reasons)``: payloads by asset id, and each failed ticker's provider reasons."""
    assets = [a for a in assets if is_quotable(a)]
    found = {} if refresh else {pk: quote_cache.decorate(p, cached=True) for pk, p in quote_cache.fetch(assets).items()}
    missing = [a for a in assets if a.pk not in found]
    if not missing:
        return found, {}
    now = timezone.now()
    rows = {q.asset_id: q for q in Quote.objects.filter(asset__in=missing)}
    to_fetch = []
    for asset in missing:
        row = rows.get(asset.pk)
        if row is not None and not refresh and now < markets.fresh_until(asset.market, row.fetched_at):
            payload = quote_cache.quote_payload(row, asset)
            quote_cache.store([payload], now=now)
            found[asset.pk] = quote_cache.decorate(payload, cached=False, now=now)
        elif not asset.delisted:
            to_fetch.append(asset)
        elif row is not None:
            found[asset.pk] = quote_cache.decorate(quote_cache.quote_payload(row, asset), cached=False, now=now)
    reasons = {}
    if to_fetch:
        locked = [a for a in to_fetch if quote_cache.lock(f"fetch:{a.pk}")]
        try:
            if locked:
                reasons = quotes_refresh(assets=locked).reasons
        finally:
            quote_cache.unlock([f"fetch:{a.pk}" for a in locked])
        now = timezone.now()
        for row in Quote.objects.filter(asset__in=to_fetch).select_related("asset"):
            found[row.asset_id] = quote_cache.decorate(quote_cache.quote_payload(row, row.asset), cached=False, now=now)
    pending = set(
        PriceAnomaly.objects.filter(asset__in=assets, status=AnomalyStatus.PENDING).values_list("asset_id", flat=True)
    )
    for pk, payload in found.items():
        payload["anomaly_pending"] = pk in pending
    held = _("variação anômala retida para revisão de um operador")
    for asset in assets:
        if asset.pk not in found and asset.pk in pending and not reasons.get(asset.ticker):
            reasons[asset.ticker] = [held]
    return found, reasons


# --- FX and indicators -------------------------------------------------------------


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


# --- History backfill ----------------------------------------------------------------


@dataclass
class BackfillItem:
    ticker: str
    market: str
    ok: bool
    inserted: int = 0
    anomalies: int = 0
    source: str = ""
    message: str = ""


def backfill_plan(*, assets, days):
    """``[(asset, start, end, missing_dates)]``: the trading days without a bar in the window."""
    plan = []
    ids = [a.pk for a in assets]
    today = timezone.now()
    windows = {}
    for asset in assets:
        end = markets.last_completed_session(asset.market, today)
        if asset.delisted and asset.delisted_at:
            end = min(end, asset.delisted_at)
        windows[asset.pk] = (end - timedelta(days=days), end)
    earliest = min((w[0] for w in windows.values()), default=today.date())
    existing = {}
    for asset_id, day in PriceBar.objects.filter(asset_id__in=ids, date__gte=earliest).values_list("asset_id", "date"):
        existing.setdefault(asset_id, set()).add(day)
    for asset in assets:
        start, end = windows[asset.pk]
        have = existing.get(asset.pk, set())
        missing = [d for d in markets.trading_days_between(asset.market, start, end) if d not in have]
        plan.append((asset, start, end, missing))
    return plan


def prices_backfill(*, assets, days=None, on_progress=None, chain=None) -> dict:
    """Fill the gaps of each asset's daily history over the last ``days``; idempotent.

    Only dates with no stored bar are written (a second run asks no provider for an asset
    without gaps). Suspicious jumps are held as anomalies. ``on_progress(item)`` is called
    after each asset with a :class:`BackfillItem`.
    """
    days = days or settings.QUOTES_BACKFILL_DAYS
    assets = [a for a in assets if is_quotable(a)]
    summary = {"assets": len(assets), "ok": 0, "failed": 0, "inserted": 0, "anomalies": 0, "failures": {}}
    requests, held = [], {}
    for asset, start, end, missing in backfill_plan(assets=assets, days=days):
        if not missing:
            _report(summary, on_progress, BackfillItem(asset.ticker, asset.market, ok=True, message=_("já completo")))
            continue
        requests.append((instrument_for(asset), min(missing), end))
        held[(asset.ticker, asset.market)] = (asset, start)
    if not requests:
        return summary
    own_chain = chain is None
    chain = chain or Chain()
    try:
        for instrument, answer in chain.histories(requests):
            asset, start = held[instrument.key]
            with transaction.atomic():
                attempts_save(answer.attempts)
                item = _store_history(asset, start, answer)
            _report(summary, on_progress, item)
    finally:
        if own_chain:
            chain.close()
    return summary


def _report(summary, on_progress, item):
    summary["ok" if item.ok else "failed"] += 1
    summary["inserted"] += item.inserted
    summary["anomalies"] += item.anomalies
    if not item.ok:
        summary["failures"][item.ticker] = item.message
    if on_progress:
        on_progress(item)


def bar_row(asset, bar, source) -> PriceBar:
    """An unsaved ``PriceBar`` from a provider's :class:`~quotes.providers.base.Bar`."""
    return PriceBar(
        asset=asset,
        date=bar.date,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        adjusted_close=bar.adjusted_close,
        volume=bar.volume,
        source=source,
    )


def _store_history(asset, start, answer):
    if not answer.points:
        reasons = "; ".join(answer.reasons) or _("nenhum provedor tem histórico")
        return BackfillItem(asset.ticker, asset.market, ok=False, message=reasons)
    have = dict(PriceBar.objects.filter(asset=asset, date__gte=start - timedelta(days=10)).values_list("date", "close"))
    new = [bar for bar in answer.points if bar.date not in have and bar.date >= start]
    accepted, anomalies = _screen_bars(asset, new, have, answer.source)
    PriceBar.objects.bulk_create(
        [bar_row(asset, bar, answer.source) for bar in accepted], ignore_conflicts=True, batch_size=1000
    )
    message = _("%(n)d registros inseridos (%(source)s)") % {"n": len(accepted), "source": answer.source}
    return BackfillItem(
        asset.ticker,
        asset.market,
        ok=True,
        inserted=len(accepted),
        anomalies=anomalies,
        source=answer.source,
        message=message,
    )


def _screen_bars(asset, new, have, source):
    """Hold new bars that jump ≥ threshold against the previous close with no event nearby."""
    if not new:
        return [], 0
    closes = dict(have)
    closes.update({bar.date: bar.close for bar in new})
    ordered = sorted(closes)
    previous = {day: (ordered[i - 1], closes[ordered[i - 1]]) for i, day in enumerate(ordered) if i > 0}
    suspects = {}
    for bar in new:
        if bar.date in previous:
            ref_day, ref_close = previous[bar.date]
            change = _change(ref_close, bar.close)
            if abs(change) >= _threshold():
                suspects[bar.date] = (ref_day, ref_close, change)
    if not suspects:
        return new, 0
    now = timezone.now()
    cleared_days = set()
    for day in suspects:
        if asset in _explained_moves({asset: day}, kind=AnomalyKind.BAR):
            cleared_days.add(day)
    accepted, held = [], 0
    for bar in new:
        if bar.date in suspects and bar.date not in cleared_days:
            ref_day, ref_close, change = suspects[bar.date]
            payload = {
                "open": _opt(bar.open),
                "high": _opt(bar.high),
                "low": _opt(bar.low),
                "adjusted_close": _opt(bar.adjusted_close),
                "volume": bar.volume,
            }
            _hold(asset, AnomalyKind.BAR, bar.date, ref_close, ref_day, bar.close, change, source, payload, now)
            held += 1
        else:
            accepted.append(bar)
    return accepted, held


def _opt(value):
    return None if value is None else f"{value:f}"


# --- Anomalies -----------------------------------------------------------------------


def anomaly_approve(*, anomaly, actor, meta=NO_REQUEST) -> PriceAnomaly:
    """Accept a held price: write it (quote or daily bar) and record who decided."""
    return _review(anomaly, AnomalyStatus.APPROVED, actor=actor, meta=meta, apply=_apply_held_price)


def anomaly_reject(*, anomaly, actor, notes="", meta=NO_REQUEST) -> PriceAnomaly:
    """Discard a held price; the stored data stays as it was."""
    return _review(anomaly, AnomalyStatus.REJECTED, actor=actor, meta=meta, notes=notes)


def _review(anomaly, status, *, actor, meta, apply=None, notes=""):
    """Move a pending anomaly to ``status`` once (concurrent clicks: the row lock decides), audited."""
    with transaction.atomic():
        anomaly = PriceAnomaly.objects.select_for_update().select_related("asset").get(pk=anomaly.pk)
        if anomaly.status != AnomalyStatus.PENDING:
            raise ValidationError(_("Esta anomalia já foi revisada."))
        if apply is not None:
            apply(anomaly)
        anomaly.status = status
        anomaly.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        anomaly.reviewed_at = timezone.now()
        anomaly.notes = notes or anomaly.notes
        anomaly.save(update_fields=["status", "reviewed_by", "reviewed_at", "notes"])
        audit_record(
            actor=actor,
            action="quotes.anomaly_approve" if status == AnomalyStatus.APPROVED else "quotes.anomaly_reject",
            target=anomaly,
            changes={"status": [AnomalyStatus.PENDING, status]},
            meta=meta,
        )
    return anomaly


def _apply_held_price(anomaly):
    data = anomaly.payload or {}
    if anomaly.kind == AnomalyKind.BAR:
        PriceBar.objects.update_or_create(
            asset=anomaly.asset,
            date=anomaly.date,
            defaults={
                "close": anomaly.price,
                "open": _dec(data.get("open")),
                "high": _dec(data.get("high")),
                "low": _dec(data.get("low")),
                "adjusted_close": _dec(data.get("adjusted_close")),
                "volume": data.get("volume"),
                "source": anomaly.source,
            },
        )
    else:
        _apply_held_quote(anomaly, data)


def _apply_held_quote(anomaly, data):
    from datetime import datetime

    market_time = datetime.fromisoformat(data["market_time"]) if data.get("market_time") else timezone.now()
    existing = Quote.objects.filter(asset=anomaly.asset).first()
    if existing is not None and existing.market_time > market_time:
        return  # a newer quote has been stored since; keep it
    now = timezone.now()
    row, _created = Quote.objects.update_or_create(
        asset=anomaly.asset,
        defaults={
            "price": anomaly.price,
            "previous_close": _dec(data.get("previous_close")),
            "change": _dec(data.get("change")),
            "change_percent": _dec(data.get("change_percent")),
            "volume": data.get("volume"),
            "currency": data.get("currency") or anomaly.asset.currency,
            "source": anomaly.source,
            "market_time": market_time,
            "fetched_at": now,
        },
    )
    payload = quote_cache.quote_payload(row, anomaly.asset)
    transaction.on_commit(lambda: _after_store([payload], now))


def _dec(value):
    return None if value in (None, "") else Decimal(str(value))


# --- Maintenance -----------------------------------------------------------------------


def attempts_cleanup(*, days=None) -> int:
    """Delete provider attempts older than ``days`` (default ``QUOTES_ATTEMPT_RETENTION_DAYS``)."""
    days = settings.QUOTES_ATTEMPT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _detail = ProviderAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def provider_set_enabled(*, name, enabled, actor, meta=NO_REQUEST) -> Provider:
    with transaction.atomic():
        row, _created = Provider.objects.get_or_create(name=name)
        if row.enabled != enabled:
            audit_record(
                actor=actor,
                action="quotes.provider_enabled",
                target=row,
                changes={"enabled": [row.enabled, enabled]},
                meta=meta,
            )
            row.enabled = enabled
            row.save(update_fields=["enabled", "updated_at"])
    return row


def provider_reset_circuit(*, name, actor, meta=NO_REQUEST) -> None:
    row, _created = Provider.objects.get_or_create(name=name)
    circuit.reset(name)
    audit_record(actor=actor, action="quotes.circuit_reset", target=row, meta=meta)


def providers_ensure() -> list:
    """One ``Provider`` row per configured adapter (so the admin lists them all)."""
    names = sorted(set(settings.QUOTES_PROVIDERS))
    existing = set(Provider.objects.filter(name__in=names).values_list("name", flat=True))
    Provider.objects.bulk_create([Provider(name=n) for n in names if n not in existing], ignore_conflicts=True)
    return names


# Defaults of the macro table (an operator edits them in the admin). Sources in docs/quotes.md.
DEFAULT_MACRO = {
    Market.BR: {
        "risk_free_rate": Decimal("15.00"),
        "cost_of_capital": Decimal("16.50"),
        "growth_rate": Decimal("5.00"),
        "terminal_growth_rate": Decimal("4.00"),
        "bazin_yield": Decimal("6.00"),
        "fii_cap_rate": Decimal("9.00"),
        "dcf_years": 5,
        "notes": "Selic meta ~15% a.a.; k = Selic + prêmio; g nominal de longo prazo. Revise periodicamente.",
    },
    Market.US: {
        "risk_free_rate": Decimal("4.25"),
        "cost_of_capital": Decimal("9.00"),
        "growth_rate": Decimal("4.00"),
        "terminal_growth_rate": Decimal("2.50"),
        "bazin_yield": Decimal("4.00"),
        "fii_cap_rate": Decimal("6.00"),
        "dcf_years": 5,
        "notes": "Treasury 10 anos ~4,25%; prêmio de risco ~4,75%. Revise periodicamente.",
    },
    Market.EU: {
        "risk_free_rate": Decimal("2.75"),
        "cost_of_capital": Decimal("8.00"),
        "growth_rate": Decimal("3.00"),
        "terminal_growth_rate": Decimal("2.00"),
        "bazin_yield": Decimal("4.00"),
        "fii_cap_rate": Decimal("5.50"),
        "dcf_years": 5,
        "notes": "Bund 10 anos ~2,75%. Revise periodicamente.",
    },
}


def macro_ensure_defaults() -> int:
    """Create the default macro parameters of each market that has none (never overwrites)."""
    created = 0
    for market, values in DEFAULT_MACRO.items():
        _row, was_created = MacroParameters.objects.get_or_create(market=market, defaults=values)
        created += was_created
    return created


# --- Lookup and registration -------------------------------------------------------------


def assets_lookup(*, query, chain=None) -> list:
    """Search the providers for ``query``; each result says whether it is already registered."""
    query = (query or "").strip()
    if len(query) < 2:
        raise ValidationError({"q": [_("Informe pelo menos 2 caracteres.")]})
    own_chain = chain is None
    chain = chain or Chain()
    try:
        found, attempts = chain.lookup(query[:40])
    finally:
        if own_chain:
            chain.close()
    attempts_save(attempts)
    registered = {
        (t, m): pk
        for pk, t, m in Asset.objects.filter(ticker__in={f.ticker for f in found}).values_list("pk", "ticker", "market")
    }
    results = [
        {
            "ticker": f.ticker,
            "market": f.market,
            "name": f.name,
            "asset_type": f.asset_type,
            "asset_class": DEFAULT_CLASS_BY_TYPE.get(AssetType(f.asset_type), "")
            if f.asset_type in AssetType.values
            else "",
            "currency": f.currency,
            "exchange": f.exchange,
            "source": f.source,
            "registered": (f.ticker, f.market) in registered,
            "asset_id": registered.get((f.ticker, f.market)),
        }
        for f in found
        if f.market in Market.values
    ]
    return sorted(results, key=lambda r: (r["registered"], r["ticker"] != query.upper(), r["ticker"]))


def asset_register(*, ticker, market=None, actor, meta=NO_REQUEST, chain=None, **overrides) -> Asset:
    """Create an ``Asset`` from a provider lookup result (type and market inferred, ``overrides`` win).

    The symbol must be known to a provider. A quote refresh and a history backfill for the new
    asset are queued after the commit.
    """
    ticker = (ticker or "").strip().upper()
    if not ticker:
        raise ValidationError({"ticker": [_("Informe o ticker.")]})
    results = [
        r
        for r in assets_lookup(query=ticker, chain=chain)
        if r["ticker"] == ticker and (not market or r["market"] == market)
    ]
    if not results:
        raise ValidationError({"ticker": [_("Símbolo %(ticker)s não encontrado nos provedores.") % {"ticker": ticker}]})
    base = results[0]
    if base["registered"]:
        raise ValidationError({"ticker": [_("%(ticker)s já está cadastrado.") % {"ticker": ticker}]})
    values = {
        "name": base["name"][:200],
        "asset_type": base["asset_type"],
        "currency": base["currency"] or CURRENCY_BY_MARKET.get(base["market"], "USD"),
    }
    values.update({k: v for k, v in overrides.items() if v not in (None, "")})
    if values["asset_type"] not in AssetType.values:
        raise ValidationError({"asset_type": [_("Tipo de ativo inválido.")]})
    asset = Asset(ticker=ticker, market=base["market"], **values)
    if not asset.asset_class:
        asset.asset_class = DEFAULT_CLASS_BY_TYPE[AssetType(asset.asset_type)]
    asset.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            asset.save()
            audit_record(
                actor=actor,
                action="quotes.asset_register",
                target=asset,
                changes={
                    "ticker": [None, asset.ticker],
                    "market": [None, asset.market],
                    "source": [None, base["source"]],
                },
                meta=meta,
            )
            transaction.on_commit(lambda: _queue_new_asset(asset))
    except IntegrityError as exc:
        raise ValidationError({"ticker": [_("%(ticker)s já está cadastrado.") % {"ticker": ticker}]}) from exc
    return asset


def _queue_new_asset(asset):
    from .tasks import backfill_prices, refresh_quotes

    refresh_quotes.delay(tickers=[f"{asset.ticker}:{asset.market}"])
    backfill_prices.delay(tickers=[f"{asset.ticker}:{asset.market}"])


# --- Watchlist ------------------------------------------------------------------------


def watchlist_add(*, owner, asset) -> WatchlistItem:
    item, _created = WatchlistItem.objects.get_or_create(owner=owner, asset=asset)
    return item


def watchlist_remove(*, item) -> None:
    item.delete()

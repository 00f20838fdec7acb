"""Reads of market data used by the rest of the project (valuation, dashboard, analytics)."""

from datetime import date as date_type
from decimal import Decimal

from portfolio.models import Asset
from portfolio.selectors import held_asset_ids

from .models import FxRate, PriceBar, Quote

ONE = Decimal("1")


def latest_quotes(*, asset_ids):
    """``{asset_id: Quote}`` for the given assets (those without a quote are absent)."""
    return {q.asset_id: q for q in Quote.objects.filter(asset_id__in=list(asset_ids))}


def fx_rate_on(*, currency: str, on: date_type | None = None, to: str = "BRL") -> Decimal | None:
    """Rate to convert one unit of ``currency`` into ``to`` on ``on`` (or the latest known).

    Uses the last rate published on or before that date (weekends and holidays carry the
    previous business day's rate). ``None`` when no rate is known at all.
    """
    currency, to = currency.upper(), to.upper()
    if currency == to:
        return ONE
    direct = FxRate.objects.filter(pair=f"{currency}-{to}")
    if on is not None:
        direct = direct.filter(date__lte=on)
    row = direct.order_by("-date").values_list("rate", flat=True).first()
    if row is not None:
        return row
    inverse = FxRate.objects.filter(pair=f"{to}-{currency}")
    if on is not None:
        inverse = inverse.filter(date__lte=on)
    row = inverse.order_by("-date").values_list("rate", flat=True).first()
    return (ONE / row) if row else None


def latest_fx_rates(*, currencies, to: str = "BRL"):
    """``{currency: rate}`` with the most recent rate of each currency into ``to`` (missing → absent)."""
    rates = {}
    for currency in {c.upper() for c in currencies}:
        rate = fx_rate_on(currency=currency, to=to)
        if rate is not None:
            rates[currency] = rate
    return rates


# --- Assets by ticker -----------------------------------------------------------------

# When a bare ticker exists in several markets, this order decides (``?market=`` overrides).
MARKET_PRIORITY = ["BR", "US", "GLOBAL", "EU", "ASIA"]


def asset_by_ticker(*, ticker: str, market: str | None = None):
    """The asset with ``ticker`` (in ``market``, or the first by :data:`MARKET_PRIORITY`), or ``None``."""
    candidates = Asset.objects.filter(ticker=ticker.strip().upper())
    if market:
        candidates = candidates.filter(market=market.upper())
    found = {a.market: a for a in candidates}
    for name in MARKET_PRIORITY:
        if name in found:
            return found[name]
    return next(iter(found.values()), None)


def assets_by_tickers(*, tokens):
    """Resolve ``["PETR4", "AAPL:US"]`` → ``(assets, unknown_tokens)``; ``TICKER:MARKET`` pins a market."""
    wanted = []
    for token in tokens:
        token = token.strip().upper()
        if token:
            ticker, _sep, market = token.partition(":")
            wanted.append((token, ticker, market))
    rows = Asset.objects.filter(ticker__in={t for _tok, t, _m in wanted})
    by_ticker = {}
    for asset in rows:
        by_ticker.setdefault(asset.ticker, {})[asset.market] = asset
    assets, unknown, seen = [], [], set()
    for token, ticker, market in wanted:
        options = by_ticker.get(ticker, {})
        asset = options.get(market) if market else next((options[m] for m in MARKET_PRIORITY if m in options), None)
        if asset is None and not market and options:
            asset = next(iter(options.values()))
        if asset is None:
            unknown.append(token)
        elif asset.pk not in seen:
            seen.add(asset.pk)
            assets.append(asset)
    return assets, unknown


def assets_to_update(*, tickers=None, include_delisted=False):
    """Assets a refresh or backfill works on → ``(assets, unknown_tokens)``.

    With ``tickers``: those (delisted ones only with ``include_delisted``). Without: every asset
    someone holds or follows in a watchlist, plus — with ``include_delisted`` — delisted assets
    that were ever in a position.
    """
    from .choices import quotable_q
    from .models import WatchlistItem

    if tickers:
        assets, unknown = assets_by_tickers(tokens=tickers)
        return [a for a in assets if include_delisted or not a.delisted], unknown
    wanted = held_asset_ids() | set(WatchlistItem.objects.values_list("asset_id", flat=True).distinct())
    rows = Asset.objects.filter(quotable_q(), pk__in=wanted, delisted=False)
    assets = list(rows)
    if include_delisted:
        assets += list(Asset.objects.filter(quotable_q(), delisted=True, positions__isnull=False).distinct())
    return assets, []


# --- Price history ------------------------------------------------------------------------


def price_history(*, asset_id, start=None, end=None):
    """Daily bars of an asset, oldest first."""
    bars = PriceBar.objects.filter(asset_id=asset_id)
    if start:
        bars = bars.filter(date__gte=start)
    if end:
        bars = bars.filter(date__lte=end)
    return bars.order_by("date")


def close_on(*, asset_id, on: date_type):
    """Close of the last bar on or before ``on`` (gaps carry the previous close), or ``None``."""
    return (
        PriceBar.objects.filter(asset_id=asset_id, date__lte=on)
        .order_by("-date")
        .values_list("close", flat=True)
        .first()
    )


def closes_on(*, asset_ids, on: date_type) -> dict:
    """``{asset_id: close}`` of the last bar on or before ``on`` for each asset (valuation at a date)."""
    from django.db.models import OuterRef, Subquery

    last = PriceBar.objects.filter(asset=OuterRef("pk"), date__lte=on).order_by("-date").values("close")[:1]
    rows = Asset.objects.filter(pk__in=list(asset_ids)).annotate(close=Subquery(last)).values_list("pk", "close")
    return {pk: close for pk, close in rows if close is not None}


def recent_closes(*, asset_ids, limit: int = 252, since: date_type | None = None) -> dict:
    """``{asset_id: [close, ...]}`` oldest → newest, at most ``limit`` per asset (adjusted close when known)."""
    from datetime import timedelta

    from django.utils import timezone

    since = since or timezone.localdate() - timedelta(days=int(limit * 1.6) + 30)
    closes = {}
    rows = (
        PriceBar.objects.filter(asset_id__in=list(asset_ids), date__gte=since)
        .order_by("asset_id", "date")
        .values_list("asset_id", "close", "adjusted_close")
    )
    for asset_id, close, adjusted in rows:
        closes.setdefault(asset_id, []).append(adjusted or close)
    return {asset_id: values[-limit:] for asset_id, values in closes.items()}


# --- FX ----------------------------------------------------------------------------------


def fx_rate_row_on(*, pair: str, on: date_type | None = None):
    """``(rate, rate_date, source)`` for ``pair`` on ``on`` (last published on or before), inverse if needed."""
    pair = pair.upper()
    base, _sep, quote = pair.partition("-")
    if base == quote:
        return ONE, on, "identidade"
    for name, invert in ((pair, False), (f"{quote}-{base}", True)):
        rows = FxRate.objects.filter(pair=name)
        if on is not None:
            rows = rows.filter(date__lte=on)
        row = rows.order_by("-date").values_list("rate", "date", "source").first()
        if row is not None:
            rate, day, source = row
            return ((ONE / rate) if invert else rate), day, source
    return None


# --- Signals inputs -------------------------------------------------------------------------


def macro_for(*, market: str):
    from .models import MacroParameters

    return MacroParameters.objects.filter(market=market).first()


def watchlist_asset_ids(*, owner) -> set:
    from .models import WatchlistItem

    return set(WatchlistItem.objects.filter(owner=owner).values_list("asset_id", flat=True))


def watchlist_items(*, owner):
    from .models import WatchlistItem

    return WatchlistItem.objects.filter(owner=owner).select_related("asset")


# --- Live updates --------------------------------------------------------------------------


def quote_updates_since(*, asset_ids, since, limit: int = 500):
    """Quotes of ``asset_ids`` fetched after ``since`` (a datetime or ``None`` for all), oldest first."""
    rows = Quote.objects.filter(asset_id__in=list(asset_ids)).select_related("asset")
    if since is not None:
        rows = rows.filter(fetched_at__gt=since)
    return list(rows.order_by("fetched_at", "asset_id")[:limit])


# --- Provider status ---------------------------------------------------------------------


def provider_status(*, name: str, now=None) -> dict:
    """Circuit, rate-limit use and the last problems of one provider (admin, health)."""
    from datetime import timedelta

    from django.utils import timezone

    from . import circuit, ratelimit
    from .choices import FAILED_OUTCOMES, Outcome
    from .models import ProviderAttempt

    now = now or timezone.now()
    recent = ProviderAttempt.objects.filter(provider=name, created_at__gte=now - timedelta(hours=1))
    last_error = (
        ProviderAttempt.objects.filter(provider=name, outcome__in=FAILED_OUTCOMES)
        .order_by("-created_at")
        .values("created_at", "outcome", "detail")
        .first()
    )
    last_ok = (
        ProviderAttempt.objects.filter(provider=name, outcome__in=(Outcome.OK, Outcome.PARTIAL))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "circuit": circuit.status(name),
        "rate_limit": ratelimit.usage(name),
        "last_error": last_error,
        "last_success_at": last_ok,
        "calls_last_hour": recent.exclude(outcome__startswith="skipped").count(),
        "failures_last_hour": recent.filter(outcome__in=FAILED_OUTCOMES).count(),
    }


# --- Buy signals ----------------------------------------------------------------------------


def _fmt(value, places="0.01"):
    return None if value is None else f"{Decimal(value).quantize(Decimal(places)):f}"


def asset_signals(*, asset, quote=None, closes=None, macro_row=None, now=None) -> dict:
    """Ceiling prices, margins, z-score, dividend yield and buy score of one asset (no provider calls).

    ``quote``/``closes``/``macro_row`` may be passed in (the ranking loads them in bulk).
    """
    from django.utils import timezone

    from . import buy_signals, markets

    if quote is None:
        quote = Quote.objects.filter(asset=asset).first()
    if closes is None:
        closes = recent_closes(asset_ids=[asset.pk]).get(asset.pk, [])
    if macro_row is None:
        macro_row = macro_for(market=asset.market)
    macro = (
        buy_signals.Macro(
            cost_of_capital=macro_row.cost_of_capital,
            growth_rate=macro_row.growth_rate,
            terminal_growth_rate=macro_row.terminal_growth_rate,
            bazin_yield=macro_row.bazin_yield,
            fii_cap_rate=macro_row.fii_cap_rate,
            dcf_years=macro_row.dcf_years,
        )
        if macro_row
        else None
    )
    fundamentals = buy_signals.Fundamentals(
        asset_type=asset.asset_type,
        dps=asset.dps,
        eps=asset.eps,
        bvps=asset.bvps,
        fcf_per_share=asset.fcf_per_share,
        ffo_per_share=asset.ffo_per_share,
        affo_per_share=asset.affo_per_share,
        dividend_yield=asset.dividend_yield,
        beta=asset.beta,
    )
    price = quote.price if quote else None
    methods = buy_signals.ceilings(fundamentals, macro, market=asset.market)
    consolidated = buy_signals.consolidated_ceiling([m.value for m in methods])
    margin = buy_signals.margin_of_safety(ceiling=consolidated, price=price)
    reasons = {}
    if price is None:
        reasons["margin"] = "sem cotação armazenada"
    elif consolidated is None:
        reasons["margin"] = "nenhum preço-teto calculável"
    z_payload = None
    try:
        z = buy_signals.zscore(closes, price=price)
        z_payload = {
            "value": _fmt(z.value, "0.0001"),
            "closes": z.closes,
            "mean": _fmt(z.mean, "0.0001"),
            "stdev": _fmt(z.stdev, "0.0001"),
            "error": None,
        }
        z_value = z.value
    except buy_signals.InsufficientHistory as exc:
        z_value = None
        reasons["zscore"] = str(exc)
        z_payload = {"value": None, "closes": len(closes), "mean": None, "stdev": None, "error": str(exc)}
    dy, dy_basis = buy_signals.dividend_yield(dps=asset.dps, price=price, registered=asset.dividend_yield)
    if dy is None:
        reasons["dividend_yield"] = "sem DPA nem DY cadastrado"
    if asset.beta is None:
        reasons["beta"] = "beta não cadastrado"
    score = buy_signals.buy_score(margin=margin, z=z_value, dividend_yield_pct=dy, beta=asset.beta, reasons=reasons)
    now = now or timezone.now()
    return {
        "ticker": asset.ticker,
        "market": asset.market,
        "name": asset.name,
        "asset_type": asset.asset_type,
        "currency": asset.currency,
        "price": _fmt(price, "0.00000001") if price is not None else None,
        "price_source": quote.source if quote else None,
        "price_time": quote.market_time.isoformat() if quote else None,
        "price_stale": (now >= markets.fresh_until(asset.market, quote.fetched_at)) if quote else None,
        "fundamentals_as_of": asset.fundamentals_as_of.isoformat() if asset.fundamentals_as_of else None,
        "ceilings": [
            {
                "method": m.method,
                "value": _fmt(m.value),
                "margin": _fmt(buy_signals.margin_of_safety(ceiling=m.value, price=price)) if m.value else None,
                "formula": m.formula,
                "omitted_reason": m.reason or None,
            }
            for m in methods
        ],
        "ceiling": _fmt(consolidated),
        "margin_of_safety": _fmt(margin),
        "zscore": z_payload,
        "dividend_yield": _fmt(dy),
        "dividend_yield_basis": dy_basis or None,
        "beta": _fmt(asset.beta, "0.0001"),
        "score": _fmt(score.score, "0.1"),
        "band": score.band,
        "components": {
            name: {
                "value": _fmt(c["value"], "0.0001"),
                "subscore": _fmt(c["subscore"], "0.1"),
                "weight": int(c["weight"]),
            }
            for name, c in score.components.items()
        },
        "omitted": score.omitted,
        "macro": (
            {
                "market": macro_row.market,
                "risk_free_rate": _fmt(macro_row.risk_free_rate, "0.0001"),
                "cost_of_capital": _fmt(macro_row.cost_of_capital, "0.0001"),
                "growth_rate": _fmt(macro_row.growth_rate, "0.0001"),
                "terminal_growth_rate": _fmt(macro_row.terminal_growth_rate, "0.0001"),
                "bazin_yield": _fmt(macro_row.bazin_yield, "0.0001"),
                "fii_cap_rate": _fmt(macro_row.fii_cap_rate, "0.0001"),
                "dcf_years": macro_row.dcf_years,
            }
            if macro_row
            else None
        ),
    }


def signals_ranking(*, assets, limit: int = 10) -> list:
    """Buy signals of ``assets`` (bulk-loaded), best score first; assets without a score last."""
    from .models import MacroParameters

    assets = list(assets)
    ids = [a.pk for a in assets]
    quotes = latest_quotes(asset_ids=ids)
    closes = recent_closes(asset_ids=ids)
    macros = {m.market: m for m in MacroParameters.objects.all()}
    rows = [
        asset_signals(asset=a, quote=quotes.get(a.pk), closes=closes.get(a.pk, []), macro_row=macros.get(a.market))
        for a in assets
    ]
    rows.sort(key=lambda r: (r["score"] is None, -Decimal(r["score"] or 0), r["ticker"]))
    return rows[:limit]


def held_quote_freshness(*, now=None) -> dict:
    """For the admin home: of the assets someone holds, how many quotes are current, stale or
    missing (current per ``markets.fresh_until``: market hours, weekends, holidays), and the oldest."""
    from django.utils import timezone

    from . import markets

    now = now or timezone.now()
    held = held_asset_ids()
    quotes = list(Quote.objects.filter(asset_id__in=held).select_related("asset").only("fetched_at", "asset__market"))
    stale = [q for q in quotes if now >= markets.fresh_until(q.asset.market, q.fetched_at)]
    return {
        "held": len(held),
        "fresh": len(quotes) - len(stale),
        "stale": len(stale),
        "missing": len(held) - len(quotes),
        "oldest": min((q.fetched_at for q in quotes), default=None),
    }

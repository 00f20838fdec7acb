"""Lookup and registration: search the providers for a symbol, register it as an asset."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record
from exitus.queueing import after_commit, publish
from portfolio.choices import CURRENCY_BY_MARKET, DEFAULT_CLASS_BY_TYPE, AssetType, Market
from portfolio.models import Asset
from portfolio.services import asset_create

from ..chain import Chain
from .common import attempts_save


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
    with transaction.atomic():
        asset = asset_create(data={"ticker": ticker, "market": base["market"], **values})
        audit_record(
            actor=actor,
            action="quotes.asset.register",
            target=asset,
            changes={
                "ticker": [None, asset.ticker],
                "market": [None, asset.market],
                "source": [None, base["source"]],
            },
            meta=meta,
        )
        _queue_new_asset(asset)
    return asset


def _queue_new_asset(asset):
    """Its first quote and history; if the broker is down, the scheduled refresh and backfill jobs
    pick the asset up (``refresh_quotes`` covers held assets, ``backfill_prices`` missing history)."""
    from ..tasks import backfill_prices, refresh_quotes

    tickers = [f"{asset.ticker}:{asset.market}"]
    after_commit(lambda: publish(refresh_quotes, tickers=tickers) & publish(backfill_prices, tickers=tickers))

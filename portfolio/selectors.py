"""Reads on portfolio data. Other apps use these instead of querying portfolio models directly.

Market data (quotes, FX) is read only through ``portfolio.market_data``.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from . import invalidation, ledger, market_data
from .choices import AssetClass, AssetType, CashKind, Market
from .models import CashMovement, DividendReceipt, Portfolio, Position, PositionEntry

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def held_asset_ids():
    """Ids of assets someone currently holds (quantity > 0): what the quote refresh must keep fresh."""
    return set(Position.objects.filter(quantity__gt=0).values_list("asset_id", flat=True).distinct())


def held_asset_ids_for(*, owner):
    """Ids of the assets one user currently holds (their live-price stream)."""
    return set(Position.objects.filter(owner=owner, quantity__gt=0).values_list("asset_id", flat=True).distinct())


# --- positions -----------------------------------------------------------------------------


def position_list():
    return Position.objects.select_related("asset", "broker", "portfolio")


ASSET_VALUES = (
    "asset_id",
    "asset__ticker",
    "asset__name",
    "asset__asset_type",
    "asset__asset_class",
    "asset__market",
    "asset__currency",
)


def consolidated_positions(positions):
    """One row per asset over ``positions`` (a queryset): summed quantity, cost and realized P&L."""
    return (
        positions.values(*ASSET_VALUES)
        .annotate(
            quantity=Sum("quantity"),
            cost_basis=Sum("cost_basis"),
            cost_basis_brl=Sum("cost_basis_brl"),
            realized_pnl=Sum("realized_pnl"),
            realized_pnl_brl=Sum("realized_pnl_brl"),
        )
        .order_by("asset__ticker")
    )


def quantity_held_at(*, position_ids, moment):
    """``{position_id: quantity}`` at ``moment`` (point in time, from the ledger), one query."""
    last = (
        PositionEntry.objects.filter(position=OuterRef("pk"), at__lt=moment)
        .order_by("-at", "-order", "-ref_id")
        .values("quantity")[:1]
    )
    rows = Position.objects.filter(pk__in=list(position_ids)).annotate(held=Subquery(last)).values_list("pk", "held")
    return {pk: held or ZERO for pk, held in rows}


# --- cash ----------------------------------------------------------------------------------


def cash_balances(*, owner_id, broker_id=None, portfolio_id=None, before=None):
    """``[{"broker_id", "currency", "balance"}]``: each broker's cash per currency (transfers counted at both ends).

    ``before``: only movements dated strictly before that moment (a balance as of a date).
    """
    scope = Q(owner_id=owner_id)
    if portfolio_id is not None:
        scope &= Q(portfolio_id=portfolio_id)
    if before is not None:
        scope &= Q(date__lt=before)
    own = CashMovement.objects.filter(scope)
    incoming = CashMovement.objects.filter(scope, kind=CashKind.TRANSFERENCIA, destination_broker__isnull=False)
    if broker_id is not None:
        own, incoming = own.filter(broker_id=broker_id), incoming.filter(destination_broker_id=broker_id)
    totals = defaultdict(lambda: ZERO)
    for row in own.values("broker_id", "currency").annotate(total=Sum("amount")).order_by():
        totals[(row["broker_id"], row["currency"])] += row["total"]
    for row in incoming.values("destination_broker_id", "currency").annotate(total=Sum("amount")).order_by():
        totals[(row["destination_broker_id"], row["currency"])] -= row["total"]
    return [
        {"broker_id": broker, "currency": currency, "balance": ledger.money(total)}
        for (broker, currency), total in sorted(totals.items())
    ]


# --- dashboard -----------------------------------------------------------------------------


def _fmt(value: Decimal | None, places: str = "0.01") -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal(places)))


def _pct(part: Decimal, whole: Decimal) -> str:
    return _fmt(part * HUNDRED / whole) if whole else "0.00"


def dashboard(*, owner_id, portfolio: Portfolio | None = None, top: int = 10, use_cache: bool = True) -> dict:
    """The investor's dashboard, in BRL: cached per owner/portfolio and invalidated by every write.

    One cache round trip: the entry is stored with the data versions it was computed under and
    read together with the current versions; a mismatch recomputes. Cached for at most
    ``PORTFOLIO_DASHBOARD_CACHE_SECONDS`` (quotes change outside this app).
    """
    ttl = settings.PORTFOLIO_DASHBOARD_CACHE_SECONDS
    if not use_cache or ttl <= 0:
        return compute_dashboard(owner_id=owner_id, portfolio=portfolio, top=top)
    key = f"portfolio:dash:{owner_id}:{portfolio.pk if portfolio else 'all'}:{top}"
    version_keys = invalidation.version_keys(owner_id)
    found = cache.get_many([*version_keys, key])
    versions = [found.get(k, "0") for k in version_keys]
    entry = found.get(key)
    if entry is not None and entry["versions"] == versions:
        return entry["data"]
    data = compute_dashboard(owner_id=owner_id, portfolio=portfolio, top=top)
    cache.set(key, {"versions": versions, "data": data}, ttl)
    return data


def compute_dashboard(*, owner_id, portfolio: Portfolio | None = None, top: int = 10) -> dict:
    now = timezone.now()
    positions = Position.objects.filter(owner_id=owner_id)
    if portfolio is not None:
        positions = positions.filter(portfolio=portfolio)
    rows = list(
        positions.values(*ASSET_VALUES, "asset__delisted", "broker_id", "broker__name")
        .annotate(
            qty=Sum("quantity"),
            cost=Sum("cost_basis"),
            cost_brl=Sum("cost_basis_brl"),
            realized_brl=Sum("realized_pnl_brl"),
        )
        .order_by()
    )
    open_rows = [r for r in rows if r["qty"] > 0]
    quotes = market_data.latest_quotes(asset_ids={r["asset_id"] for r in open_rows})
    currencies = {r["asset__currency"] for r in open_rows} | {q.currency for q in quotes.values()}
    receipts = DividendReceipt.objects.filter(
        owner_id=owner_id,
        paid=True,
        dividend__payment_date__gt=timezone.localdate() - timedelta(days=365),
        dividend__payment_date__lte=timezone.localdate(),
    )
    if portfolio is not None:
        receipts = receipts.filter(position__portfolio=portfolio)
    # Like positions, at the latest FX (the receipt keeps the payment day's rate for taxes).
    dividend_rows = list(receipts.values("dividend__currency").annotate(total=Sum("net_amount")).order_by())
    currencies |= {row["dividend__currency"] for row in dividend_rows}
    fx = {"BRL": Decimal("1"), **market_data.latest_fx_rates(currencies=currencies - {"BRL"})}

    buckets = {
        name: defaultdict(lambda: ZERO) for name in ("asset_class", "asset_type", "market", "currency", "broker")
    }
    labels = {"broker": {}}
    by_asset: dict = {}
    total_value = total_cost = ZERO
    realized = sum((r["realized_brl"] for r in rows), ZERO)
    unpriced, missing_fx, stamps = [], set(), []
    for r in open_rows:
        quote = quotes.get(r["asset_id"])
        if quote is not None:
            currency, value = quote.currency, r["qty"] * quote.price
            stamps.append(quote.market_time)
        else:
            currency, value = r["asset__currency"], r["cost"]
        rate = fx.get(currency)
        if rate is None:
            missing_fx.add(currency)
            value_brl = r["cost_brl"]
        else:
            value_brl = ledger.money(value * rate)
        total_value += value_brl
        total_cost += r["cost_brl"]
        buckets["asset_class"][r["asset__asset_class"]] += value_brl
        buckets["asset_type"][r["asset__asset_type"]] += value_brl
        buckets["market"][r["asset__market"]] += value_brl
        buckets["currency"][r["asset__currency"]] += value_brl
        buckets["broker"][r["broker_id"]] += value_brl
        labels["broker"][r["broker_id"]] = r["broker__name"]
        item = by_asset.setdefault(
            r["asset_id"],
            {
                "asset_id": r["asset_id"],
                "ticker": r["asset__ticker"],
                "name": r["asset__name"],
                "asset_type": r["asset__asset_type"],
                "asset_class": r["asset__asset_class"],
                "currency": r["asset__currency"],
                "quantity": ZERO,
                "cost": ZERO,
                "cost_brl": ZERO,
                "value_brl": ZERO,
                "price": quote.price if quote else None,
                "priced": quote is not None,
                "delisted": r["asset__delisted"],
                "quote_time": quote.market_time if quote else None,
            },
        )
        item["quantity"] += r["qty"]
        item["cost"] += r["cost"]
        item["cost_brl"] += r["cost_brl"]
        item["value_brl"] += value_brl
        if quote is None and r["asset__ticker"] not in unpriced:
            unpriced.append(r["asset__ticker"])

    dividends_12m = ZERO
    for row in dividend_rows:
        rate = fx.get(row["dividend__currency"])
        if rate is None:
            missing_fx.add(row["dividend__currency"])
        dividends_12m += ledger.money(row["total"] * (rate or ZERO))

    top_items = sorted(by_asset.values(), key=lambda i: (-i["value_brl"], i["ticker"]))[:top]
    unrealized = total_value - total_cost
    result = {
        "scope": {"owner": owner_id, "portfolio": portfolio.pk if portfolio else None},
        "currency": "BRL",
        "generated_at": now.isoformat(),
        "totals": {
            "market_value": _fmt(total_value),
            "cost": _fmt(total_cost),
            "unrealized_pnl": _fmt(unrealized),
            "unrealized_pnl_pct": _pct(unrealized, total_cost),
            "realized_pnl": _fmt(ledger.money(realized)),
            "dividends_12m": _fmt(dividends_12m),
            "positions": len(open_rows),
            "assets": len(by_asset),
        },
        "allocation": {
            "by_class": _allocation(buckets["asset_class"], total_value, dict(AssetClass.choices)),
            "by_type": _allocation(buckets["asset_type"], total_value, dict(AssetType.choices)),
            "by_market": _allocation(buckets["market"], total_value, dict(Market.choices)),
            "by_currency": _allocation(buckets["currency"], total_value, {}),
            "by_broker": _allocation(buckets["broker"], total_value, labels["broker"]),
        },
        "top_positions": [_top_item(item, total_value, now) for item in top_items],
        "quotes": {
            "priced": len(open_rows) - sum(1 for r in open_rows if r["asset_id"] not in quotes),
            "unpriced": len(unpriced),
            "unpriced_tickers": sorted(unpriced),
            "oldest": min(stamps).isoformat() if stamps else None,
            "newest": max(stamps).isoformat() if stamps else None,
            "oldest_age_seconds": int((now - min(stamps)).total_seconds()) if stamps else None,
            "newest_age_seconds": int((now - max(stamps)).total_seconds()) if stamps else None,
        },
        "fx": {currency: str(rate.normalize()) for currency, rate in sorted(fx.items()) if currency != "BRL"},
        "missing_fx": sorted(missing_fx),
        "target_allocation": _target(portfolio, buckets["asset_class"], total_value) if portfolio else [],
    }
    return result


def _allocation(bucket: dict, total: Decimal, names: dict) -> list:
    return [
        {"key": str(key), "label": str(names.get(key, key)), "value": _fmt(value), "weight": _pct(value, total)}
        for key, value in sorted(bucket.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ]


def _top_item(item: dict, total: Decimal, now) -> dict:
    quantity = item["quantity"]
    return {
        "asset_id": item["asset_id"],
        "ticker": item["ticker"],
        "name": item["name"],
        "asset_type": item["asset_type"],
        "asset_class": item["asset_class"],
        "currency": item["currency"],
        "quantity": str(quantity.normalize()),
        "average_cost": _fmt(item["cost"] / quantity, "0.00000001") if quantity else "0",
        "price": _fmt(item["price"], "0.00000001"),
        "market_value": _fmt(item["value_brl"]),
        "cost": _fmt(item["cost_brl"]),
        "unrealized_pnl": _fmt(item["value_brl"] - item["cost_brl"]),
        "weight": _pct(item["value_brl"], total),
        "priced": item["priced"],
        "delisted": item["delisted"],
        "quote_age_seconds": int((now - item["quote_time"]).total_seconds()) if item["quote_time"] else None,
    }


def _target(portfolio: Portfolio, by_class: dict, total: Decimal) -> list:
    target = portfolio.target_allocation or {}
    keys = sorted(set(target) | {str(k) for k in by_class})
    rows = []
    for key in keys:
        wanted = Decimal(str(target.get(key, 0)))
        actual = by_class.get(key, ZERO) * HUNDRED / total if total else ZERO
        rows.append(
            {
                "key": key,
                "label": str(dict(AssetClass.choices).get(key, key)),
                "target_pct": _fmt(wanted),
                "actual_pct": _fmt(actual),
                "difference_pct": _fmt(actual - wanted),
            }
        )
    return rows


def console_totals() -> dict:
    """The admin home's investment figures: portfolios, investors and open positions, and their
    cost in BRL (what was paid; market value needs quotes and lives in each dashboard)."""
    from django.db.models import Count

    open_positions = Position.objects.filter(quantity__gt=0)
    figures = open_positions.aggregate(
        positions=Count("pk"), investors=Count("owner", distinct=True), cost_brl=Sum("cost_basis_brl")
    )
    return {
        "portfolios": Portfolio.objects.count(),
        "investors": figures["investors"],
        "positions": figures["positions"],
        "cost_brl": figures["cost_brl"] if figures["positions"] else ZERO,
    }

"""Demo investment data for ``manage.py seed_demo`` (after ``accounts.demo`` created the users).

Everything comes from ``fixtures/portfolio/*.json`` and goes through the services, so positions,
dividend receipts and cash are derived exactly as in real use. Idempotent: what exists is kept
(trades are recognised by their ``demo:<id>`` import hash, events and dividends by their natural
keys), so a second run creates nothing.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.models import User

from . import services
from .models import Asset, Broker, CashMovement, CorporateEvent, Dividend, Portfolio, Transaction

DECIMAL_FIELDS = {f.name for f in Asset._meta.concrete_fields if f.get_internal_type() == "DecimalField"}
DATE_FIELDS = {f.name for f in Asset._meta.concrete_fields if f.get_internal_type() == "DateField"}
MONEY_FIELDS = ("brokerage_fee", "settlement_fee", "emoluments", "other_costs", "withheld_tax")


def _fixture(name):
    return json.loads((settings.FIXTURES_DIR / "portfolio" / name).read_text(encoding="utf-8"))


def _moment(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def _ratio(text: str) -> tuple[Decimal, Decimal]:
    left, right = text.split(":")
    return Decimal(left), Decimal(right)


def load(*, stdout=None) -> dict:
    counts = dict.fromkeys(("brokers", "assets", "portfolios", "transactions", "events", "dividends", "cash"), 0)
    users = {u.username: u for u in User.objects.all()}

    brokers = {b.name: b for b in Broker.objects.all()}
    for row in _fixture("brokers.json"):
        if row["name"] not in brokers:
            brokers[row["name"]] = services.broker_save(data=row)
            counts["brokers"] += 1

    assets = {(a.ticker, a.market): a for a in Asset.objects.all()}
    for row in _fixture("assets.json"):
        key = (row["ticker"], row["market"])
        if key in assets:
            continue
        data = {
            name: Decimal(value)
            if name in DECIMAL_FIELDS
            else date.fromisoformat(value)
            if name in DATE_FIELDS
            else value
            for name, value in row.items()
        }
        assets[key] = services.asset_save(data=data)
        counts["assets"] += 1
    by_ticker = {ticker: asset for (ticker, _market), asset in assets.items()}

    portfolios = {}
    for row in _fixture("portfolios.json"):
        owner = users.get(row["owner"])
        if owner is None:
            continue
        portfolio = Portfolio.objects.filter(owner=owner, name=row["name"]).first()
        if portfolio is None:
            data = {k: v for k, v in row.items() if k != "owner"}
            portfolio = services.portfolio_save(owner=owner, data=data)
            counts["portfolios"] += 1
        portfolios[(row["owner"], row["name"])] = portfolio

    done = set(Transaction.objects.filter(import_hash__startswith="demo:").values_list("import_hash", flat=True))
    for row in sorted(_fixture("transactions.json"), key=lambda r: r["date"]):
        portfolio = portfolios.get((row["owner"], row["portfolio"]))
        if portfolio is None or f"demo:{row['id']}" in done:
            continue
        services.transaction_create(
            data=services.TradeInput(
                portfolio=portfolio,
                broker=brokers[row["broker"]],
                asset=by_ticker[row["ticker"]],
                kind=row["kind"],
                trade_date=_moment(row["date"]),
                quantity=Decimal(row["quantity"]),
                unit_price=Decimal(row["unit_price"]),
                currency=row.get("currency", ""),
                fx_rate=Decimal(row["fx_rate"]) if "fx_rate" in row else None,
                notes=row.get("notes", ""),
                import_hash=f"demo:{row['id']}",
                source_file="fixtures/portfolio/transactions.json",
                **{name: Decimal(row.get(name, "0")) for name in MONEY_FIELDS},
            )
        )
        counts["transactions"] += 1

    for row in _fixture("events.json"):
        asset = by_ticker[row["ticker"]]
        event_date = date.fromisoformat(row["event_date"])
        if CorporateEvent.objects.filter(asset=asset, kind=row["kind"], event_date=event_date).exists():
            continue
        extra = {}
        if "ratio" in row:
            extra["ratio_from"], extra["ratio_to"] = _ratio(row["ratio"])
        if "assigned_cost" in row:
            extra["assigned_cost"] = Decimal(row["assigned_cost"])
        if "new_ticker" in row:
            extra["new_asset"] = by_ticker[row["new_ticker"]]
        if "data_com" in row:
            extra["data_com"] = date.fromisoformat(row["data_com"])
        services.event_create(asset=asset, kind=row["kind"], event_date=event_date, notes=row.get("notes", ""), **extra)
        counts["events"] += 1

    for row in _fixture("dividends.json"):
        asset = by_ticker[row["ticker"]]
        data = {
            "asset": asset,
            "kind": row["kind"],
            "value_per_share": Decimal(row["value_per_share"]),
            "data_com": date.fromisoformat(row["data_com"]),
        }
        if Dividend.objects.filter(**data).exists():
            continue
        services.dividend_create(
            **data,
            payment_date=date.fromisoformat(row["payment_date"]) if row.get("payment_date") else None,
            withholding_rate=Decimal(row.get("withholding_rate", "0")),
        )
        counts["dividends"] += 1

    for row in _fixture("cash.json"):
        owner = users.get(row["owner"])
        if owner is None:
            continue
        description = row.get("description") or "Aporte (demo)"
        moment = _moment(row["date"])
        broker = brokers[row["broker"]]
        if CashMovement.objects.filter(
            owner=owner, broker=broker, kind=row["kind"], date=moment, description=description
        ).exists():
            continue
        services.cash_movement_create(
            owner=owner,
            broker=broker,
            destination_broker=brokers.get(row.get("destination_broker")),
            portfolio=portfolios.get((row["owner"], row["portfolio"])),
            kind=row["kind"],
            amount=Decimal(row["amount"]),
            currency=row.get("currency", ""),
            date=moment,
            description=description,
        )
        counts["cash"] += 1
    return counts

"""Reads of the desk: the income calendar.

**Income calendar** — built from the dividend receipts the ledger already keeps for every announced
provento (``portfolio.services.dividends``): one per position that holds the asset at the end of
the data com, recomputed whenever a trade, an event or the provento changes. So:

- *to receive* (payment from today on, month by month for the next 12 months): a receipt whose data
  com has passed is **confirmado** (the quantity is fixed); one whose data com is still ahead is
  **previsto** with today's holdings (trading before the data com changes it);
- *paid vs expected* (the 12 months before today, by payment date): expected is every receipt due
  in the month, paid those credited to the cash (``paid``);
- amounts are **net**: JCP withheld at the rate recorded or the dated table's ``jcp_rate`` (as the
  receipt was computed), dividends with their recorded withholding;
- foreign receipts are converted at the receipt's own rate (the PTAX of the payment date; for a
  future payment the latest known rate, flagged ``fx_estimated``). A receipt without a known rate
  is **never converted at 1.0**: it is left out of the BRL totals and listed in ``missing_fx``.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from exitus.months import month_key

from ..models import DividendReceipt

ZERO = Decimal("0")
CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def income_calendar(*, owner_id, portfolio_id=None, today: date | None = None, months: int = 12) -> dict:
    """What the investor receives in the next ``months`` months and received in the last ``months``."""
    today = today or timezone.localdate()
    current = today.replace(day=1)
    past_start, horizon = add_months(current, -months), add_months(current, months)
    receipts = DividendReceipt.objects.filter(owner_id=owner_id).select_related(
        "dividend__asset", "position__portfolio", "position__broker"
    )
    if portfolio_id is not None:
        receipts = receipts.filter(position__portfolio_id=portfolio_id)
    window = receipts.filter(dividend__payment_date__gte=past_start, dividend__payment_date__lt=horizon)
    undated = receipts.filter(dividend__payment_date__isnull=True, dividend__data_com__gte=today)

    upcoming_months = {add_months(current, n): _bucket() for n in range(months)}
    past_months = {add_months(current, n): _past_bucket() for n in range(-months, 1)}
    by_asset: dict = {}
    by_portfolio: dict = {}
    events, missing = [], []
    for receipt in window.order_by("dividend__payment_date", "dividend__asset__ticker", "pk"):
        dividend = receipt.dividend
        month = dividend.payment_date.replace(day=1)
        brl = _brl(receipt)
        if brl is None:
            missing.append(_missing(receipt))
        if dividend.payment_date >= today:
            item = _event(receipt, brl, today)
            events.append(item)
            if brl is not None:
                _add(upcoming_months[month], item, brl)
                _add_keyed(
                    by_asset, dividend.asset_id, month, brl, ticker=dividend.asset.ticker, name=dividend.asset.name
                )
                portfolio = receipt.position.portfolio
                _add_keyed(by_portfolio, portfolio.pk, month, brl, name=portfolio.name)
        elif brl is not None:
            row = past_months[month]
            row["expected"] += brl["net"]
            row["count"] += 1
            if receipt.paid:
                row["paid"] += brl["net"]
    upcoming = [_month_row(month, row) for month, row in upcoming_months.items()]
    past = [
        {
            "month": month_key(month),
            "expected_brl": _money(row["expected"]),
            "paid_brl": _money(row["paid"]),
            "pending_brl": _money(row["expected"] - row["paid"]),
            "count": row["count"],
        }
        for month, row in past_months.items()
    ]
    return {
        "owner": owner_id,
        "portfolio": portfolio_id,
        "today": today,
        "currency": "BRL",
        "upcoming": {
            "since": today,
            "until": horizon - timedelta(days=1),
            "months": upcoming,
            "total_net_brl": _money(sum((r["net"] for r in upcoming_months.values()), ZERO)),
            "confirmed_brl": _money(sum((r["confirmed"] for r in upcoming_months.values()), ZERO)),
            "projected_brl": _money(sum((r["projected"] for r in upcoming_months.values()), ZERO)),
            "by_asset": _keyed_rows(by_asset, "asset_id"),
            "by_portfolio": _keyed_rows(by_portfolio, "portfolio_id"),
            "events": events,
            "undated": [_event(r, _brl(r), today) for r in undated.order_by("dividend__data_com", "pk")],
        },
        "past": {
            "since": past_start,
            "until": today - timedelta(days=1),
            "months": past,
            "expected_brl": _money(sum((r["expected"] for r in past_months.values()), ZERO)),
            "paid_brl": _money(sum((r["paid"] for r in past_months.values()), ZERO)),
        },
        "missing_fx": missing,
    }


def _bucket() -> dict:
    return {"gross": ZERO, "tax": ZERO, "net": ZERO, "confirmed": ZERO, "projected": ZERO, "count": 0}


def _past_bucket() -> dict:
    return {"expected": ZERO, "paid": ZERO, "count": 0}


def _brl(receipt) -> dict | None:
    rate = receipt.fx_rate if receipt.dividend.currency != "BRL" else Decimal(1)
    if rate is None:
        return None
    return {
        "gross": (receipt.gross_amount * rate).quantize(CENT, ROUND_HALF_UP),
        "tax": (receipt.tax_amount * rate).quantize(CENT, ROUND_HALF_UP),
        "net": (receipt.net_amount * rate).quantize(CENT, ROUND_HALF_UP),
    }


def _event(receipt, brl, today) -> dict:
    dividend = receipt.dividend
    foreign = dividend.currency != "BRL"
    return {
        "receipt_id": receipt.pk,
        "dividend_id": dividend.pk,
        "asset_id": dividend.asset_id,
        "ticker": dividend.asset.ticker,
        "kind": dividend.kind,
        "data_com": dividend.data_com,
        "payment_date": dividend.payment_date,
        "status": "confirmado" if dividend.data_com < today else "previsto",
        "portfolio_id": receipt.position.portfolio_id,
        "portfolio": receipt.position.portfolio.name,
        "broker": receipt.position.broker.name,
        "quantity": f"{receipt.quantity.normalize():f}",
        "value_per_share": f"{dividend.value_per_share.normalize():f}",
        "currency": dividend.currency,
        "gross": _money(receipt.gross_amount),
        "tax": _money(receipt.tax_amount),
        "tax_rate": f"{receipt.tax_rate.normalize():f}",
        "tax_rate_source": receipt.tax_rate_source,
        "net": _money(receipt.net_amount),
        "fx_rate": None if not foreign or receipt.fx_rate is None else f"{receipt.fx_rate.normalize():f}",
        "fx_estimated": foreign and receipt.fx_rate is not None and (dividend.payment_date or today) > today,
        "net_brl": None if brl is None else _money(brl["net"]),
    }


def _missing(receipt) -> dict:
    dividend = receipt.dividend
    return {
        "currency": dividend.currency,
        "ticker": dividend.asset.ticker,
        "payment_date": dividend.payment_date,
        "net": _money(receipt.net_amount),
        "reason": "sem câmbio conhecido: fora dos totais em BRL (nunca convertido por 1,0)",
    }


def _add(row: dict, item: dict, brl: dict) -> None:
    row["gross"] += brl["gross"]
    row["tax"] += brl["tax"]
    row["net"] += brl["net"]
    row["confirmed" if item["status"] == "confirmado" else "projected"] += brl["net"]
    row["count"] += 1


def _add_keyed(rows: dict, key, month: date, brl: dict, **labels) -> None:
    row = rows.setdefault(key, {**labels, "net": ZERO, "months": defaultdict(lambda: ZERO)})
    row["net"] += brl["net"]
    row["months"][month_key(month)] += brl["net"]


def _keyed_rows(rows: dict, name: str) -> list:
    out = []
    for key, row in sorted(rows.items(), key=lambda kv: (-kv[1]["net"], str(kv[0]))):
        labels = {k: v for k, v in row.items() if k not in ("net", "months")}
        months = {m: _money(v) for m, v in sorted(row["months"].items())}
        out.append({name: key, **labels, "net_brl": _money(row["net"]), "months": months})
    return out


def _month_row(month: date, row: dict) -> dict:
    return {
        "month": month_key(month),
        "gross_brl": _money(row["gross"]),
        "tax_brl": _money(row["tax"]),
        "net_brl": _money(row["net"]),
        "confirmed_brl": _money(row["confirmed"]),
        "projected_brl": _money(row["projected"]),
        "count": row["count"],
    }


def console_counts() -> dict:
    """What the admin home shows of the desk: runs with pending lines, alerts fired and armed,
    e-mails of notifications that failed (three counting queries)."""
    from django.db.models import Count, Q

    from .models import Alert, Notification, Reconciliation

    pending = Q(differences__gt=0) | Q(only_statement__gt=0) | Q(only_books__gt=0)
    alerts = Alert.objects.filter(active=True).aggregate(
        total=Count("pk"), triggered=Count("pk", filter=Q(triggered=True))
    )
    return {
        "reconciliations_pending": Reconciliation.objects.filter(pending).count(),
        "alerts": alerts["total"],
        "alerts_triggered": alerts["triggered"],
        "emails_failed": Notification.objects.filter(email_status="falhou").count(),
    }

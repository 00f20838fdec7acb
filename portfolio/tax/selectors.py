"""Reads that feed the tax engine, and the assessments the API and the admin show.

Everything is computed from the user's transactions, corporate events and dividend receipts
each time (cached under the portfolio invalidation versions, so a changed past trade changes
the figures at once); a month the user marked as filed keeps its filed figures and the
differences are listed next to the current ones.
"""

from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .. import market_data
from ..analytics.selectors import data_versions
from ..choices import CorporateEventKind
from ..models import Asset, Broker, CorporateEvent, DividendReceipt, Transaction
from . import engine
from .choices import Category, RuleKey
from .models import MonthlyAssessment, TaxRule
from .rules import RuleBook, RuleRow

CACHE_TTL = 6 * 3600
RULES_KEY = "tax:rules:v"
EVENT_KINDS = (
    CorporateEventKind.SPLIT,
    CorporateEventKind.GRUPAMENTO,
    CorporateEventKind.BONIFICACAO,
    CorporateEventKind.MUDANCA_TICKER,
)


def rules_version() -> str:
    return cache.get(RULES_KEY) or "0"


def rulebook() -> RuleBook:
    rows = TaxRule.objects.values_list("key", "value", "valid_from", "valid_to", "legal_basis")
    return RuleBook(RuleRow(*row) for row in rows)


def rules_in_force(*, on: date):
    """The table rows valid on ``on`` (one per key)."""
    book = rulebook()
    rows = []
    for key in RuleKey:
        row = book.find(key.value, on)
        if row is not None:
            rows.append({"key": key.value, "label": str(key.label), **row.__dict__})
    return rows


# --- loading a user's history ---------------------------------------------------------------


def _assets(ids) -> dict:
    rows = Asset.objects.filter(pk__in=ids).values_list(
        "pk", "ticker", "asset_type", "market", "currency", "name", "cnpj"
    )
    return {row[0]: engine.AssetInfo(*row) for row in rows}


def load_history(*, owner_id):
    """``(assets, trades, events, incomes)`` of one user, as the engine's records."""
    rows = (
        Transaction.objects.filter(owner_id=owner_id)
        .annotate(day=TruncDate("trade_date"))
        .order_by("trade_date", "pk")
        .values_list(
            "pk",
            "asset_id",
            "broker_id",
            "kind",
            "trade_date",
            "quantity",
            "gross_amount",
            "net_amount",
            "withheld_tax",
            "fx_rate",
            "day",
        )
    )
    trades = [
        engine.Trade(
            id=pk,
            asset_id=asset_id,
            broker_id=broker_id,
            kind=kind,
            at=at,
            day=day,
            quantity=qty,
            gross=gross,
            net=net,
            withheld_tax=withheld,
            fx_rate=fx,
        )
        for pk, asset_id, broker_id, kind, at, qty, gross, net, withheld, fx, day in rows
    ]
    asset_ids = {t.asset_id for t in trades}
    events = []
    seen = set()
    frontier = set(asset_ids)
    while frontier:  # follow ticker changes into their new assets
        found = list(CorporateEvent.objects.filter(asset_id__in=frontier, kind__in=EVENT_KINDS).select_related("asset"))
        frontier = set()
        for ev in found:
            if ev.pk in seen:
                continue
            seen.add(ev.pk)
            events.append(
                engine.Event(
                    id=ev.pk,
                    asset_id=ev.asset_id,
                    kind=ev.kind,
                    day=ev.event_date,
                    ratio_from=ev.ratio_from,
                    ratio_to=ev.ratio_to,
                    assigned_cost=ev.assigned_cost,
                    new_asset_id=ev.new_asset_id,
                    fx_rate=_event_fx(ev),
                )
            )
            if ev.new_asset_id and ev.new_asset_id not in asset_ids:
                asset_ids.add(ev.new_asset_id)
                frontier.add(ev.new_asset_id)
    receipts = (
        DividendReceipt.objects.filter(owner_id=owner_id, dividend__payment_date__isnull=False)
        .values_list(
            "dividend__asset_id",
            "dividend__kind",
            "dividend__payment_date",
            "gross_amount",
            "tax_amount",
            "net_amount",
            "fx_rate",
            "position__broker_id",
        )
        .order_by("dividend__payment_date", "pk")
    )
    incomes = [engine.Income(*row) for row in receipts]
    asset_ids |= {i.asset_id for i in incomes}
    return _assets(asset_ids), trades, sorted(events, key=lambda e: (e.day, e.id)), incomes


def _event_fx(ev) -> Decimal:
    if ev.asset.currency == "BRL":
        return Decimal("1")
    return market_data.fx_rate_on(currency=ev.asset.currency, on=ev.event_date) or Decimal("1")


# --- assessments --------------------------------------------------------------------------------


def _cache_key(owner_id, what) -> str:
    global_v, owner_v = data_versions(owner_id)
    return f"tax:{what}:{owner_id}:{global_v}:{owner_v}:{rules_version()}:{timezone.localdate():%Y%m%d}"


def _cached(owner_id, what: str, compute):
    """Cache a computed payload under the data versions (the history itself is never cached: too big)."""
    key = _cache_key(owner_id, what)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_TTL)
    return found


def user_computation(*, owner_id, until: date, checkpoints=()):
    """``(history, replay result, months up to until, rulebook)``: the whole history, replayed."""
    rules = rulebook()
    history = load_history(owner_id=owner_id)
    assets, trades, events, _incomes = history
    result = engine.replay(assets=assets, trades=trades, events=events, checkpoints=checkpoints)
    months = engine.assess_months(result.sales, rules, until=engine.first_of_month(until))
    return history, result, months, rules


class _Lazy:
    """Computes ``func()`` on first use only (the Selic table is needed only for late DARFs)."""

    def __init__(self, func):
        self.func = func
        self.value = None

    def __call__(self):
        if self.value is None:
            self.value = self.func()
        return self.value


def selic_monthly() -> dict:
    """``{month: Selic accumulated in the month (%)}`` from the daily Selic series (compounded)."""
    factors: dict = {}
    for day, value in market_data.indicator_series(series="SELIC"):
        month = engine.first_of_month(day)
        factors[month] = factors.get(month, Decimal(1)) * (1 + value / 100)
    return {m: ((f - 1) * 100).quantize(Decimal("0.0001")) for m, f in factors.items()}


def _sale_rows(sales, assets, brokers) -> list:
    return [
        {
            "date": s.day,
            "ticker": assets[s.asset_id].ticker,
            "asset_id": s.asset_id,
            "broker": brokers.get(s.broker_id, ""),
            "category": s.category,
            "day_trade": s.day_trade,
            "quantity": s.quantity,
            "sale_value": s.gross,
            "net_value": s.net,
            "cost": s.cost,
            "result": s.result,
        }
        for s in sales
    ]


def _broker_names(ids) -> dict:
    return dict(Broker.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _month_core(owner_id, month: date) -> dict:
    (assets, _t, _e, _i), result, months, rules = user_computation(owner_id=owner_id, until=month)
    row = next((m for m in months if m["month"] == month), None)
    if row is None:
        row, _carry = engine.assess_month(month, [], rules, engine.Carry())
    sales = [s for s in result.sales if s.month == month and s.category in (*engine.MONTHLY_CATEGORIES, "cripto")]
    brokers = _broker_names([s.broker_id for s in sales])
    payload = {**row, "operations": _sale_rows(sales, assets, brokers)}
    for note in payload["irrf"]["notes"]:
        note["broker"] = brokers.get(note["broker_id"], "")
    return payload


def monthly_assessment(*, owner, month: date, today: date | None = None) -> dict:
    """The assessment of ``month`` (first day) with operations, DARF status and filed differences."""
    today = today or timezone.localdate()
    payload = _cached(owner.pk, f"month:{month:%Y%m}", lambda: _month_core(owner.pk, month))
    stored = MonthlyAssessment.objects.filter(owner=owner, month=month).first()
    payload["filing"] = filing_status(stored, payload)
    payload["darf"]["status"] = _darf_status(payload["darf"], stored, today, rulebook(), _Lazy(selic_monthly))
    return payload


def _darf_status(darf: dict, stored, today, rules, selic) -> dict:
    paid_on = stored.paid_on if stored else None
    if darf["amount"] <= 0:
        return {"state": "sem_darf" if not darf["residual_out"] else "acumulado", "late": None}
    if paid_on:
        state = "pago"
        late_on = paid_on
    else:
        state = "em_aberto" if today <= darf["due_date"] else "vencido"
        late_on = today
    late = None
    if late_on > darf["due_date"]:
        late = engine.late_payment(
            amount=darf["amount"], due=darf["due_date"], paid_on=late_on, rules=rules, selic_monthly=selic()
        )
    return {"state": state, "paid_on": paid_on, "late": late}


COMPARED = (
    ("tax_due", ("tax_due",)),
    ("darf", ("darf", "amount")),
    ("crypto_darf", ("crypto", "darf", "amount")),
    ("common_result", ("baskets", "common", "result")),
    ("day_trade_result", ("baskets", "day_trade", "result")),
    ("fii_result", ("baskets", "fii", "result")),
    ("acoes_sales", ("exemption", "acoes_sales")),
    ("irrf", ("irrf", "used")),
)


def _dig(data, path):
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def differences(filed: dict, current: dict) -> list:
    """Fields whose filed value differs from the current computation (both JSON-able)."""
    from .jsonable import to_json

    filed_json, current_json = to_json(filed), to_json(current)
    out = []
    for name, path in COMPARED:
        before, now = _dig(filed_json, path), _dig(current_json, path)
        if before != now:
            out.append({"field": name, "filed": before, "current": now})
    return out


def filing_status(stored, payload) -> dict:
    if stored is None or not stored.is_filed:
        return {"filed": False, "filed_at": None, "paid_on": stored.paid_on if stored else None, "differences": []}
    return {
        "filed": True,
        "filed_at": stored.filed_at,
        "paid_on": stored.paid_on,
        "filed_values": stored.filed_data,
        "differences": differences(stored.filed_data, payload),
    }


def darf_year(*, owner, year: int, today: date | None = None) -> list:
    """The DARFs (6015 and 4600) of every month of ``year`` with due dates and status."""
    today = today or timezone.localdate()
    until = date(year, 12, 1)
    months = _cached(owner.pk, f"months:{year}", lambda: user_computation(owner_id=owner.pk, until=until)[2])
    rules = rulebook()
    selic = _Lazy(selic_monthly)
    stored = {a.month: a for a in MonthlyAssessment.objects.filter(owner=owner, month__year=year)}
    rows = []
    for row in months:
        if row["month"].year != year:
            continue
        for code, darf in (("6015", row["darf"]), ("4600", row["crypto"]["darf"])):
            status = _darf_status(darf, stored.get(row["month"]), today, rules, selic)
            rows.append(
                {
                    "month": row["month"],
                    "code": code,
                    "tax": row["tax_after_irrf"] if code == "6015" else row["crypto"]["tax"],
                    "residual_in": darf["residual_in"],
                    "amount": darf["amount"],
                    "residual_out": darf["residual_out"],
                    "due_date": darf["due_date"],
                    "filed": bool(stored.get(row["month"]) and stored[row["month"]].is_filed),
                    **status,
                }
            )
    return rows


def annual_report(*, owner, year: int) -> dict:
    """The DIRPF figures of ``year``: bens e direitos, income, monthly results, foreign regime."""
    return _cached(owner.pk, f"annual:{year}", lambda: _annual_report(owner=owner, year=year))


def _annual_report(*, owner, year: int) -> dict:
    from . import dirpf

    end, previous_end = date(year, 12, 31), date(year - 1, 12, 31)
    history, result, months, rules = user_computation(
        owner_id=owner.pk, until=date(year, 12, 1), checkpoints=(previous_end, end)
    )
    assets, _trades, _events, incomes = history
    brokers = {b["pk"]: b for b in Broker.objects.values("pk", "name", "cnpj", "country")}
    bens = dirpf.bens_e_direitos(
        assets=assets,
        brokers=brokers,
        now=result.checkpoints.get(end, {}),
        before=result.checkpoints.get(previous_end, {}),
    )
    year_months = [m for m in months if m["month"].year == year]
    domestic = engine.incomes_of_year(year=year, incomes=incomes, assets=assets, rules=rules)
    foreign = _foreign_years(result.sales, engine.foreign_incomes(incomes, assets), rules, year)
    return dirpf.report(
        year=year,
        owner=owner,
        assets=assets,
        brokers=brokers,
        bens=bens,
        months=year_months,
        domestic=domestic,
        foreign=foreign,
        sales=[s for s in result.sales if s.day.year == year],
    )


def _foreign_years(sales, incomes, rules, year) -> dict:
    """Chain the foreign regime's losses from the first year it applies up to ``year``."""
    years = sorted({s.day.year for s in sales if s.category == Category.EXTERIOR} | {i.day.year for i in incomes})
    loss = Decimal(0)
    row = None
    for y in [*(y for y in years if y < year), year]:
        row = engine.assess_foreign_year(year=y, sales=sales, incomes=incomes, rules=rules, loss_in=loss)
        loss = row["loss_out"]
    return row


def assessments_for_admin(*, owner_id=None):
    rows = MonthlyAssessment.objects.select_related("owner", "filed_by")
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    return rows


def owners_with_sales(*, month: date):
    """Users who sold something in ``month`` (the monthly task refreshes their stored assessment)."""
    end = engine.next_month(month)
    return (
        Transaction.objects.filter(
            Q(kind="venda") | Q(kind="amortizacao"),
            trade_date__date__gte=month,
            trade_date__date__lt=end,
        )
        .values_list("owner_id", flat=True)
        .distinct()
    )


def darfs_due_between(first: date, last: date) -> dict:
    """DARFs (6015 and crypto 4600) due from ``first`` to ``last`` and not yet filed: how many, how much."""
    from django.db.models import Count, F, Sum

    due = MonthlyAssessment.objects.filter(due_date__gte=first, due_date__lte=last, filed_at__isnull=True).filter(
        Q(darf_amount__gt=0) | Q(crypto_darf_amount__gt=0)
    )
    figures = due.aggregate(count=Count("pk"), amount=Sum(F("darf_amount") + F("crypto_darf_amount")))
    return {"count": figures["count"], "amount": figures["amount"] if figures["count"] else Decimal("0")}

"""Reconciliation: the books against B3's position statement and against the brokers' cash.

Positions: every institution × asset of the statement is compared with the ledger's quantity at
the end of ``as_of`` at that broker (all of the investor's portfolios, or one). Each line is a
match, a difference, or an asset on one side only, with the likely cause when it can be named —
in this order: an asset or institution we do not know; trades of the last two trading days (not
yet settled at B3, D+2); a ticker change (one asset only in the books, another only in the
statement, same broker and quantity); a custody transfer (the same asset short at one broker and
over at another by the same quantity); a corporate event (the statement is the books times a clean
ratio: a split, a grupamento, a bonificação of a whole percentage with its fraction auctioned); and
otherwise a trade that was not recorded (a purchase or an opening balance when B3 has more, a sale
or a transfer out when it has less).

Cash: a broker's balance typed or imported as of a date against the balance derived from the cash
movements up to the end of that day; causes: trades not yet settled, a provento the broker already
credited, otherwise a movement not recorded.

A run is keyed by its content: the same file (or the same typed balances) for the same date updates
the same run, and writes nothing at all when the result is unchanged.
"""

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_deleted, audit_record
from exitus import calendars

from ...choices import Market
from ...dates import dividend_cutoff, out_of_range, start_of_day
from ...importers.reading import normalise
from ...importers.registry import BrokerMatcher
from ...models import Asset, Broker, CashMovement, DividendReceipt, Position, Transaction
from ...selectors import cash_balances, quantity_held_at
from .. import statements
from ..choices import LikelyCause, LineStatus, ReconciliationKind, ReconciliationSource
from ..models import Reconciliation, ReconciliationLine

ZERO = Decimal("0")
DATE_IN_NAME = (
    re.compile(r"(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})"),
    re.compile(r"(?P<d>\d{2})-(?P<m>\d{2})-(?P<y>20\d{2})"),
)
BONUS_PERCENTS = range(1, 101)


@dataclass
class Line:
    """A line being built (saved as a ``ReconciliationLine``)."""

    broker_id: int | None
    institution: str
    asset_id: int | None
    ticker: str
    product: str = ""
    currency: str = ""
    statement: Decimal | None = None
    books: Decimal | None = None
    status: str = ""
    cause: str = ""
    cause_detail: str = ""

    @property
    def difference(self) -> Decimal:
        return (self.statement or ZERO) - (self.books or ZERO)

    def values(self) -> tuple:
        return (
            self.broker_id,
            self.institution,
            self.asset_id,
            self.ticker,
            self.product,
            self.currency,
            _plain(self.statement),
            _plain(self.books),
            _plain(self.difference),
            self.status,
            self.cause,
            self.cause_detail,
        )


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def as_of_from_name(file_name: str) -> date | None:
    """The date in a B3 file name ("posicao-2025-03-31-10-15-00.xlsx") when there is one."""
    for pattern in DATE_IN_NAME:
        found = pattern.search(file_name or "")
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


def _check_as_of(as_of) -> date:
    if as_of is None:
        raise ValidationError({"as_of": [_("Informe a data do extrato (não encontrada no nome do arquivo).")]})
    if out_of_range(as_of):
        raise ValidationError({"as_of": [_("Data fora do intervalo aceito (1900–2199).")]})
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("A data do extrato não pode estar no futuro.")]})
    return as_of


def _check_portfolio(owner, portfolio) -> None:
    if portfolio is not None and portfolio.owner_id != owner.pk:
        raise ValidationError({"portfolio": [_("Carteira não encontrada.")]})


# --- the books -----------------------------------------------------------------------------


def books_positions(*, owner_id, as_of: date, portfolio_id=None) -> dict:
    """``{(broker_id, asset_id): quantity}`` held at the end of ``as_of`` (all portfolios, or one)."""
    positions = Position.objects.filter(owner_id=owner_id)
    if portfolio_id is not None:
        positions = positions.filter(portfolio_id=portfolio_id)
    rows = list(positions.values_list("pk", "broker_id", "asset_id"))
    held = quantity_held_at(position_ids=[pk for pk, _b, _a in rows], moment=dividend_cutoff(as_of)) if rows else {}
    totals: dict = defaultdict(lambda: ZERO)
    for pk, broker_id, asset_id in rows:
        quantity = held.get(pk) or ZERO
        if quantity:
            totals[(broker_id, asset_id)] += quantity
    return dict(totals)


def settlement_window(as_of: date) -> tuple[date, date]:
    """The trading days whose trades B3 has not settled by the end of ``as_of`` (D+2)."""
    last = as_of if calendars.is_b3_trading_day(as_of) else calendars.previous_trading_day(as_of)
    return calendars.previous_trading_day(last), as_of


def _unsettled_quantities(owner_id, as_of, portfolio_id) -> dict:
    """``{(broker_id, asset_id): signed quantity}`` of the trades in the settlement window."""
    start, end = settlement_window(as_of)
    trades = Transaction.objects.filter(
        owner_id=owner_id, trade_date__gte=start_of_day(start), trade_date__lt=dividend_cutoff(end)
    )
    if portfolio_id is not None:
        trades = trades.filter(portfolio_id=portfolio_id)
    found: dict = defaultdict(lambda: ZERO)
    for row in trades.values("broker_id", "asset_id", "kind").annotate(total=Sum("quantity")).order_by():
        sign = -1 if row["kind"] == "venda" else 1
        if row["kind"] != "amortizacao":
            found[(row["broker_id"], row["asset_id"])] += sign * row["total"]
    return found


# --- positions ----------------------------------------------------------------------------


def compare_positions(*, statement: statements.Statement, books: dict, assets: dict, brokers: dict, unsettled: dict):
    """Lines of a positions run (pure: ``assets`` {id: Asset}, ``brokers`` {id: Broker} of the books).

    ``statement.holdings`` carry ``broker_id``/``asset_id`` (``None`` when unknown) set by the caller.
    """
    lines: dict[tuple, Line] = {}
    for holding in statement.holdings:
        broker_key = holding.broker_id if holding.broker_id is not None else f"?{normalise(holding.institution)}"
        asset_key = holding.asset_id if holding.asset_id is not None else f"?{holding.ticker}"
        line = lines.get((broker_key, asset_key))
        if line is None:
            line = lines[(broker_key, asset_key)] = Line(
                broker_id=holding.broker_id,
                institution=holding.institution[:200],
                asset_id=holding.asset_id,
                ticker=holding.ticker[:64],
                product=holding.product,
                statement=ZERO,
            )
        line.statement += holding.quantity
    for (broker_id, asset_id), quantity in books.items():
        line = lines.get((broker_id, asset_id))
        if line is None:
            broker, asset = brokers.get(broker_id), assets.get(asset_id)
            line = lines[(broker_id, asset_id)] = Line(
                broker_id=broker_id,
                institution=broker.name if broker else "",
                asset_id=asset_id,
                ticker=asset.ticker if asset else "",
                product=(asset.name if asset else "")[:200],
            )
        line.books = quantity
    result = sorted(lines.values(), key=lambda item: (item.institution, item.ticker))
    for line in result:
        line.status = _status(line.statement or ZERO, line.books or ZERO)
    _name_causes(result, unsettled)
    return result


def _status(statement: Decimal, books: Decimal) -> str:
    if statement == books:
        return LineStatus.MATCH
    if books == 0:
        return LineStatus.ONLY_STATEMENT
    if statement == 0:
        return LineStatus.ONLY_BOOKS
    return LineStatus.DIFFERENCE


def _name_causes(lines: list, unsettled: dict) -> None:
    open_lines = [line for line in lines if line.status != LineStatus.MATCH]
    for line in open_lines:
        if line.asset_id is None:
            line.cause = LikelyCause.UNKNOWN_ASSET
            line.cause_detail = _("%(t)s não está cadastrado: importe as operações dele ou cadastre o ativo.") % {
                "t": line.ticker
            }
        elif line.broker_id is None:
            line.cause = LikelyCause.UNKNOWN_BROKER
            line.cause_detail = _("Instituição “%(i)s” sem corretora correspondente no cadastro.") % {
                "i": line.institution
            }
        else:
            pending = unsettled.get((line.broker_id, line.asset_id), ZERO)
            if pending and -line.difference == pending:
                line.cause = LikelyCause.UNSETTLED
                line.cause_detail = _("Negócios dos dois últimos pregões (%(q)s) ainda não liquidados na B3.") % {
                    "q": _qty(pending)
                }
    candidates = [line for line in open_lines if not line.cause]
    _ticker_changes(candidates)
    _transfers([line for line in candidates if not line.cause])
    for line in candidates:
        if line.cause:
            continue
        if line.status == LineStatus.DIFFERENCE and _event_ratio(line):
            continue
        line.cause = LikelyCause.MISSING_TRADE
        if line.difference > 0:
            line.cause_detail = _("A B3 tem %(q)s a mais: compra, subscrição ou saldo inicial não registrado.") % {
                "q": _qty(line.difference)
            }
        else:
            line.cause_detail = _("A B3 tem %(q)s a menos: venda ou transferência de saída não registrada.") % {
                "q": _qty(-line.difference)
            }


def _ticker_changes(lines: list) -> None:
    only_books = [line for line in lines if line.status == LineStatus.ONLY_BOOKS]
    only_statement = {}
    for line in lines:
        if line.status == LineStatus.ONLY_STATEMENT:
            only_statement.setdefault((line.broker_id, line.statement), []).append(line)
    for old in only_books:
        found = only_statement.get((old.broker_id, old.books))
        if not found:
            continue
        new = found.pop(0)
        detail = _("%(old)s pode ter mudado para %(new)s (mesma quantidade na mesma corretora).") % {
            "old": old.ticker,
            "new": new.ticker,
        }
        for line in (old, new):
            line.cause, line.cause_detail = LikelyCause.TICKER_CHANGE, detail


def _transfers(lines: list) -> None:
    by_asset: dict = defaultdict(list)
    for line in lines:
        by_asset[line.asset_id].append(line)
    for group in by_asset.values():
        if len(group) < 2:
            continue
        for short in (line for line in group if line.difference < 0 and not line.cause):
            over = next(
                (
                    line
                    for line in group
                    if not line.cause and line is not short and line.difference == -short.difference
                ),
                None,
            )
            if over is None:
                continue
            detail = _("%(q)s de %(t)s saíram de %(a)s para %(b)s sem transferência de custódia registrada.") % {
                "q": _qty(over.difference),
                "t": short.ticker,
                "a": short.institution,
                "b": over.institution,
            }
            for line in (short, over):
                line.cause, line.cause_detail = LikelyCause.CUSTODY_TRANSFER, detail


def _event_ratio(line: Line) -> bool:
    """Name a split, grupamento or bonificação when the statement is the books times a clean ratio."""
    statement, books = line.statement, line.books
    detail = None
    if statement > books and statement % books == 0:
        detail = _("desdobramento 1:%(n)s") % {"n": statement // books}
    elif books > statement and books % statement == 0:
        detail = _("grupamento %(n)s:1") % {"n": books // statement}
    elif statement > books:
        for percent in BONUS_PERCENTS:
            if (books * (100 + percent) / 100).to_integral_value(rounding="ROUND_FLOOR") == statement:
                detail = _("bonificação de %(p)s%% (fração leiloada)") % {"p": percent}
                break
    if detail is None:
        return False
    line.cause = LikelyCause.CORPORATE_EVENT
    line.cause_detail = _("Quantidade da B3 = carteira × proporção limpa: %(d)s não registrado?") % {"d": detail}
    return True


def _resolve(statement: statements.Statement) -> None:
    """Set ``broker_id`` / ``asset_id`` on each holding (``None`` when unknown): no creation here."""
    matcher = BrokerMatcher()
    tickers = {holding.ticker for holding in statement.holdings}
    assets = {a.ticker: a.pk for a in Asset.objects.filter(market=Market.BR, ticker__in=tickers).only("pk", "ticker")}
    memo: dict = {}
    for holding in statement.holdings:
        if holding.institution not in memo:
            broker = matcher.find(holding.institution)
            memo[holding.institution] = broker.pk if broker is not None else None
        holding.broker_id = memo[holding.institution]
        holding.asset_id = assets.get(holding.ticker)


def _digest(*parts) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else str(part).encode())
        sha.update(b"\x00")
    return sha.hexdigest()


@transaction.atomic
def _store(*, owner, portfolio, kind, source, as_of, file_name, digest, lines, problems, actor, meta):
    """Create the run, or update it in place; nothing is written when its result did not change."""
    results = _digest(json.dumps([line.values() for line in lines]), json.dumps(problems, sort_keys=True))
    run = (
        Reconciliation.objects.select_for_update()
        .filter(owner=owner, portfolio=portfolio, kind=kind, as_of=as_of, digest=digest)
        .first()
    )
    counts = {
        "matches": sum(1 for line in lines if line.status == LineStatus.MATCH),
        "differences": sum(1 for line in lines if line.status == LineStatus.DIFFERENCE),
        "only_statement": sum(1 for line in lines if line.status == LineStatus.ONLY_STATEMENT),
        "only_books": sum(1 for line in lines if line.status == LineStatus.ONLY_BOOKS),
    }
    created = run is None
    if run is not None and run.results_digest == results:
        run.unchanged = True
        return run, False
    if created:
        run = Reconciliation(owner=owner, portfolio=portfolio, kind=kind, source=source, as_of=as_of, digest=digest)
        run.created_by = actor if getattr(actor, "is_authenticated", False) else None
    else:
        run.lines.all().delete()
        run.runs += 1
    before = {name: getattr(run, name) for name in counts} if not created else {}
    run.file_name = (file_name or "")[:255]
    run.results_digest = results
    run.problems = problems
    run.last_run_at = timezone.now()
    for name, value in counts.items():
        setattr(run, name, value)
    run.save()
    ReconciliationLine.objects.bulk_create(
        [
            ReconciliationLine(
                reconciliation=run,
                broker_id=line.broker_id,
                institution=line.institution,
                asset_id=line.asset_id,
                ticker=line.ticker,
                product=line.product,
                currency=line.currency,
                statement=line.statement,
                books=line.books,
                difference=line.difference,
                status=line.status,
                cause=line.cause,
                cause_detail=line.cause_detail[:255],
            )
            for line in lines
        ],
        batch_size=1000,
    )
    if actor is not None:
        changes = {name: [before.get(name), value] for name, value in counts.items()}
        changes["file"] = [None, run.file_name]
        verb = "create" if created else "rerun"
        audit_record(actor=actor, action=f"portfolio.reconciliation.{verb}", target=run, changes=changes, meta=meta)
    run.unchanged = False
    return run, created


def reconcile_positions(
    *, owner, content: bytes, file_name: str = "", as_of=None, portfolio=None, actor=None, meta=NO_REQUEST
):
    """Compare a B3 position statement with the books as of ``as_of`` (default: the date in the file name).

    Returns ``(run, created)``; ``run.unchanged`` tells that re-running it changed nothing.
    """
    _check_portfolio(owner, portfolio)
    as_of = _check_as_of(as_of or as_of_from_name(file_name))
    try:
        statement = statements.read_positions(content)
    except statements.StatementError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    _resolve(statement)
    portfolio_id = portfolio.pk if portfolio is not None else None
    books = books_positions(owner_id=owner.pk, as_of=as_of, portfolio_id=portfolio_id)
    asset_ids = {asset for _broker, asset in books} | {h.asset_id for h in statement.holdings if h.asset_id}
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=asset_ids).only("pk", "ticker", "name")}
    brokers = {b.pk: b for b in Broker.objects.filter(pk__in={broker for broker, _asset in books}).only("pk", "name")}
    unsettled = _unsettled_quantities(owner.pk, as_of, portfolio_id)
    lines = compare_positions(statement=statement, books=books, assets=assets, brokers=brokers, unsettled=unsettled)
    return _store(
        owner=owner,
        portfolio=portfolio,
        kind=ReconciliationKind.POSITIONS,
        source=ReconciliationSource.FILE,
        as_of=as_of,
        file_name=file_name,
        digest=_digest(content),
        lines=lines,
        problems=statement.problems,
        actor=actor,
        meta=meta,
    )


# --- cash ---------------------------------------------------------------------------------


def reconcile_cash(
    *, owner, as_of, balances: list[dict], portfolio=None, file_name="", problems=None, actor=None, meta=NO_REQUEST
):
    """Compare brokers' balances (``[{"broker": Broker, "currency": "BRL", "balance": Decimal}]``) with the
    balances derived from the cash movements up to the end of ``as_of``. Returns ``(run, created)``."""
    _check_portfolio(owner, portfolio)
    as_of = _check_as_of(as_of)
    if not balances:
        raise ValidationError({"balances": [_("Informe ao menos um saldo.")]})
    typed: dict = {}
    for item in balances:
        broker = item["broker"]
        currency = (item.get("currency") or broker.default_currency or "BRL").upper()
        key = (broker.pk, currency)
        if key in typed:
            raise ValidationError(
                {"balances": [_("%(b)s em %(c)s aparece duas vezes.") % {"b": broker.name, "c": currency}]}
            )
        typed[key] = (broker, Decimal(item["balance"]))
    portfolio_id = portfolio.pk if portfolio is not None else None
    moment = dividend_cutoff(as_of)
    derived = {
        (row["broker_id"], row["currency"]): row["balance"]
        for row in cash_balances(owner_id=owner.pk, portfolio_id=portfolio_id, before=moment)
    }
    lines = []
    for (broker_id, currency), (broker, balance) in sorted(typed.items(), key=lambda kv: (kv[1][0].name, kv[0][1])):
        books = derived.get((broker_id, currency), ZERO)
        line = Line(
            broker_id=broker_id,
            institution=broker.name,
            asset_id=None,
            ticker="",
            currency=currency,
            statement=balance,
            books=books,
            status=LineStatus.MATCH if balance == books else LineStatus.DIFFERENCE,
        )
        if line.status != LineStatus.MATCH:
            _cash_cause(line, owner_id=owner.pk, as_of=as_of, portfolio_id=portfolio_id)
        lines.append(line)
    digest = _digest("cash", as_of, *(f"{b}|{c}|{v.normalize():f}" for (b, c), (_broker, v) in sorted(typed.items())))
    return _store(
        owner=owner,
        portfolio=portfolio,
        kind=ReconciliationKind.CASH,
        source=ReconciliationSource.FILE if file_name else ReconciliationSource.TYPED,
        as_of=as_of,
        file_name=file_name,
        digest=digest,
        lines=lines,
        problems=problems or [],
        actor=actor,
        meta=meta,
    )


def _cash_cause(line: Line, *, owner_id, as_of, portfolio_id) -> None:
    scope = {"owner_id": owner_id, "broker_id": line.broker_id, "currency": line.currency}
    if portfolio_id is not None:
        scope["portfolio_id"] = portfolio_id
    start, end = settlement_window(as_of)
    unsettled = (
        CashMovement.objects.filter(
            **scope,
            transaction__isnull=False,
            date__gte=start_of_day(start),
            date__lt=dividend_cutoff(end),
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if unsettled and line.difference == -unsettled:
        line.cause = LikelyCause.UNSETTLED
        line.cause_detail = _("Liquidação D+2 de negócios dos dois últimos pregões (%(v)s).") % {"v": unsettled}
        return
    receipts = DividendReceipt.objects.filter(
        owner_id=owner_id,
        position__broker_id=line.broker_id,
        dividend__currency=line.currency,
        paid=False,
        dividend__payment_date__gt=as_of,
        dividend__payment_date__lte=as_of + timedelta(days=7),
    )
    if portfolio_id is not None:
        receipts = receipts.filter(position__portfolio_id=portfolio_id)
    expected = receipts.aggregate(total=Sum("net_amount"))["total"] or ZERO
    if expected and line.difference == expected:
        line.cause = LikelyCause.DIVIDEND_CREDIT
        line.cause_detail = _("Provento creditado pela corretora antes da data de pagamento cadastrada (%(v)s).") % {
            "v": expected
        }
        return
    line.cause = LikelyCause.MISSING_MOVEMENT
    if line.difference > 0:
        line.cause_detail = _("A corretora tem %(v)s a mais: depósito, venda ou provento não registrado.") % {
            "v": line.difference
        }
    else:
        line.cause_detail = _("A corretora tem %(v)s a menos: saque, taxa, imposto ou compra não registrado.") % {
            "v": -line.difference
        }


def reconcile_cash_file(
    *, owner, content: bytes, file_name: str, as_of=None, portfolio=None, actor=None, meta=NO_REQUEST
):
    """Cash balances from a CSV/XLSX (Instituição, Saldo, Moeda); institutions matched to brokers."""
    as_of = as_of or as_of_from_name(file_name)
    try:
        rows, problems = statements.read_cash(content)
    except statements.StatementError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    matcher = BrokerMatcher()
    balances = []
    for row in rows:
        broker = matcher.find(row.institution)
        if broker is None:
            problems.append(
                {"line": row.line, "message": _("Instituição “%(i)s” não cadastrada.") % {"i": row.institution}}
            )
            continue
        balances.append({"broker": broker, "currency": row.currency, "balance": row.balance})
    return reconcile_cash(
        owner=owner,
        as_of=as_of,
        balances=balances,
        portfolio=portfolio,
        file_name=file_name,
        problems=problems,
        actor=actor,
        meta=meta,
    )


@transaction.atomic
def reconciliation_delete(*, reconciliation: Reconciliation, actor=None, meta=NO_REQUEST) -> None:
    audit_deleted(
        reconciliation,
        ("kind", "as_of", "file_name", "portfolio"),
        action="portfolio.reconciliation.delete",
        actor=actor,
        meta=meta,
    )
    reconciliation.delete()

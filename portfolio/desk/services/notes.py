"""Brokerage notes (SINACOR PDF) → trades with their fees.

For each note of the PDF (``portfolio.desk.sinacor`` reads and checks it):

1. **Broker**: by the CNPJ printed on the note, else by its name, else the broker chosen on import.
2. **Titles**: the ticker when the specification carries one (``FII HGLG11 CI``); otherwise the
   issuer's name and share class (``PETROBRAS PN N2`` → an asset named Petrobras whose ticker ends
   in 4) against the registry and the curated B3 list. A title that cannot be told is an error of
   that note — never a guess.
3. **Fees** (liquidação + registro → ``settlement_fee``; emolumentos + termo/opções + A.N.A. →
   ``emoluments``; taxa operacional + execução → ``brokerage_fee``; ISS + custódia + outros →
   ``other_costs``) are split among the note's trades pro rata to their value, to the cent
   (``portfolio.desk.allocation``); the IRRF of common operations among the sales that are not day
   trades, the day-trade IRRF among the day-trade sales.
4. **Trades already imported** from the B3 negociação file (same portfolio, broker, day, asset, side,
   quantity and price — or several of them adding up to one line of the note) get the note's fees
   filled in (what they had before is kept to undo it); the others are created. Within a note the
   purchases are recorded before the sales (a day trade's sale never comes before its purchase).
5. Each note is written in its own savepoint: a note with an error (unreadable, totals that do not
   add up, unknown title or broker, a sale beyond holdings) is reported and skipped, the others are
   imported. A note already imported (portfolio × broker × number × day) is reported as such and
   changes nothing. ``dry_run`` (the default) runs everything and rolls it all back.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_deleted, audit_record

from ... import ledger
from ...choices import Market
from ...dates import start_of_day
from ...importers.reading import normalise
from ...importers.registry import BrokerMatcher, curated_b3_tickers, decide_type, new_asset
from ...models import Asset, Broker, Transaction
from ...services.transactions import TradeInput, transaction_create, transaction_update, transactions_delete
from .. import sinacor
from ..allocation import allocate, pro_rata
from ..choices import NoteLineAction
from ..models import BrokerageNote, BrokerageNoteTrade

ZERO = Decimal("0")
FEE_FIELDS = ("brokerage_fee", "settlement_fee", "emoluments", "other_costs", "withheld_tax")
TICKER_TOKEN = re.compile(r"\b([A-Z]{4}\d{1,2})F?\b")
GOVERNANCE = {
    "N1", "N2", "NM", "MA", "MB", "ED", "EJ", "EDJ", "ER", "EB", "ES", "EX", "ATZ", "EDR", "ERJ", "EDB",
    "DRN", "DR1", "DR2", "DR3", "CI", "REC", "INT", "#", "R1", "R2", "R3", "EC",
}  # fmt: skip
CLASS_DIGIT = {"ON": "3", "PN": "4", "PNA": "5", "PNB": "6", "PNC": "7", "PND": "8", "UNT": "11", "UNIT": "11"}


class _Rollback(Exception):
    pass


@dataclass
class NoteResult:
    number: str
    trade_date: object
    broker: str
    pages: list
    status: str = "new"  # new | duplicate | error
    errors: list = field(default_factory=list)
    trades: list = field(default_factory=list)
    fees: dict = field(default_factory=dict)
    withheld_tax: str = "0.00"
    net_amount: str | None = None
    note_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "trade_date": self.trade_date,
            "broker": self.broker,
            "pages": self.pages,
            "status": self.status,
            "errors": self.errors,
            "fees": self.fees,
            "withheld_tax": self.withheld_tax,
            "net_amount": self.net_amount,
            "note_id": self.note_id,
            "trades": self.trades,
        }


@dataclass
class NotesReport:
    file_name: str
    dry_run: bool
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        new = [n for n in self.notes if n.status == "new"]
        return {
            "notes": len(self.notes),
            "new": len(new),
            "duplicate": sum(1 for n in self.notes if n.status == "duplicate"),
            "error": sum(1 for n in self.notes if n.status == "error"),
            "trades_created": sum(1 for n in new for t in n.trades if t["action"] == NoteLineAction.CREATED),
            "fees_filled": sum(1 for n in new for t in n.trades if t["action"] == NoteLineAction.FEES_FILLED),
        }

    def as_dict(self) -> dict:
        return {
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "notes": [n.as_dict() for n in self.notes],
        }


# --- titles -----------------------------------------------------------------------------------


class TitleResolver:
    """Specification of the title → asset (registry first, then the curated B3 list; new assets only
    when the specification carries the ticker itself)."""

    def __init__(self):
        self.assets = list(
            Asset.objects.filter(market=Market.BR).only("pk", "ticker", "name", "asset_type", "currency")
        )
        self.by_ticker = {a.ticker: a for a in self.assets}
        self.planned: dict = {}

    def resolve(self, spec: str) -> tuple[Asset | None, str]:
        """``(asset, error)``: an unsaved asset when the ticker is new (saved with the note)."""
        token = TICKER_TOKEN.search(spec.upper())
        if token:
            return self._by_ticker(token.group(1), spec), ""
        words = spec.upper().split()
        while words and words[-1] in GOVERNANCE:
            words.pop()
        share_class = words.pop() if words and words[-1] in CLASS_DIGIT else ""
        if words and words[0] == "FII":
            words = words[1:]
            share_class = share_class or "UNT"
            if words and len(words[0]) == 4 and words[0].isalpha():
                found = self.by_ticker.get(f"{words[0]}11") or (
                    self._by_ticker(f"{words[0]}11", spec) if f"{words[0]}11" in curated_b3_tickers() else None
                )
                if found is not None:
                    return found, ""
        issuer = normalise(" ".join(words))
        if not issuer:
            return None, _("Título “%(s)s” não reconhecido.") % {"s": spec}
        digit = CLASS_DIGIT.get(share_class, "")
        matches = {a.ticker: a for a in self.assets if self._fits(a.ticker, a.name, issuer, digit)}
        for ticker, row in curated_b3_tickers().items():
            if ticker not in matches and self._fits(ticker, row.get("name", ""), issuer, digit):
                matches[ticker] = self._by_ticker(ticker, spec)
        if len(matches) == 1:
            return next(iter(matches.values())), ""
        if not matches:
            return None, _("Título “%(s)s” não reconhecido: cadastre o ativo com o nome do emissor.") % {"s": spec}
        return None, _("Título “%(s)s” ambíguo (%(t)s): cadastre o nome do ativo de forma única.") % {
            "s": spec,
            "t": ", ".join(sorted(matches)),
        }

    @staticmethod
    def _fits(ticker: str, name: str, issuer: str, digit: str) -> bool:
        name = normalise(name)
        if not name or not (name == issuer or name.startswith(issuer + " ") or issuer.startswith(name + " ")):
            return False
        return not digit or (ticker.endswith(digit) and not (digit == "3" and ticker.endswith("33")))

    def _by_ticker(self, ticker: str, spec: str) -> Asset:
        if ticker in self.by_ticker:
            return self.by_ticker[ticker]
        if ticker not in self.planned:
            decision = decide_type(ticker, market=Market.BR, description=spec)
            self.planned[ticker] = new_asset(ticker, market=Market.BR, decision=decision, name=spec)
        return self.planned[ticker]


# --- import -------------------------------------------------------------------------------------


def _find_broker(note: sinacor.Note, matcher: BrokerMatcher, default) -> Broker | None:
    if note.broker_cnpj:
        found = Broker.objects.filter(cnpj=note.broker_cnpj).first()
        if found is not None:
            return found
    return matcher.find(note.broker_name) or default


def notes_import(
    *, content: bytes, file_name: str, portfolio, broker=None, dry_run=True, password="", actor=None, meta=NO_REQUEST
) -> NotesReport:
    """Preview (``dry_run``) or import the notes of a PDF into ``portfolio``; per-note results."""
    try:
        notes = sinacor.parse(content, password=password)
    except sinacor.NoteFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    report = NotesReport(file_name=(file_name or "")[:255], dry_run=dry_run)
    matcher, titles = BrokerMatcher(), TitleResolver()
    try:
        with transaction.atomic():
            for note in notes:
                result = NoteResult(
                    number=note.number,
                    trade_date=note.trade_date,
                    broker=note.broker_name,
                    pages=note.pages,
                    errors=list(note.errors),
                )
                report.notes.append(result)
                _import_note(
                    note,
                    result,
                    portfolio=portfolio,
                    default_broker=broker,
                    matcher=matcher,
                    titles=titles,
                    report=report,
                    actor=actor,
                    meta=meta,
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        for result in report.notes:
            result.note_id = None
    return report


def _import_note(note, result: NoteResult, *, portfolio, default_broker, matcher, titles, report, actor, meta) -> None:
    if result.errors:
        result.status = "error"
        return
    broker = _find_broker(note, matcher, default_broker)
    if broker is None:
        result.status = "error"
        result.errors.append(
            _("Corretora “%(n)s” (CNPJ %(c)s) não cadastrada: escolha a corretora ao importar.")
            % {"n": note.broker_name, "c": note.broker_cnpj or "—"}
        )
        return
    result.broker = broker.name
    if BrokerageNote.objects.filter(
        portfolio=portfolio, broker=broker, number=note.number, trade_date=note.trade_date
    ).exists():
        result.status = "duplicate"
        result.errors = []
        return
    assets = []
    for line in note.lines:
        asset, error = titles.resolve(line.specification)
        if error:
            result.errors.append(_("Linha %(n)d: %(e)s") % {"n": line.line, "e": error})
        assets.append(asset)
    allocation = _allocation(note, result)
    if result.errors:
        result.status = "error"
        return
    try:
        with transaction.atomic():
            _write(
                note,
                result,
                portfolio=portfolio,
                broker=broker,
                assets=assets,
                allocation=allocation,
                file_name=report.file_name,
                actor=actor,
                meta=meta,
            )
    except ValidationError as exc:
        result.status = "error"
        result.trades = []
        for name, messages in getattr(exc, "message_dict", {"detail": exc.messages}).items():
            result.errors.extend(f"{name}: {message}" if name != "detail" else message for message in messages)


def _allocation(note: sinacor.Note, result: NoteResult) -> list[dict]:
    values = [line.value for line in note.lines]
    fees = note.fees()
    parts = allocate(fees, values)
    sales = [line.kind == "venda" for line in note.lines]
    swing = [line.value if sale and not line.day_trade else ZERO for line, sale in zip(note.lines, sales, strict=True)]
    day = [line.value if sale and line.day_trade else ZERO for line, sale in zip(note.lines, sales, strict=True)]
    for amount, weights in ((note.summary.get("irrf", ZERO), swing), (note.summary.get("irrf_day_trade", ZERO), day)):
        if amount and not any(weights):
            weights = [line.value if sale else ZERO for line, sale in zip(note.lines, sales, strict=True)]
        if amount and not any(weights):
            result.errors.append(_("A nota retém IRRF mas não tem vendas."))
            return parts
        for part, share in zip(parts, pro_rata(amount, weights) if amount else [ZERO] * len(parts), strict=True):
            part["withheld_tax"] = part.get("withheld_tax", ZERO) + share
    result.fees = {name: str(value) for name, value in fees.items()}
    result.withheld_tax = str(note.summary.get("irrf", ZERO) + note.summary.get("irrf_day_trade", ZERO))
    result.net_amount = str(note.net_amount)
    return parts


def _write(note, result, *, portfolio, broker, assets, allocation, file_name, actor, meta) -> None:
    for asset in {id(a): a for a in assets if a.pk is None}.values():
        asset.save()
    summary = note.summary
    item = BrokerageNote.objects.create(
        owner_id=portfolio.owner_id,
        portfolio=portfolio,
        broker=broker,
        number=note.number,
        trade_date=note.trade_date,
        settlement_date=note.settlement_date,
        file_name=file_name,
        pages=len(note.pages),
        sales_value=sum((line.value for line in note.lines if line.kind == "venda"), ZERO),
        purchases_value=sum((line.value for line in note.lines if line.kind == "compra"), ZERO),
        settlement_fee=summary.get("settlement_fee", ZERO),
        registration_fee=summary.get("registration_fee", ZERO),
        emoluments=summary.get("emoluments", ZERO),
        exchange_other=summary.get("term_options_fee", ZERO) + summary.get("ana_fee", ZERO),
        brokerage_fee=summary.get("brokerage_fee", ZERO) + summary.get("execution_fee", ZERO),
        iss=summary.get("iss", ZERO),
        other_costs=summary.get("custody_fee", ZERO) + summary.get("other_costs", ZERO),
        withheld_tax=summary.get("irrf", ZERO),
        withheld_tax_day_trade=summary.get("irrf_day_trade", ZERO),
        net_amount=note.net_amount,
        lines=[_line_json(line, asset) for line, asset in zip(note.lines, assets, strict=True)],
    )
    used: set = set()
    order = sorted(range(len(note.lines)), key=lambda i: (note.lines[i].kind != "compra", i))  # buys first
    rows = {}
    for index in order:
        line, asset, fees = note.lines[index], assets[index], allocation[index]
        matched = _matching(portfolio, broker, asset, line, note.trade_date, used)
        if matched:
            rows[index] = _fill_fees(item, line, matched, fees, actor=actor, meta=meta)
        else:
            rows[index] = [
                _create(
                    item,
                    line,
                    asset,
                    fees,
                    portfolio=portfolio,
                    broker=broker,
                    file_name=file_name,
                    actor=actor,
                    meta=meta,
                )
            ]
    for index in range(len(note.lines)):
        result.trades.extend(rows[index])
    result.note_id = item.pk
    if actor is not None:
        audit_record(
            actor=actor,
            action="portfolio.brokerage_note.import",
            target=item,
            changes={"file": [None, file_name], "trades": [0, len(result.trades)]},
            meta=meta,
        )


def _line_json(line, asset) -> dict:
    return {
        "line": line.line,
        "kind": line.kind,
        "market": line.market,
        "specification": line.specification,
        "obs": line.obs,
        "day_trade": line.day_trade,
        "ticker": asset.ticker,
        "quantity": f"{line.quantity.normalize():f}",
        "unit_price": f"{line.unit_price.normalize():f}",
        "value": str(line.value),
    }


def _matching(portfolio, broker, asset, line, day, used: set) -> list:
    """The imported trades this line of the note is: one with the same quantity and price, or several
    (the negociação file lists each execution) adding up to its quantity and value."""
    if asset.pk is None:
        return []
    candidates = [
        tx
        for tx in Transaction.objects.filter(
            portfolio=portfolio,
            broker=broker,
            asset=asset,
            kind=line.kind,
            trade_date__gte=start_of_day(day),
            trade_date__lt=start_of_day(day + timedelta(days=1)),
            brokerage_note_trade__isnull=True,
        ).order_by("trade_date", "pk")
        if tx.pk not in used
    ]
    for tx in candidates:
        if tx.quantity == line.quantity and tx.unit_price == line.unit_price:
            used.add(tx.pk)
            return [tx]
    quantity = sum((tx.quantity for tx in candidates), ZERO)
    value = sum((tx.gross_amount for tx in candidates), ZERO)
    if len(candidates) > 1 and quantity == line.quantity and abs(value - line.value) <= sinacor.TOLERANCE:
        used.update(tx.pk for tx in candidates)
        return candidates
    return []


def _fill_fees(note, line, trades: list, fees: dict, *, actor, meta) -> list:
    shares = allocate(fees, [tx.gross_amount for tx in trades]) if len(trades) > 1 else [fees]
    done = []
    for tx, part in zip(trades, shares, strict=True):
        previous = {name: str(getattr(tx, name)) for name in FEE_FIELDS}
        tx = transaction_update(tx=tx, changes=dict(part), actor=actor, meta=meta)
        BrokerageNoteTrade.objects.create(
            note=note, line=line.line, transaction=tx, action=NoteLineAction.FEES_FILLED, previous=previous, **part
        )
        done.append(_trade_json(line, tx, NoteLineAction.FEES_FILLED, part))
    return done


def _create(note, line, asset, fees, *, portfolio, broker, file_name, actor, meta) -> dict:
    digest = hashlib.sha256(f"note|{broker.pk}|{note.number}|{note.trade_date}|{line.line}".encode()).hexdigest()
    tx = transaction_create(
        data=TradeInput(
            portfolio=portfolio,
            broker=broker,
            asset=asset,
            kind=line.kind,
            trade_date=start_of_day(note.trade_date),
            quantity=line.quantity,
            unit_price=line.unit_price,
            notes=_("Nota de corretagem %(n)s, linha %(l)d") % {"n": note.number, "l": line.line},
            import_hash=digest,
            source_file=file_name,
            **fees,
        ),
        actor=actor,
        meta=meta,
    )
    BrokerageNoteTrade.objects.create(note=note, line=line.line, transaction=tx, action=NoteLineAction.CREATED, **fees)
    return _trade_json(line, tx, NoteLineAction.CREATED, fees)


def _trade_json(line, tx, action, fees) -> dict:
    return {
        "line": line.line,
        "action": action,
        "transaction_id": tx.pk,
        "kind": line.kind,
        "ticker": tx.asset.ticker,
        "day_trade": line.day_trade,
        "quantity": f"{tx.quantity.normalize():f}",
        "unit_price": f"{tx.unit_price.normalize():f}",
        "value": str(tx.gross_amount),
        **{name: str(ledger.money(fees.get(name, ZERO))) for name in FEE_FIELDS},
    }


@transaction.atomic
def brokerage_note_delete(*, note: BrokerageNote, actor=None, meta=NO_REQUEST) -> None:
    """Undo a note: the trades it created are deleted, the fees it filled in are put back."""
    note = BrokerageNote.objects.select_for_update().get(pk=note.pk)
    links = list(note.trades.select_related("transaction"))
    for link in links:
        if link.action == NoteLineAction.FEES_FILLED:
            previous = {name: Decimal(link.previous.get(name, "0")) for name in FEE_FIELDS}
            link.delete()
            transaction_update(tx=link.transaction, changes=previous, actor=actor, meta=meta)
    created = [link.transaction_id for link in links if link.action == NoteLineAction.CREATED]
    audit_deleted(
        note,
        ("number", "trade_date", "broker", "portfolio"),
        action="portfolio.brokerage_note.delete",
        actor=actor,
        meta=meta,
    )
    note.delete()
    if created:
        transactions_delete(ids=created, actor=actor, meta=meta)

"""Import trades from B3 "Área do Investidor" files (negociação, movimentação) and generic CSVs.

One entry point, :func:`run`, for the API, the admin and the ``import_trades`` command:

1. read the file (CSV or XLSX), detect its layout, parse every row (``formats``);
2. resolve brokers (B3 institution names → known brokers, or new ones) and assets (the registry,
   or new ones typed as ``registry`` explains), validate every trade with the same rules as a
   typed one, and give each a stable hash — identical rows in one file are told apart by their
   order of appearance, so re-importing the same file (or an overlapping one) creates nothing;
3. inside one transaction: create brokers, assets, trades and their cash, then replay the
   positions of every owner × asset touched from its earliest imported date. A sale beyond
   holdings is an error on its row. Any error, or a dry run, rolls the whole thing back.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import NO_REQUEST, audit_record

from .. import bulk, ledger, market_data
from ..choices import AssetType, CorporateEventKind, Market
from ..dates import local_date
from ..models import Asset, CashMovement, CorporateEvent, CustodyTransfer, Transaction
from ..services import positions
from ..services.custody import custody_transfer_create
from ..services.transactions import TradeInput, cash_values, check_trade, trade_warnings, transaction_values
from . import formats, reading
from .registry import BrokerMatcher, decide_type, new_asset

PREVIEW_ROWS = 1000
FEE_FIELDS = ("brokerage_fee", "settlement_fee", "emoluments", "other_costs", "withheld_tax")
EXCHANGE_TRADED = {
    AssetType.ACAO,
    AssetType.FII,
    AssetType.UNIT,
    AssetType.ETF,
    AssetType.STOCK_INTL,
    AssetType.ETF_INTL,
}
SOURCE_CHOICES = [
    ("auto", gettext_lazy("detectar")),
    ("b3_negociacao", gettext_lazy("B3 — negociação")),
    ("b3_movimentacao", gettext_lazy("B3 — movimentação")),
    ("csv", gettext_lazy("CSV genérico")),
]
SOURCES = tuple(value for value, _label in SOURCE_CHOICES)


class _Rollback(Exception):
    pass


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    file_name: str
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    new_assets: list = field(default_factory=list)
    new_brokers: list = field(default_factory=list)
    created: int = 0

    def add_error(self, line: int, name: str, message: str) -> None:
        self.errors.append({"row": line, "field": name, "message": str(message)})

    def summary(self) -> dict:
        counts = Counter(row.status for row in self.rows)
        return {
            "rows": len(self.rows),
            "new": counts["new"],
            "duplicate": counts["duplicate"],
            "ignored": counts["ignored"],
            "error": counts["error"],
            "created": self.created,
        }

    def as_dict(self) -> dict:
        shown = [r for r in self.rows if r.status == "error"] + [r for r in self.rows if r.status != "error"]
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "file_name": self.file_name,
            "summary": self.summary(),
            "new_assets": self.new_assets,
            "new_brokers": self.new_brokers,
            "errors": sorted(self.errors, key=lambda e: (e["row"], e["field"])),
            "rows": [_row_dict(r) for r in sorted(shown[:PREVIEW_ROWS], key=lambda r: r.line)],
        }


def _row_dict(row) -> dict:
    return {
        "row": row.line,
        "status": row.status,
        "kind": row.kind or "",
        "ticker": row.ticker or "",
        "trade_date": row.trade_date.isoformat() if row.trade_date else "",
        "quantity": f"{row.quantity.normalize():f}" if row.quantity is not None else "",
        "unit_price": f"{row.unit_price.normalize():f}" if row.unit_price is not None else "",
        "broker": row.broker_name or "",
        "message": row.message or "; ".join(message for _name, message in row.errors),
    }


def parse(content: bytes, source: str) -> tuple[str, list]:
    """``(detected source, parsed rows)``; a file-level problem raises ``ValidationError`` on ``file``."""
    if len(content) > settings.PORTFOLIO_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("Arquivo grande demais.")]})
    try:
        headers, table = reading.read_table(content, max_rows=settings.PORTFOLIO_IMPORT_MAX_ROWS)
    except reading.FileError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    if source == "auto":
        source = formats.detect(headers)
    if source == "b3_negociacao":
        missing = formats.NEGOCIACAO_HEADERS - set(headers)
        _require_columns(missing)
        return source, [formats.parse_negociacao(line, cells) for line, cells in table]
    if source == "b3_movimentacao":
        _require_columns(formats.MOVIMENTACAO_HEADERS - set(headers))
        return source, [formats.parse_movimentacao(line, cells) for line, cells in table]
    columns = formats.generic_columns(headers)
    _require_columns([name for name in formats.GENERIC_REQUIRED if name not in columns])
    return "csv", [formats.parse_generic(line, cells, columns) for line, cells in table]


def _require_columns(missing) -> None:
    if missing:
        raise ValidationError(
            {"file": [_("Colunas obrigatórias ausentes: %(c)s.") % {"c": ", ".join(sorted(missing))}]}
        )


def run(
    *,
    content: bytes,
    file_name: str,
    portfolio,
    source: str = "auto",
    default_broker=None,
    dry_run: bool = True,
    fill_b3_fees: bool = False,
    actor=None,
    meta=NO_REQUEST,
) -> ImportReport:
    """Preview (``dry_run``) or import a file into ``portfolio``. Never leaves anything half-written."""
    source, rows = parse(content, source)
    report = ImportReport(source=source, dry_run=dry_run, file_name=file_name[:255], rows=rows)
    try:
        with transaction.atomic():
            _process(report, portfolio, default_broker=default_broker, fill_b3_fees=fill_b3_fees)
            if report.errors or dry_run:
                raise _Rollback
            if actor is not None:
                audit_record(
                    actor=actor,
                    action="portfolio.transaction.import",
                    target=portfolio,
                    changes={
                        "file": [None, report.file_name],
                        "source": [None, source],
                        "created": [0, report.created],
                    },
                    meta=meta,
                )
    except _Rollback:
        report.created = 0  # a preview, or a refused import: nothing was kept
    return report


def _process(report: ImportReport, portfolio, *, default_broker, fill_b3_fees: bool) -> None:
    for row in report.rows:
        for name, message in row.errors:
            report.add_error(row.line, name, message)
    transfers = formats.pair_transfers(report.rows)
    candidates = [row for row in report.rows if row.status == "new" and row.kind != formats.TRANSFER_KIND]
    brokers = BrokerMatcher()
    known = {(a.ticker, a.market): a for a in Asset.objects.filter(ticker__in={row.ticker for row in candidates})}
    events = {}
    for event in CorporateEvent.objects.filter(
        asset__in=[a.pk for a in known.values()],
        kind__in=[CorporateEventKind.MUDANCA_TICKER, CorporateEventKind.DESLISTAGEM],
    ).select_related("new_asset"):
        events.setdefault(event.asset_id, []).append(event)
    planned_assets: dict = {}
    fx_memo: dict = {}
    warn = _memo_warnings()
    trades = []
    for row in candidates:
        broker = brokers.find_or_plan(row.broker_name) if row.broker_name else default_broker
        if broker is None:
            row.error("broker", _("Informe a corretora (coluna ou corretora padrão)."))
        asset = known.get((row.ticker, row.market)) or planned_assets.get((row.ticker, row.market))
        if asset is None and row.ticker:
            decision = decide_type(
                row.ticker, market=row.market, description=row.description, declared=row.declared_type
            )
            asset = new_asset(row.ticker, market=row.market, decision=decision, name=row.name, currency=row.currency)
            planned_assets[(row.ticker, row.market)] = asset
            report.new_assets.append(
                {
                    "ticker": asset.ticker,
                    "market": asset.market,
                    "asset_type": asset.asset_type,
                    "reason": decision.reason,
                    "needs_review": decision.needs_review,
                }
            )
        if row.status == "error" or asset is None:
            _copy_errors(report, row)
            continue
        fx_rate, fx_source = (row.fx_rate, "informado") if row.fx_rate else _fx(asset, row, fx_memo)
        data = TradeInput(
            portfolio=portfolio,
            broker=broker,
            asset=asset,
            kind=row.kind,
            trade_date=row.trade_date,
            quantity=row.quantity,
            unit_price=row.unit_price,
            currency=row.currency,
            fx_rate=fx_rate,
            fx_source=fx_source,
            notes=row.notes,
            source_file=report.file_name,
            **{name: getattr(row, name) for name in FEE_FIELDS},
        )
        if fill_b3_fees:
            _fill_fees(data)
        errors = check_trade(data, events=events.get(asset.pk, []) if asset.pk else [], warn=warn)
        for name, messages in errors.items():
            for message in messages:
                row.error(name, message)
        if errors:
            _copy_errors(report, row)
            continue
        if data.warnings:
            row.message = "; ".join(data.warnings)
        trades.append((row, data))
    if report.errors:
        return
    _assign_hashes(trades)
    existing = _existing_hashes(portfolio, [data.import_hash for _row, data in trades])
    fresh = []
    for row, data in trades:
        if data.import_hash in existing:
            row.status = "duplicate"
            row.message = _("Já importada.")
        else:
            fresh.append((row, data))
    used_brokers = {id(d.broker): d.broker for _r, d in fresh if d.broker.pk is None}
    used_assets = {id(d.asset): d.asset for _r, d in fresh if d.asset.pk is None}
    report.new_brokers = sorted(b.name for b in used_brokers.values())
    report.new_assets = [
        a
        for a in report.new_assets
        if (a["ticker"], a["market"]) in {(asset.ticker, asset.market) for asset in used_assets.values()}
    ]
    _write(report, portfolio, fresh, [*used_brokers.values(), *used_assets.values()])
    if transfers and not report.errors:
        _write_transfers(report, portfolio, transfers, brokers)


def _memo_warnings():
    """Weekend/holiday remarks computed once per market and day (a file has few distinct days)."""
    cache: dict = {}

    def warn(asset, moment):
        key = (asset.market, local_date(moment))
        if key not in cache:
            cache[key] = trade_warnings(asset, moment)
        return cache[key]

    return warn


def _copy_errors(report: ImportReport, row) -> None:
    recorded = {(e["row"], e["field"], e["message"]) for e in report.errors if e["row"] == row.line}
    for name, message in row.errors:
        if (row.line, name, message) not in recorded:
            report.add_error(row.line, name, message)


def _fx(asset, row, memo) -> tuple:
    """``(rate, source)`` of the trade date (``(None, "")``: BRL, or left to ``check_trade``)."""
    currency = (row.currency or asset.currency).upper()
    if currency == "BRL" or row.trade_date is None:
        return None, ""
    key = (currency, local_date(row.trade_date))
    if key not in memo:
        quote = market_data.fx_quote_on(currency=currency, on=key[1])
        memo[key] = (quote.rate, quote.source) if quote else (None, "")
    return memo[key]


def _fill_fees(data: TradeInput) -> None:
    if data.asset.market != Market.BR or data.asset.asset_type not in EXCHANGE_TRADED:
        return
    if any(getattr(data, name) for name in FEE_FIELDS) or data.quantity is None or data.unit_price is None:
        return
    gross = ledger.money(data.quantity * data.unit_price)
    data.emoluments = ledger.money(gross * Decimal(settings.PORTFOLIO_B3_EMOLUMENTS_RATE))
    data.settlement_fee = ledger.money(gross * Decimal(settings.PORTFOLIO_B3_SETTLEMENT_RATE))


def _write_transfers(report: ImportReport, portfolio, transfers, brokers) -> None:
    """Custody transfers of the movimentação, through the service (validated against the source
    broker's holdings); idempotent by a hash of their content."""
    seen: Counter = Counter()
    for row in transfers:
        asset = Asset.objects.filter(ticker=row.ticker, market=row.market).first()
        source, target = brokers.find_or_plan(row.broker_name), brokers.find_or_plan(row.to_broker_name)
        if asset is None:
            row.error("ticker", _("Ativo sem operações registradas: importe a negociação antes da transferência."))
            _copy_errors(report, row)
            continue
        for broker in (source, target):
            if broker.pk is None:
                broker.save()
        content = "|".join(
            [row.trade_date.isoformat(), row.ticker, f"{row.quantity.normalize():f}", source.name, target.name]
        )
        seen[content] += 1
        digest = hashlib.sha256(f"transfer|{content}|{seen[content]}".encode()).hexdigest()
        if CustodyTransfer.objects.filter(portfolio=portfolio, import_hash=digest).exists():
            row.status, row.message = "duplicate", _("Já importada.")
            continue
        try:
            custody_transfer_create(
                owner=portfolio.owner,
                portfolio=portfolio,
                asset=asset,
                from_broker=source,
                to_broker=target,
                date=row.trade_date,
                quantity=row.quantity,
                import_hash=digest,
                source_file=report.file_name,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    row.error(name, message)
            _copy_errors(report, row)
            continue
        row.message = _("Transferência de custódia: %(a)s → %(b)s.") % {"a": source.name, "b": target.name}
        report.created += 1


def _assign_hashes(trades) -> None:
    """A stable hash per trade: its content plus its order among identical rows of the file."""
    seen: Counter = Counter()
    for _row, data in trades:
        content = "|".join(
            [
                data.trade_date.isoformat(),
                data.kind,
                data.asset.ticker,
                data.asset.market,
                f"{data.quantity.normalize():f}",
                f"{data.unit_price.normalize():f}",
                data.broker.name.strip().lower(),
            ]
        )
        seen[content] += 1
        data.import_hash = hashlib.sha256(f"{content}|{seen[content]}".encode()).hexdigest()


def _existing_hashes(portfolio, hashes) -> set:
    found = set()
    for start in range(0, len(hashes), 5000):
        chunk = hashes[start : start + 5000]
        found |= set(
            Transaction.objects.filter(portfolio=portfolio, import_hash__in=chunk).values_list("import_hash", flat=True)
        )
    return found


def _write(report: ImportReport, portfolio, fresh, new_objects) -> None:
    for obj in new_objects:
        obj.save()
    owner_id = portfolio.owner_id
    now = timezone.now()
    values = [{**transaction_values(data, owner_id), "created_at": now, "updated_at": now} for _row, data in fresh]
    columns = list(values[0]) if values else []
    ids = bulk.insert_rows(Transaction, columns, ([v[c] for c in columns] for v in values), returning=True)
    created = []
    cash_rows = []
    for (_row, data), pk, tx_values in zip(fresh, ids, values, strict=True):
        tx = SimpleNamespace(pk=pk, **tx_values)
        created.append(tx)
        cash = cash_values(tx, ticker=data.asset.ticker)
        if cash is not None:
            cash_rows.append({**cash, "created_at": now, "updated_at": now})
    line_of = {tx.pk: row.line for (row, _data), tx in zip(fresh, created, strict=True)}
    if cash_rows:
        cash_columns = list(cash_rows[0])
        bulk.insert_rows(CashMovement, cash_columns, ([c[k] for k in cash_columns] for c in cash_rows))
    pending: dict = {}
    for tx in created:
        positions.merge_since(pending, owner_id, tx.asset_id, tx.trade_date)
    try:
        positions.replay_many(pending)
    except positions.InsufficientHoldings as exc:
        line = line_of.get(exc.transaction_id, 0)
        for row, _data in fresh:
            if row.line == line:
                row.error("quantity", exc.message_dict["quantity"][0])
        for message in exc.message_dict.get("quantity", []):
            report.add_error(line, "quantity", message)
        return
    except ValidationError as exc:
        for name, messages in getattr(exc, "message_dict", {"detail": exc.messages}).items():
            for message in messages:
                report.add_error(0, name, message)
        return
    report.created = len(created)

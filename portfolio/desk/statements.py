"""Reading what B3 and the brokers say: the Área do Investidor position statement (posição) and a
list of cash balances. Pure parsing — no database — so it is cheap to test on real-looking files.

**Posição** (Área do Investidor → Extratos → Posição, "Baixar" XLSX or CSV). The XLSX has one
sheet per product group — *Acoes*, *BDR*, *ETF*, *Fundo de Investimento*, *Renda Fixa*,
*Tesouro Direto* — each with a header row and, at the bottom, a *Total* row. The columns used:
``Produto``, ``Instituição``, ``Código de Negociação`` (Renda Fixa: ``Código``; Tesouro Direto
has none: the product names the title) and ``Quantidade``. The CSV is the same table (one group or
all of them one after the other, each with its header). The same asset in two accounts of one
institution is summed.

**Saldos** (a broker's cash as of a date, typed into a small CSV): ``Instituição`` (or
``Corretora``), ``Saldo`` (or ``Valor``), optional ``Moeda``.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from ..importers import reading
from ..importers.reading import CellError, normalise
from ..importers.registry import clean_ticker

CODE_COLUMNS = ("codigo de negociacao", "codigo", "codigo de negociacao do ativo")
QUANTITY_COLUMNS = ("quantidade",)
INSTITUTION_COLUMNS = ("instituicao", "corretora", "agente de custodia")
MAX_ROWS = 50_000


class StatementError(Exception):
    """The file as a whole cannot be read as a statement."""


@dataclass
class Holding:
    """One line of the statement (already summed per institution × code)."""

    institution: str
    ticker: str
    product: str
    quantity: Decimal
    lines: list = field(default_factory=list)
    broker_id: int | None = None  # set by the reconciliation (None: not a known broker / asset)
    asset_id: int | None = None


@dataclass
class Statement:
    holdings: list
    problems: list  # [{"line": "Acoes:12", "message": "..."}]


def _is_header(cells: list) -> bool:
    names = {normalise(c) for c in cells if c not in (None, "")}
    return "produto" in names and bool(names & set(QUANTITY_COLUMNS))


def _sheets(content: bytes):
    """``[(sheet name, [(row number, cells)])]`` of an XLSX, or the single table of a CSV."""
    if content.startswith(reading.XLSX_MAGIC):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise StatementError(_("Planilha XLSX ilegível.")) from exc
        sheets = [
            (sheet.title, [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)])
            for sheet in book.worksheets
        ]
        book.close()
        return sheets
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise StatementError(_("Codificação do arquivo não reconhecida."))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)]
    except csv.Error as exc:
        raise StatementError(_("CSV inválido: %(error)s") % {"error": exc}) from exc
    return [("CSV", rows)]


def _column(headers: dict, names) -> int | None:
    for name in names:
        if name in headers:
            return headers[name]
    return None


def title_code(product: str) -> str:
    """The code the importers give a title without a B3 ticker ("Tesouro Selic 2029" → TESOURO-SELIC-2029)."""
    return normalise(product).upper().replace(" ", "-")[:32]


def read_positions(content: bytes) -> Statement:
    """Every holding of a B3 position statement (XLSX or CSV); rows that cannot be read are listed."""
    holdings: dict[tuple, Holding] = {}
    problems = []
    found_header = False
    count = 0
    for sheet, rows in _sheets(content):
        headers = None
        for number, cells in rows:
            if _is_header(cells):
                headers = {normalise(c): i for i, c in enumerate(cells) if c not in (None, "")}
                found_header = True
                continue
            if headers is None or not any(str(c or "").strip() for c in cells):
                continue
            get = lambda index, cells=cells: cells[index] if index is not None and index < len(cells) else None  # noqa: E731
            institution = reading.text(get(_column(headers, INSTITUTION_COLUMNS)))
            product = reading.text(get(headers.get("produto")))
            if not institution:  # the "Total" rows and notes under the table
                continue
            count += 1
            if count > MAX_ROWS:
                raise StatementError(_("O extrato passa do limite de %(max)d linhas.") % {"max": MAX_ROWS})
            where = f"{sheet}:{number}"
            code = reading.text(get(_column(headers, CODE_COLUMNS)))
            if code:
                ticker = clean_ticker(code)
            elif product:
                head, _sep, _rest = product.partition(" - ")
                ticker = clean_ticker(head) if head and " " not in head.strip() else title_code(product)
            else:
                problems.append({"line": where, "message": _("Linha sem produto nem código.")})
                continue
            try:
                quantity = reading.number(get(_column(headers, QUANTITY_COLUMNS)))
            except CellError as exc:
                problems.append({"line": where, "message": f"{ticker}: {exc}"})
                continue
            if quantity < 0:
                problems.append({"line": where, "message": _("%(t)s: quantidade negativa.") % {"t": ticker}})
                continue
            key = (normalise(institution), ticker)
            holding = holdings.get(key)
            if holding is None:
                holdings[key] = Holding(institution, ticker, product[:200], quantity, [where])
            else:
                holding.quantity += quantity
                holding.lines.append(where)
    if not found_header:
        raise StatementError(
            _("Não parece um extrato de posição da B3: faltam as colunas Produto, Instituição e Quantidade.")
        )
    return Statement(holdings=list(holdings.values()), problems=problems)


@dataclass
class CashLine:
    institution: str
    currency: str
    balance: Decimal
    line: str


def read_cash(content: bytes) -> tuple[list[CashLine], list]:
    """``([CashLine], problems)`` from a CSV/XLSX of balances (Instituição, Saldo, Moeda)."""
    try:
        headers, rows = reading.read_table(content, max_rows=MAX_ROWS)
    except reading.FileError as exc:
        raise StatementError(str(exc)) from exc
    present = set(headers)
    institution = next((h for h in INSTITUTION_COLUMNS if h in present), None)
    amount = next((h for h in ("saldo", "valor", "saldo disponivel", "balance") if h in present), None)
    if institution is None or amount is None:
        raise StatementError(_("Colunas obrigatórias: Instituição (ou Corretora) e Saldo."))
    lines, problems = [], []
    for number, cells in rows:
        name = reading.text(cells.get(institution))
        if not name:
            continue
        try:
            balance = reading.number(cells.get(amount))
        except CellError as exc:
            problems.append({"line": str(number), "message": f"{name}: {exc}"})
            continue
        currency = reading.text(cells.get("moeda") or cells.get("currency")).upper() or ""
        lines.append(CashLine(name, currency, balance, str(number)))
    return lines, problems

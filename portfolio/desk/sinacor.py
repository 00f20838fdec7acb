"""Brokerage notes (nota de corretagem) in the B3/SINACOR layout: PDF text → notes. Pure (no database).

Why a parser of our own: the maintained SINACOR parser for Python, ``correpy``, reads the PDF with
PyMuPDF, which is AGPL — not a licence this product can ship under. The general PDF libraries with
permissive licences (``pypdf``, BSD, already a dependency; ``pdfplumber``/``pdfminer.six``, MIT) only
give text; no permissive library knows the layout. So the text comes from pypdf and the layout is read
here, with the generated notes in ``portfolio/tests/desk/files/sinacor_pdf.py`` as its tests.

The layout (the same for every broker using SINACOR): a header with ``Nr. nota``, ``Folha`` and
``Data pregão``, the broker's name and CNPJ; the **Negócios realizados** table, one line per trade
(``Q Negociação · C/V · Tipo mercado · Prazo · Especificação do título · Obs. · Quantidade · Preço /
Ajuste · Valor Operação / Ajuste · D/C``); and, on the last page of the note, the **Resumo dos
Negócios** and **Resumo Financeiro** (clearing: taxa de liquidação, taxa de registro; bolsa: taxa de
termo/opções, taxa A.N.A., emolumentos; custos operacionais: taxa operacional (corretagem), execução,
taxa de custódia, impostos (ISS), I.R.R.F. s/ operações, outros; and the ``Líquido para <data>``).
A note may span several pages (``Folha`` 1, 2, ...; the summary of the first pages reads
``CONTINUA...``); one PDF may hold many notes. Obs. ``D`` marks a day trade.

Each note is checked before anything is imported: the trades' values add up to the summary's
purchases and sales, and the net amount equals sales − purchases − fees − IRRF to the cent. A note
that does not add up, or whose text is not a note, is reported with its error and skipped.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

ZERO = Decimal("0")
TOLERANCE = Decimal("0.01")

HEADER = re.compile(
    r"Nr\.?\s*nota\s+Folha\s+Data\s+preg[aã]o\s*\n\s*(?P<number>\d[\d.]*)\s+(?P<page>\d+)\s+(?P<date>\d{2}/\d{2}/\d{4})",
    re.IGNORECASE,
)
CNPJ = re.compile(r"C\.?\s*N\.?\s*P\.?\s*J\.?\s*[:.]?\s*(?P<cnpj>\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2})", re.IGNORECASE)
NUMBER = r"-?\d{1,3}(?:\.\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?"
OBS_CODES = "#DFBACPHXYLTI28"
TRADE = re.compile(
    r"^\s*(?P<q>(?:\d-)?(?:BOVESPA|B3 RV LISTADO|B3 RV|BMF|B3))\s+(?P<cv>[CV])\s+"
    r"(?P<market>VISTA|FRACIONARIO|FRACION[AÁ]RIO|OPCAO DE COMPRA|OPCAO DE VENDA|OPÇÃO DE COMPRA|OPÇÃO DE VENDA|"
    r"EXERC OPC COMPRA|EXERC OPC VENDA|TERMO)\s+"
    r"(?:(?P<term>\d{2}/\d{2})\s+)?(?P<spec>.+?)\s+(?:(?P<obs>[" + re.escape(OBS_CODES) + r"]{1,3})\s+)?"
    r"(?P<qty>\d{1,3}(?:\.\d{3})*|\d+)\s+(?P<price>" + NUMBER + r")\s+(?P<value>" + NUMBER + r")\s+(?P<dc>[DC])\s*$",
    re.IGNORECASE | re.MULTILINE,
)
SPOT = {"VISTA", "FRACIONARIO", "FRACIONÁRIO"}


def _label(pattern: str) -> re.Pattern:
    """``<label> <number> [D|C]`` anywhere in the text (the summary's two columns may share a line)."""
    return re.compile(pattern + r"\s*[:]?\s*(?P<value>" + NUMBER + r")(?:\s*(?P<dc>[DC])\b)?", re.IGNORECASE)


SUMMARY = {
    "sales": _label(r"Vendas\s+[àa]\s+vista"),
    "purchases": _label(r"Compras\s+[àa]\s+vista"),
    "operations": _label(r"Valor\s+das\s+opera[çc][õo]es"),
    "settlement_fee": _label(r"Taxa\s+de\s+liquida[çc][ãa]o"),
    "registration_fee": _label(r"Taxa\s+de\s+Registro"),
    "term_options_fee": _label(r"Taxa\s+de\s+termo\s*/\s*op[çc][õo]es"),
    "ana_fee": _label(r"Taxa\s+A\.?N\.?A\.?"),
    "emoluments": _label(r"Emolumentos"),
    "brokerage_fee": _label(r"(?:Taxa\s+Operacional|Corretagem)"),
    "execution_fee": _label(r"Execu[çc][ãa]o"),
    "custody_fee": _label(r"Taxa\s+de\s+Cust[óo]dia"),
    "iss": _label(r"(?:Impostos|ISS(?:\s*\([^)]*\))?)"),
    "irrf": re.compile(
        r"I\.?R\.?R\.?F\.?\s+s/\s*opera[çc][õo]es(?:,?\s*base\s*R\$\s*(?:"
        + NUMBER
        + r"))?\s+(?P<value>"
        + NUMBER
        + r")",
        re.IGNORECASE,
    ),
    "irrf_day_trade": re.compile(
        r"IRRF\s+Day\s*Trade\s*:?\s*Base\s*R\$\s*(?:"
        + NUMBER
        + r")\s+(?:Proje[çc][ãa]o|Valor)\s*R\$\s*(?P<value>"
        + NUMBER
        + r")",
        re.IGNORECASE,
    ),
    "other_costs": _label(r"Outros"),
}
NET = re.compile(
    r"L[íi]quido\s+para\s+(?P<date>\d{2}/\d{2}/\d{4})\s+(?P<value>" + NUMBER + r")\s*(?P<dc>[DC])?", re.IGNORECASE
)


class NoteFileError(Exception):
    """The file as a whole is not a readable PDF of notes."""


@dataclass
class NoteLine:
    line: int
    kind: str  # "compra" | "venda"
    market: str
    specification: str
    obs: str
    quantity: Decimal
    unit_price: Decimal
    value: Decimal

    @property
    def day_trade(self) -> bool:
        return "D" in self.obs.upper()


@dataclass
class Note:
    number: str
    trade_date: date | None
    pages: list = field(default_factory=list)
    broker_name: str = ""
    broker_cnpj: str = ""
    lines: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    net_amount: Decimal | None = None  # signed: + credit to the client
    settlement_date: date | None = None
    errors: list = field(default_factory=list)

    def fees(self) -> dict:
        """The note's costs in the transaction's four fee fields (see ``docs/desk.md``)."""
        s = self.summary
        return {
            "settlement_fee": s.get("settlement_fee", ZERO) + s.get("registration_fee", ZERO),
            "emoluments": s.get("emoluments", ZERO) + s.get("term_options_fee", ZERO) + s.get("ana_fee", ZERO),
            "brokerage_fee": s.get("brokerage_fee", ZERO) + s.get("execution_fee", ZERO),
            "other_costs": s.get("iss", ZERO) + s.get("custody_fee", ZERO) + s.get("other_costs", ZERO),
        }


def number(text: str) -> Decimal:
    """``1.234,56`` → ``Decimal("1234.56")``."""
    try:
        return Decimal(text.replace(".", "").replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the patterns only let numbers through
        raise ValueError(text) from exc


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def extract_pages(content: bytes, *, password: str = "") -> list[str]:
    """The text of every page (pypdf). Encrypted notes (brokers often lock them with part of the CPF)
    open with ``password``."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not content.startswith(b"%PDF"):
        raise NoteFileError(_("O arquivo não é um PDF."))
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(password or ""):
            raise NoteFileError(_("PDF protegido por senha: informe a senha da nota."))
        return [page.extract_text() or "" for page in reader.pages]
    except NoteFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise NoteFileError(_("PDF ilegível.")) from exc


def decrypted(content: bytes, *, password: str = "") -> bytes:
    """The PDF without its password (so a preview can be kept for its confirmation without the password);
    an unencrypted PDF, or one that does not open, is returned as it is (parsing reports the problem)."""
    if not password:
        return content
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(io.BytesIO(content))
        if not reader.is_encrypted or not reader.decrypt(password):
            return content
        writer = PdfWriter(clone_from=reader)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()
    except Exception:  # noqa: BLE001 - unreadable: left to the parser's own error
        return content


def parse_pages(pages: list[str]) -> list[Note]:
    """Group the pages into notes (by number and trading day) and read each."""
    notes: list[Note] = []
    for index, text in enumerate(pages, start=1):
        header = HEADER.search(text)
        if header is None:
            if notes and notes[-1].pages and not text.strip():
                continue  # a blank trailing page
            notes.append(Note(number=f"?{index}", trade_date=None, pages=[index]))
            notes[-1].errors.append(
                _("Folha %(p)d: cabeçalho da nota (Nr. nota, Data pregão) não encontrado.") % {"p": index}
            )
            continue
        number_, day = header["number"].replace(".", ""), _day(header["date"])
        current = notes[-1] if notes else None
        if current is None or (current.number, current.trade_date) != (number_, day):
            current = Note(number=number_, trade_date=day)
            notes.append(current)
            _broker(current, text)
        current.pages.append(index)
        _read_page(current, text)
    for note in notes:
        if not note.errors:
            _check(note)
    return notes


def parse(content: bytes, *, password: str = "") -> list[Note]:
    notes = parse_pages(extract_pages(content, password=password))
    if not notes:
        raise NoteFileError(_("Nenhuma nota de corretagem encontrada no PDF."))
    return notes


def _broker(note: Note, text: str) -> None:
    """The broker is the first line after the header's values; its CNPJ the first one on the page."""
    header = HEADER.search(text)
    after = [row.strip() for row in text[header.end() :].splitlines() if row.strip()]
    note.broker_name = after[0][:200] if after else ""
    cnpj = CNPJ.search(text)
    if cnpj:
        note.broker_cnpj = re.sub(r"\D", "", cnpj["cnpj"])


def _read_page(note: Note, text: str) -> None:
    for match in TRADE.finditer(text):
        market = match["market"].upper()
        note.lines.append(
            NoteLine(
                line=len(note.lines) + 1,
                kind="compra" if match["cv"].upper() == "C" else "venda",
                market=market,
                specification=" ".join(match["spec"].split()),
                obs=(match["obs"] or "").upper(),
                quantity=number(match["qty"]),
                unit_price=number(match["price"]),
                value=number(match["value"]),
            )
        )
        if market not in SPOT:
            note.errors.append(
                _("Linha %(n)d: mercado %(m)s (opções, termo) não é importado.") % {"n": len(note.lines), "m": market}
            )
    net = NET.search(text)
    if net is None:
        return  # a page before the last: its summary reads CONTINUA...
    note.settlement_date = _day(net["date"])
    value = number(net["value"])
    note.net_amount = -value if (net["dc"] or "C").upper() == "D" else value
    for name, pattern in SUMMARY.items():
        found = pattern.search(text)
        if found:
            note.summary[name] = abs(number(found["value"]))


def _check(note: Note) -> None:
    if note.trade_date is None:
        note.errors.append(_("Data do pregão inválida."))
    if not note.lines:
        note.errors.append(_("Nenhum negócio realizado encontrado na nota."))
    if note.net_amount is None:
        note.errors.append(_("Resumo financeiro incompleto: falta o “Líquido para” da nota."))
        return
    bought = sum((line.value for line in note.lines if line.kind == "compra"), ZERO)
    sold = sum((line.value for line in note.lines if line.kind == "venda"), ZERO)
    for name, found in (("purchases", bought), ("sales", sold)):
        stated = note.summary.get(name)
        if stated is not None and abs(stated - found) > TOLERANCE:
            label = _("compras") if name == "purchases" else _("vendas")
            note.errors.append(
                _("A soma dos negócios (%(found)s) não bate com o total de %(label)s do resumo (%(stated)s).")
                % {"found": found, "label": label, "stated": stated}
            )
    for line in note.lines:
        if abs(line.quantity * line.unit_price - line.value) > max(TOLERANCE, line.quantity * Decimal("0.005")):
            note.errors.append(
                _("Linha %(n)d: quantidade × preço (%(qp)s) difere do valor (%(v)s).")
                % {"n": line.line, "qp": line.quantity * line.unit_price, "v": line.value}
            )
    fees = sum(note.fees().values(), ZERO)
    irrf = note.summary.get("irrf", ZERO) + note.summary.get("irrf_day_trade", ZERO)
    expected = sold - bought - fees - irrf
    if abs(expected - note.net_amount) > TOLERANCE:
        note.errors.append(
            _("O líquido da nota (%(net)s) não fecha com vendas − compras − custos − IRRF (%(exp)s).")
            % {"net": note.net_amount, "exp": expected}
        )

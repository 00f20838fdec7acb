"""Read a CSV or XLSX file into rows of ``{normalised header: cell}``, and parse Brazilian cells.

Headers are normalised (lower case, no accents, no punctuation) so "Preço unitário",
"preco_unitario" and "PREÇO UNITÁRIO" are the same column. Numbers accept ``1.234,56`` (a comma
means the Brazilian format), ``1234.56``, ``R$``/``US$`` prefixes and spreadsheet numbers; dates
accept ``dd/mm/aaaa``, ISO and spreadsheet dates, with an optional time.
"""

import csv
import io
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _

from ..dates import as_moment

XLSX_MAGIC = b"PK\x03\x04"
EMPTY = {"", "-", "--", "n/a", "N/A"}


class FileError(Exception):
    """The file as a whole cannot be read (not a row problem)."""


class CellError(ValueError):
    pass


def normalise(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_table(content: bytes, *, max_rows: int) -> tuple[list[str], list[tuple[int, dict]]]:
    """``(headers, [(line number, {header: cell})])`` for the first sheet / the CSV text."""
    raw = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    header_row = None
    for number, cells in raw:
        if any(str(c or "").strip() for c in cells):
            header_row = (number, cells)
            break
    if header_row is None:
        raise FileError(_("Arquivo vazio."))
    headers = [normalise(c) for c in header_row[1]]
    rows = []
    for number, cells in raw:
        if number <= header_row[0]:
            continue
        if not any(str(c if c is not None else "").strip() for c in cells):
            continue
        if len(rows) >= max_rows:
            raise FileError(_("O arquivo passa do limite de %(max)d linhas.") % {"max": max_rows})
        rows.append((number, {h: cells[i] if i < len(cells) else None for i, h in enumerate(headers) if h}))
    return headers, rows


def _csv_rows(content: bytes):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise FileError(_("Codificação do arquivo não reconhecida."))
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    if "\t" in sample.split("\n", 1)[0] and sample.count("\t") > sample.count(delimiter):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileError(_("CSV inválido: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise FileError(_("Planilha XLSX ilegível.")) from exc
    sheet = workbook.worksheets[0]
    rows = [(number, list(row)) for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    workbook.close()
    return rows


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in EMPTY)


def text(value) -> str:
    return "" if is_empty(value) else str(value).strip()


def number(value, *, required=True) -> Decimal | None:
    if is_empty(value):
        if required:
            raise CellError(_("Valor obrigatório."))
        return None
    if isinstance(value, bool):
        raise CellError(_("Número inválido."))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value)
    if PLAIN_NUMBER.match(text):
        return Decimal(text)
    raw = CURRENCY_NOISE.sub("", text)
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    try:
        result = Decimal(raw)
    except InvalidOperation as exc:
        raise CellError(_("Número inválido: %(value)s") % {"value": value}) from exc
    if not result.is_finite():
        raise CellError(_("Número inválido: %(value)s") % {"value": value})
    return result


PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
CURRENCY_NOISE = re.compile(r"(?i)(r\$|us\$|\$|€|brl|usd|\s)")

DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


def moment(value) -> datetime:
    """A trade moment: a date alone is the start of that day (São Paulo)."""
    if is_empty(value):
        raise CellError(_("Data obrigatória."))
    if isinstance(value, datetime):
        return as_moment(value)
    if isinstance(value, date):
        return as_moment(value)
    return _parse_moment(str(value).strip(), timezone.get_current_timezone_name())


@lru_cache(maxsize=4096)
def _parse_moment(raw: str, _zone: str) -> datetime:
    """Files repeat the same few hundred dates: parse each once."""
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return timezone.make_aware(parsed) if ("%H" in fmt) else as_moment(parsed.date())
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CellError(_("Data inválida: %(value)s (use dd/mm/aaaa)") % {"value": raw}) from exc
    return as_moment(parsed)

"""CSV and XLSX exports of transactions, positions and dividends received.

The same columns serve the API (``?format=csv|xlsx``) and the admin's export action. The
transactions export uses the generic CSV import's header names, so an export re-imports as is.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _plain(value):
    """Money keeps its cents ("200.00"); prices and quantities lose trailing zeros ("60", "35.5")."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.as_tuple().exponent < -2 else str(value)
    return "" if value is None else value


TRANSACTION_COLUMNS = [
    Column("id", lambda t: t.pk),
    Column("portfolio", lambda t: t.portfolio.name),
    Column("broker", lambda t: t.broker.name),
    Column("ticker", lambda t: t.asset.ticker),
    Column("market", lambda t: t.asset.market),
    Column("kind", lambda t: t.kind),
    Column("trade_date", lambda t: _local(t.trade_date)),
    Column("quantity", lambda t: t.quantity),
    Column("unit_price", lambda t: t.unit_price),
    Column("gross_amount", lambda t: t.gross_amount),
    Column("brokerage_fee", lambda t: t.brokerage_fee),
    Column("settlement_fee", lambda t: t.settlement_fee),
    Column("emoluments", lambda t: t.emoluments),
    Column("other_costs", lambda t: t.other_costs),
    Column("total_costs", lambda t: t.total_costs),
    Column("net_amount", lambda t: t.net_amount),
    Column("withheld_tax", lambda t: t.withheld_tax),
    Column("currency", lambda t: t.currency),
    Column("fx_rate", lambda t: t.fx_rate),
    Column("notes", lambda t: t.notes),
    Column("source_file", lambda t: t.source_file),
]

POSITION_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("portfolio", lambda p: p.portfolio.name),
    Column("broker", lambda p: p.broker.name),
    Column("ticker", lambda p: p.asset.ticker),
    Column("name", lambda p: p.asset.name),
    Column("asset_type", lambda p: p.asset.asset_type),
    Column("asset_class", lambda p: p.asset.asset_class),
    Column("market", lambda p: p.asset.market),
    Column("currency", lambda p: p.asset.currency),
    Column("quantity", lambda p: p.quantity),
    Column("average_cost", lambda p: p.average_cost),
    Column("cost_basis", lambda p: p.cost_basis),
    Column("cost_basis_brl", lambda p: p.cost_basis_brl),
    Column("realized_pnl", lambda p: p.realized_pnl),
    Column("realized_pnl_brl", lambda p: p.realized_pnl_brl),
    Column("first_trade_date", lambda p: _local(p.first_trade_date)),
    Column("last_trade_date", lambda p: _local(p.last_trade_date)),
]

OPENING_COLUMNS = [
    Column("id", lambda o: o.pk),
    Column("portfolio", lambda o: o.portfolio.name),
    Column("broker", lambda o: o.broker.name),
    Column("ticker", lambda o: o.asset.ticker),
    Column("as_of", lambda o: o.as_of.isoformat()),
    Column("quantity", lambda o: o.quantity),
    Column("average_cost", lambda o: o.average_cost),
    Column("cost_basis", lambda o: o.cost_basis),
    Column("cost_basis_brl", lambda o: o.cost_basis_brl),
    Column("notes", lambda o: o.notes),
]

RECEIPT_COLUMNS = [
    Column("id", lambda r: r.pk),
    Column("ticker", lambda r: r.dividend.asset.ticker),
    Column("kind", lambda r: r.dividend.kind),
    Column("data_com", lambda r: r.dividend.data_com.isoformat()),
    Column("payment_date", lambda r: r.dividend.payment_date.isoformat() if r.dividend.payment_date else ""),
    Column("portfolio", lambda r: r.position.portfolio.name),
    Column("broker", lambda r: r.position.broker.name),
    Column("quantity", lambda r: r.quantity),
    Column("value_per_share", lambda r: r.dividend.value_per_share),
    Column("gross_amount", lambda r: r.gross_amount),
    Column("tax_amount", lambda r: r.tax_amount),
    Column("net_amount", lambda r: r.net_amount),
    Column("currency", lambda r: r.dividend.currency),
    Column("fx_rate", lambda r: r.fx_rate),
    Column("net_amount_brl", lambda r: (r.net_amount * r.fx_rate).quantize(Decimal("0.01"))),
    Column("paid", lambda r: "sim" if r.paid else "não"),
]


def rows(objects: Iterable, columns: list[Column]):
    for obj in objects:
        yield [column.get(obj) for column in columns]


def to_csv(columns: list[Column], objects: Iterable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.header for c in columns])
    writer.writerows([_plain(v) for v in row] for row in rows(objects, columns))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads the accents right


def to_xlsx(columns: list[Column], objects: Iterable, *, title: str = "export") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.header for c in columns])
    for row in rows(objects, columns):
        sheet.append([float(v) if isinstance(v, Decimal) else ("" if v is None else v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(fmt: str, columns: list[Column], objects: Iterable, *, title: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return to_xlsx(columns, objects, title=title), XLSX_MEDIA_TYPE
    return to_csv(columns, objects), f"{CSV_MEDIA_TYPE}; charset=utf-8"

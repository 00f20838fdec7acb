"""The three file layouts: B3 negociação, B3 movimentação, and a generic CSV of trades.

Each turns one spreadsheet row into a :class:`ParsedRow` — a trade, a row ignored on purpose
(with why), or a row with field errors.

- **Negociação** (Área do Investidor → Extratos → Negociação): exchange trades. Only the spot
  markets (à vista, fracionário) are trades here; options, forward and futures rows are ignored.
- **Movimentação**: everything that moved the custody. A "Transferência - Liquidação" (or
  "Transferência") that leaves one institution and arrives at another on the same day, same product
  and quantity is a **custody transfer** between brokers (portabilidade: neither a sale nor a
  purchase, recorded with ``portfolio.services.custody_transfer_create``). One alone is the
  settlement of an exchange trade — the negociação's trade again, at the settlement date — and is
  ignored; import those from the negociação file. Imported: Tesouro Direto and other
  "Compra"/"Venda" rows, exercised subscriptions, amortizations and redemptions. Dividends,
  JCP and rendimentos are ignored (they are computed from the proventos and your holdings), as
  are corporate events (recorded once, globally, by an administrator) and custody transfers.
- **Generic CSV**: one trade per line; headers in English or Portuguese (see ``GENERIC_ALIASES``).
  The transactions export is a valid generic CSV.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import AssetType, Market, TransactionKind
from . import reading
from .reading import CellError, normalise
from .registry import clean_ticker


@dataclass
class ParsedRow:
    line: int
    status: str = "new"  # new | ignored | error (duplicates are found later)
    message: str = ""
    kind: str = ""
    ticker: str = ""
    market: str = Market.BR
    trade_date: datetime | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    brokerage_fee: Decimal | None = None
    settlement_fee: Decimal | None = None
    emoluments: Decimal | None = None
    other_costs: Decimal | None = None
    withheld_tax: Decimal | None = None
    broker_name: str = ""
    currency: str = ""
    fx_rate: Decimal | None = None
    description: str = ""
    declared_type: str = ""
    name: str = ""
    notes: str = ""
    direction: str = ""  # custody legs of the movimentação: "entrada" | "saida"
    to_broker_name: str = ""  # a paired custody transfer: where the shares went
    errors: list = field(default_factory=list)

    def error(self, name, message):
        self.status = "error"
        self.errors.append((name, str(message)))

    def ignore(self, message):
        self.status = "ignored"
        self.message = str(message)
        return self


def _cell(row: ParsedRow, name: str, parse, value, **kwargs):
    try:
        return parse(value, **kwargs)
    except CellError as exc:
        row.error(name, exc)
        return None


def _get(cells: dict, *names):
    for name in names:
        if name in cells and not reading.is_empty(cells[name]):
            return cells[name]
    return None


# --- B3 negociação -------------------------------------------------------------------------

NEGOCIACAO_HEADERS = {"data do negocio", "tipo de movimentacao", "codigo de negociacao", "quantidade", "preco"}
SPOT_MARKETS = {"mercado a vista", "mercado fracionario", "vista", "fracionario", ""}


def parse_negociacao(line: int, cells: dict) -> ParsedRow:
    row = ParsedRow(line=line)
    market = normalise(_get(cells, "mercado") or "")
    if market not in SPOT_MARKETS:
        return row.ignore(_("Mercado %(m)s não é à vista: não importado.") % {"m": reading.text(cells.get("mercado"))})
    movement = normalise(_get(cells, "tipo de movimentacao") or "")
    if movement not in ("compra", "venda"):
        row.error("kind", _("Tipo de movimentação deve ser Compra ou Venda."))
    row.kind = TransactionKind.COMPRA if movement == "compra" else TransactionKind.VENDA
    row.ticker = clean_ticker(reading.text(_get(cells, "codigo de negociacao")))
    if not row.ticker:
        row.error("ticker", _("Código de negociação ausente."))
    row.trade_date = _cell(row, "trade_date", reading.moment, _get(cells, "data do negocio"))
    row.quantity = _cell(row, "quantity", reading.number, _get(cells, "quantidade"))
    row.unit_price = _cell(row, "unit_price", reading.number, _get(cells, "preco"))
    row.broker_name = reading.text(_get(cells, "instituicao"))
    return row


# --- B3 movimentação ----------------------------------------------------------------------

MOVIMENTACAO_HEADERS = {"entrada saida", "movimentacao", "produto", "quantidade"}
MOVEMENT_KINDS = {
    "compra": TransactionKind.COMPRA,
    "venda": TransactionKind.VENDA,
    "compra venda": None,  # Tesouro: the direction comes from Entrada/Saída
    "direitos de subscricao exercido": TransactionKind.SUBSCRICAO,
    "direito de subscricao exercido": TransactionKind.SUBSCRICAO,
    "subscricao": TransactionKind.SUBSCRICAO,
    "amortizacao": TransactionKind.AMORTIZACAO,
    "resgate": TransactionKind.VENDA,
    "vencimento": TransactionKind.VENDA,
    "resgate antecipado": TransactionKind.VENDA,
}
IGNORED_MOVEMENTS = {
    "transferencia liquidacao": gettext_lazy("Liquidação de negócio da bolsa: importe-o pelo arquivo de negociação."),
    "dividendo": gettext_lazy("Proventos são calculados pelas posições, não importados."),
    "juros sobre capital proprio": gettext_lazy("Proventos são calculados pelas posições, não importados."),
    "rendimento": gettext_lazy("Proventos são calculados pelas posições, não importados."),
    "bonificacao em ativos": gettext_lazy("Evento corporativo: cadastrado pelo administrador."),
    "desdobro": gettext_lazy("Evento corporativo: cadastrado pelo administrador."),
    "grupamento": gettext_lazy("Evento corporativo: cadastrado pelo administrador."),
    "atualizacao": gettext_lazy("Evento corporativo: cadastrado pelo administrador."),
    "incorporacao": gettext_lazy("Evento corporativo: cadastrado pelo administrador."),
    "transferencia": gettext_lazy("Transferência de custódia: não muda a posição."),
    "emprestimo": gettext_lazy("Empréstimo de ativos: não muda a posição."),
}


TRANSFER_MOVEMENTS = {"transferencia liquidacao", "transferencia"}
TRANSFER_KIND = "transferencia"
UNPAIRED_TRANSFER = gettext_lazy(
    "Liquidação de negócio da bolsa (sem a outra ponta em outra instituição): importe-o pelo arquivo de negociação."
)


def parse_movimentacao(line: int, cells: dict) -> ParsedRow:
    row = ParsedRow(line=line)
    movement = normalise(_get(cells, "movimentacao") or "")
    direction = normalise(_get(cells, "entrada saida") or "")
    if movement in TRANSFER_MOVEMENTS:
        return _custody_leg(row, cells, direction)
    if movement not in MOVEMENT_KINDS:
        reason = IGNORED_MOVEMENTS.get(movement) or _("Movimentação “%(m)s” não é uma operação: não importada.") % {
            "m": reading.text(cells.get("movimentacao"))
        }
        return row.ignore(reason)
    kind = MOVEMENT_KINDS[movement]
    if kind is None:
        kind = TransactionKind.COMPRA if direction.startswith("credito") else TransactionKind.VENDA
    row.kind = kind
    product = reading.text(_get(cells, "produto"))
    row.description = product
    code, _sep, name = product.partition(" - ")
    code = code.strip()
    if " " in code or not name:
        # "Tesouro Selic 2029", "CDB - BANCO X": the product itself is the title.
        row.ticker = normalise(product).upper().replace(" ", "-")[:32]
        row.name = product[:200]
    else:
        row.ticker = clean_ticker(code)
        row.name = name.strip()[:200]
    if not row.ticker:
        row.error("ticker", _("Produto ausente."))
    row.trade_date = _cell(row, "trade_date", reading.moment, _get(cells, "data"))
    row.quantity = _cell(row, "quantity", reading.number, _get(cells, "quantidade"))
    row.unit_price = _cell(row, "unit_price", reading.number, _get(cells, "preco unitario", "preco"))
    if row.unit_price is None and row.quantity:
        total = _cell(row, "unit_price", reading.number, _get(cells, "valor da operacao", "valor"), required=False)
        if total:
            row.unit_price = total / row.quantity
            row.errors = [e for e in row.errors if e[0] != "unit_price"]
            row.status = "error" if row.errors else "new"
    row.broker_name = reading.text(_get(cells, "instituicao"))
    return row


def _custody_leg(row: ParsedRow, cells: dict, direction: str) -> ParsedRow:
    """One side of a custody movement; :func:`pair_transfers` decides whether it is a transfer."""
    row.kind = TRANSFER_KIND
    row.direction = "entrada" if direction.startswith(("credito", "entrada")) else "saida"
    product = reading.text(_get(cells, "produto"))
    code, _sep, name = product.partition(" - ")
    row.ticker, row.name = clean_ticker(code.strip()), name.strip()[:200]
    if not row.ticker:
        row.error("ticker", _("Produto ausente."))
    row.trade_date = _cell(row, "trade_date", reading.moment, _get(cells, "data"))
    row.quantity = _cell(row, "quantity", reading.number, _get(cells, "quantidade"))
    row.broker_name = reading.text(_get(cells, "instituicao"))
    return row


def pair_transfers(rows) -> list:
    """Match each custody exit with an entry of the same day, product and quantity at another
    institution: the exit becomes the transfer (``to_broker_name`` set), the entry is its pair.
    Unmatched legs are settlements of exchange trades and are ignored with the reason."""
    legs = [r for r in rows if r.kind == TRANSFER_KIND and r.status == "new"]
    entries = [r for r in legs if r.direction == "entrada"]
    transfers = []
    for leg in (r for r in legs if r.direction == "saida"):
        match = next(
            (
                e
                for e in entries
                if e.ticker == leg.ticker
                and e.trade_date == leg.trade_date
                and e.quantity == leg.quantity
                and normalise(e.broker_name) != normalise(leg.broker_name)
            ),
            None,
        )
        if match is None:
            leg.ignore(UNPAIRED_TRANSFER)
            continue
        entries.remove(match)
        leg.to_broker_name = match.broker_name
        match.ignore(_("Entrada da transferência de custódia da linha %(line)d.") % {"line": leg.line})
        transfers.append(leg)
    for entry in entries:
        entry.ignore(UNPAIRED_TRANSFER)
    return transfers


# --- generic CSV ---------------------------------------------------------------------------

GENERIC_ALIASES = {
    "trade_date": ("trade date", "date", "data", "data do negocio", "data da operacao"),
    "kind": ("kind", "tipo", "operacao", "tipo de operacao", "tipo de movimentacao", "side"),
    "ticker": ("ticker", "ativo", "codigo", "codigo de negociacao", "symbol"),
    "market": ("market", "mercado"),
    "quantity": ("quantity", "quantidade", "qtd", "qty"),
    "unit_price": ("unit price", "price", "preco", "preco unitario"),
    "broker": ("broker", "corretora", "instituicao"),
    "brokerage_fee": ("brokerage fee", "corretagem"),
    "settlement_fee": ("settlement fee", "taxa de liquidacao", "liquidacao"),
    "emoluments": ("emoluments", "emolumentos"),
    "other_costs": ("other costs", "outros custos", "outras taxas"),
    "withheld_tax": ("withheld tax", "irrf", "imposto retido"),
    "currency": ("currency", "moeda"),
    "fx_rate": ("fx rate", "cambio", "taxa de cambio"),
    "asset_type": ("asset type", "tipo de ativo"),
    "name": ("name", "nome"),
    "notes": ("notes", "observacoes", "obs"),
}
GENERIC_REQUIRED = ("trade_date", "kind", "ticker", "quantity", "unit_price")
KIND_WORDS = {
    "compra": TransactionKind.COMPRA,
    "c": TransactionKind.COMPRA,
    "buy": TransactionKind.COMPRA,
    "venda": TransactionKind.VENDA,
    "v": TransactionKind.VENDA,
    "sell": TransactionKind.VENDA,
    "subscricao": TransactionKind.SUBSCRICAO,
    "amortizacao": TransactionKind.AMORTIZACAO,
}
MARKET_WORDS = {normalise(value): value for value in Market.values} | {"b3": Market.BR, "brasil": Market.BR}


def generic_columns(headers) -> dict:
    """``{field: header}`` for the headers present; missing required fields are a file error."""
    present = set(headers)
    found = {}
    for name, aliases in GENERIC_ALIASES.items():
        for alias in aliases:
            if alias in present:
                found[name] = alias
                break
    return found


def parse_generic(line: int, cells: dict, columns: dict) -> ParsedRow:
    row = ParsedRow(line=line)

    def get(name):
        header = columns.get(name)
        return cells.get(header) if header else None

    kind = normalise(get("kind") or "")
    if kind not in KIND_WORDS:
        row.error("kind", _("Tipo deve ser compra, venda, subscricao ou amortizacao."))
    row.kind = KIND_WORDS.get(kind, "")
    market = normalise(get("market") or "br")
    if market not in MARKET_WORDS:
        row.error("market", _("Mercado deve ser um de: %(m)s.") % {"m": ", ".join(Market.values)})
    row.market = MARKET_WORDS.get(market, Market.BR)
    row.ticker = reading.text(get("ticker")).upper()
    if row.market == Market.BR:
        row.ticker = clean_ticker(row.ticker)
    if not row.ticker:
        row.error("ticker", _("Ticker ausente."))
    row.trade_date = _cell(row, "trade_date", reading.moment, get("trade_date"))
    row.quantity = _cell(row, "quantity", reading.number, get("quantity"))
    row.unit_price = _cell(row, "unit_price", reading.number, get("unit_price"))
    for name in ("brokerage_fee", "settlement_fee", "emoluments", "other_costs", "withheld_tax", "fx_rate"):
        setattr(row, name, _cell(row, name, reading.number, get(name), required=False))
    row.broker_name = reading.text(get("broker"))
    row.currency = reading.text(get("currency")).upper()
    declared = normalise(get("asset_type") or "").replace(" ", "_")
    if declared and declared not in AssetType.values:
        row.error("asset_type", _("Tipo de ativo desconhecido: %(t)s.") % {"t": get("asset_type")})
    row.declared_type = declared if declared in AssetType.values else ""
    row.name = reading.text(get("name"))
    row.notes = reading.text(get("notes"))
    return row


def detect(headers) -> str:
    present = set(headers)
    if present >= NEGOCIACAO_HEADERS:
        return "b3_negociacao"
    if present >= MOVIMENTACAO_HEADERS:
        return "b3_movimentacao"
    return "csv"

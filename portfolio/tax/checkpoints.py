"""Year-end checkpoints of the consolidated replay: a year's figures without replaying every year before.

Why: the annual report of year Y needs the holdings at 31/12 of Y-1 and what December handed on to
January (losses per basket, the IRRF credit of the year, DARF residuals under R$ 10, the foreign
regime's loss). Those depend on the whole history, and replaying 100,000 trades costs seconds. A
checkpoint keeps them in the database with a fingerprint of everything they were computed from: the
user's trades, dividend receipts, opening balances, custody transfers and leilões de frações dated
up to that day, their tax opening balance, every corporate event and asset classification, the rule
table, the FX rates of foreign bonificações and the tax engine's own source code.

A checkpoint is used only while the fingerprint computed now is the same, so no write path has to
remember to invalidate it and it can never be stale: a changed trade of 2019 makes the 2025 report
replay everything again (and store a fresh checkpoint). On PostgreSQL the fingerprint is one SQL
statement (sums of row hashes, ~60 ms for 100,000 trades); elsewhere (SQLite in development and tests)
the same inputs are hashed in Python.
"""

import hashlib
import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import DatabaseError, IntegrityError, connection, transaction

from .. import ledger
from . import engine
from .models import YearEndCheckpoint

log = logging.getLogger(__name__)

_SOURCES = sorted(
    [*Path(__file__).parent.glob("*.py"), Path(ledger.__file__)],
    key=lambda p: p.name,
)
CODE_VERSION = hashlib.sha256(b"".join(p.read_bytes() for p in _SOURCES)).hexdigest()

# One statement, one row: a count and a sum of row hashes per input (order does not matter).
FINGERPRINT_SQL = """
SELECT
 (SELECT concat(count(*), ':', sum(hashtextextended(concat_ws('|', t.id, t.asset_id, t.broker_id, t.kind,
     t.trade_date, t.quantity, t.gross_amount, t.net_amount, t.withheld_tax, t.fx_rate, t.fx_source), 0)))
    FROM portfolio_transaction t WHERE t.owner_id = %(owner)s AND t.trade_date < %(before)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(r::text || d::text || coalesce(p.broker_id, 0)::text, 0)))
    FROM portfolio_dividendreceipt r JOIN portfolio_dividend d ON d.id = r.dividend_id
    LEFT JOIN portfolio_position p ON p.id = r.position_id
    WHERE r.owner_id = %(owner)s AND d.payment_date <= %(through)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(o::text, 0)))
    FROM portfolio_openingposition o WHERE o.owner_id = %(owner)s AND o.as_of <= %(through)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(c::text, 0)))
    FROM portfolio_custodytransfer c WHERE c.owner_id = %(owner)s AND c.date < %(before)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(f::text, 0)))
    FROM portfolio_fractionsale f WHERE f.owner_id = %(owner)s AND f.date < %(before)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(b::text, 0)))
    FROM portfolio_taxopeningbalance b WHERE b.owner_id = %(owner)s),
 (SELECT concat(count(*), ':', sum(hashtextextended(e::text, 0))) FROM portfolio_corporateevent e),
 (SELECT concat(count(*), ':', sum(hashtextextended(concat_ws('|', a.id, a.ticker, a.market, a.asset_type,
     a.asset_class, a.currency), 0))) FROM portfolio_asset a),
 (SELECT concat(count(*), ':', sum(hashtextextended(x::text, 0))) FROM portfolio_taxrule x)
"""


def fingerprint(*, owner_id, through: date, before: datetime, event_rates) -> str:
    """What the figures at the end of ``through`` were computed from (``before``: the next local midnight;
    ``event_rates``: ``(event id, BRL rate)`` of the foreign bonificações, read from market data)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FINGERPRINT_SQL, {"owner": owner_id, "through": through, "before": before})
            parts = [str(part) for part in cursor.fetchone()]
    else:
        parts = _portable_parts(owner_id, through, before)
    parts += [CODE_VERSION, repr(sorted(event_rates, key=repr))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _digest(queryset, fields) -> str:
    digest = hashlib.sha256()
    for row in queryset.order_by("pk").values_list(*fields):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _portable_parts(owner_id, through: date, before: datetime) -> list[str]:
    """The same inputs as :data:`FINGERPRINT_SQL`, hashed in Python (SQLite: development and tests)."""
    from ..models import (
        Asset,
        CorporateEvent,
        CustodyTransfer,
        Dividend,
        DividendReceipt,
        FractionSale,
        OpeningPosition,
        Transaction,
    )
    from .models import TaxOpeningBalance, TaxRule

    trade_fields = [
        "id", "asset_id", "broker_id", "kind", "trade_date", "quantity", "gross_amount", "net_amount",
        "withheld_tax", "fx_rate", "fx_source",
    ]  # fmt: skip
    receipt_fields = [
        *_columns(DividendReceipt),
        *(f"dividend__{name}" for name in _columns(Dividend)),
        "position__broker_id",
    ]
    mine = {"owner_id": owner_id}
    return [
        _digest(Transaction.objects.filter(**mine, trade_date__lt=before), trade_fields),
        _digest(DividendReceipt.objects.filter(**mine, dividend__payment_date__lte=through), receipt_fields),
        _digest(OpeningPosition.objects.filter(**mine, as_of__lte=through), _columns(OpeningPosition)),
        _digest(CustodyTransfer.objects.filter(**mine, date__lt=before), _columns(CustodyTransfer)),
        _digest(FractionSale.objects.filter(**mine, date__lt=before), _columns(FractionSale)),
        _digest(TaxOpeningBalance.objects.filter(**mine), _columns(TaxOpeningBalance)),
        _digest(CorporateEvent.objects.all(), _columns(CorporateEvent)),
        _digest(Asset.objects.all(), ["id", "ticker", "market", "asset_type", "asset_class", "currency"]),
        _digest(TaxRule.objects.all(), _columns(TaxRule)),
    ]


# --- the stored figures -------------------------------------------------------------------------

_STATE_NUMBERS = ("quantity", "average_cost", "cost_basis", "cost_basis_brl", "realized_pnl", "realized_pnl_brl")


def _holding_to_json(holding: engine.Holding) -> dict:
    state = holding.state
    return {
        **{name: str(getattr(state, name)) for name in _STATE_NUMBERS},
        "first_trade_date": state.first_trade_date.isoformat() if state.first_trade_date else None,
        "last_trade_date": state.last_trade_date.isoformat() if state.last_trade_date else None,
        "by_broker": {str(broker): str(qty) for broker, qty in holding.by_broker.items()},
    }


def _holding_from_json(data: dict) -> engine.Holding:
    moments = {
        name: datetime.fromisoformat(data[name]) if data[name] else None
        for name in ("first_trade_date", "last_trade_date")
    }
    state = ledger.State(**{name: Decimal(data[name]) for name in _STATE_NUMBERS}, **moments)
    return engine.Holding(state=state, by_broker={int(b): Decimal(q) for b, q in data["by_broker"].items()})


def _carry_to_json(carry: engine.Carry | None) -> dict | None:
    if carry is None:
        return None
    return {
        "losses": {basket: str(value) for basket, value in carry.losses.items()},
        "irrf": str(carry.irrf),
        "darf_residual": str(carry.darf_residual),
        "crypto_residual": str(carry.crypto_residual),
        "irrf_year": carry.irrf_year,
    }


def _carry_from_json(data: dict | None) -> engine.Carry | None:
    if data is None:
        return None
    return engine.Carry(
        losses={basket: Decimal(value) for basket, value in data["losses"].items()},
        irrf=Decimal(data["irrf"]),
        darf_residual=Decimal(data["darf_residual"]),
        crypto_residual=Decimal(data["crypto_residual"]),
        irrf_year=data["irrf_year"],
    )


class Checkpoint:
    """The figures at 31/12 of ``year``: ``holdings`` (asset id → Holding, closed ones included),
    ``carry`` (``None`` when no month had been assessed yet) and the foreign regime's ``foreign_loss``."""

    def __init__(self, *, year: int, holdings: dict, carry, foreign_loss: Decimal):
        self.year, self.holdings, self.carry, self.foreign_loss = year, holdings, carry, foreign_loss


def find(*, owner_id, year: int, fingerprint: str) -> Checkpoint | None:
    row = (
        YearEndCheckpoint.objects.filter(owner_id=owner_id, year=year, fingerprint=fingerprint)
        .values_list("holdings", "carry", "foreign_loss")
        .first()
    )
    if row is None:
        return None
    holdings, carry, foreign_loss = row
    return Checkpoint(
        year=year,
        holdings={int(asset): _holding_from_json(h) for asset, h in holdings.items()},
        carry=_carry_from_json(carry),
        foreign_loss=foreign_loss,
    )


def save(*, owner_id, fingerprint: str, checkpoint: Checkpoint) -> None:
    """Keep (or replace) the checkpoint. It is derived data: failing to store it costs only speed."""
    values = {
        "fingerprint": fingerprint,
        "holdings": {str(asset): _holding_to_json(h) for asset, h in checkpoint.holdings.items()},
        "carry": _carry_to_json(checkpoint.carry),
        "foreign_loss": checkpoint.foreign_loss,
    }
    try:
        with transaction.atomic():
            YearEndCheckpoint.objects.update_or_create(owner_id=owner_id, year=checkpoint.year, defaults=values)
    except IntegrityError:  # another request stored it at the same moment
        pass
    except DatabaseError:
        log.warning("tax checkpoint of %s/%s not stored", owner_id, checkpoint.year, exc_info=True)

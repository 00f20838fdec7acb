"""Cash typed by a person: deposits, withdrawals, transfers, fees, taxes, adjustments.

Trades and dividend payments create their own movements (see ``transactions`` and
``dividends``); those are read-only here. Amounts are stored signed relative to ``broker``;
callers give a positive amount for every kind but ``ajuste`` (which carries its own sign).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted

from .. import invalidation, ledger
from ..choices import CASH_OUTFLOW_KINDS, CashKind
from ..dates import as_moment, out_of_range
from ..models import CashMovement

MANUAL_KINDS = (
    CashKind.DEPOSITO,
    CashKind.SAQUE,
    CashKind.TRANSFERENCIA,
    CashKind.TAXA,
    CashKind.IMPOSTO,
    CashKind.AJUSTE,
)
FIELDS = ("broker", "destination_broker", "portfolio", "kind", "amount", "currency", "date", "description")


def signed_amount(kind: str, amount: Decimal) -> Decimal:
    amount = ledger.money(amount)
    if kind == CashKind.AJUSTE:
        return amount
    return -abs(amount) if kind in CASH_OUTFLOW_KINDS else abs(amount)


def _validate(data: dict, *, owner) -> None:
    errors: dict[str, list] = {}
    if data["kind"] not in MANUAL_KINDS:
        errors["kind"] = [_("Este tipo de movimentação é gerado automaticamente por operações e proventos.")]
    if data.get("amount") is None or ledger.money(data["amount"]) == 0:
        errors["amount"] = [_("O valor não pode ser zero.")]
    elif data["kind"] != CashKind.AJUSTE and data["amount"] < 0:
        # The kind gives the direction (a withdrawal leaves the broker): a negative deposit is a
        # typing error, never silently turned into a positive one.
        errors["amount"] = [_("Informe um valor positivo; o tipo da movimentação define se entra ou sai.")]
    if data["kind"] == CashKind.TRANSFERENCIA:
        if data.get("destination_broker") is None:
            errors["destination_broker"] = [_("Uma transferência precisa da corretora de destino.")]
        elif data["destination_broker"].pk == data["broker"].pk:
            errors["destination_broker"] = [_("A corretora de destino deve ser diferente da de origem.")]
    elif data.get("destination_broker") is not None:
        errors["destination_broker"] = [_("Só transferências têm corretora de destino.")]
    portfolio = data.get("portfolio")
    if portfolio is not None and portfolio.owner_id != owner.pk:
        errors["portfolio"] = [_("Carteira não encontrada.")]
    day = data.get("date")
    if day is not None and out_of_range(day.date() if hasattr(day, "date") else day):
        errors["date"] = [_("Data fora do intervalo aceito (1900–2199).")]
    elif day and as_moment(day) > timezone.now():
        errors["date"] = [_("A data não pode estar no futuro.")]
    if errors:
        raise ValidationError(errors)


def _refuse_generated(movement: CashMovement) -> None:
    if movement.transaction_id or movement.dividend_receipt_id:
        raise ValidationError(
            {"detail": [_("Movimentação gerada por uma operação ou provento: altere a origem, não o caixa.")]}
        )


@transaction.atomic
def cash_movement_create(*, owner, actor=None, meta=NO_REQUEST, **data) -> CashMovement:
    data.setdefault("destination_broker", None)
    data.setdefault("portfolio", None)
    data.setdefault("description", "")
    data["date"] = as_moment(data.get("date") or timezone.now())
    _validate(data, owner=owner)
    data["currency"] = (data.get("currency") or data["broker"].default_currency).upper()
    data["amount"] = signed_amount(data["kind"], data["amount"])
    movement = CashMovement.objects.create(owner=owner, **data)
    audit_created(movement, FIELDS, action="portfolio.cash.create", actor=actor, meta=meta)
    invalidation.owner_changed(owner.pk)
    return movement


@transaction.atomic
def cash_movement_update(*, movement: CashMovement, actor=None, meta=NO_REQUEST, **changes) -> CashMovement:
    movement = CashMovement.objects.select_for_update().select_related("owner", "broker").get(pk=movement.pk)
    _refuse_generated(movement)
    merged = {name: changes.get(name, getattr(movement, name)) for name in FIELDS}
    if "amount" not in changes:
        merged["amount"] = abs(movement.amount) if movement.kind != CashKind.AJUSTE else movement.amount
    merged["date"] = as_moment(merged["date"])
    _validate(merged, owner=movement.owner)
    merged["amount"] = signed_amount(merged["kind"], merged["amount"])
    merged["currency"] = (merged["currency"] or merged["broker"].default_currency).upper()
    with audit_changes(movement, FIELDS, action="portfolio.cash.update", actor=actor, meta=meta):
        for name, value in merged.items():
            setattr(movement, name, value)
        movement.save()
    invalidation.owner_changed(movement.owner_id)
    return movement


@transaction.atomic
def cash_movement_delete(*, movement: CashMovement, actor=None, meta=NO_REQUEST) -> None:
    _refuse_generated(movement)
    audit_deleted(movement, FIELDS, action="portfolio.cash.delete", actor=actor, meta=meta)
    owner_id = movement.owner_id
    movement.delete()
    invalidation.owner_changed(owner_id)

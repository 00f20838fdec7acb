"""Brokers, assets and portfolios: plain records, validated and audited in one place."""

import math

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_record

from .. import invalidation
from ..choices import DEFAULT_CLASS_BY_TYPE, AssetType
from ..models import Asset, Broker, Portfolio, Position, Transaction


def _save(instance, data: dict, *, entity: str, actor, meta, exclude=()) -> object:
    """Apply ``data``, validate with the model's own rules, save and audit (create or update)."""
    creating = instance.pk is None
    action = f"portfolio.{entity}.{'create' if creating else 'update'}"
    with audit_changes(instance, data, action=action, actor=actor, meta=meta, creating=creating):
        for name, value in data.items():
            setattr(instance, name, value)
        instance.full_clean(exclude=list(exclude), validate_constraints=True)
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as exc:
            raise ValidationError(_("Registro duplicado ou inconsistente.")) from exc
    return instance


def _delete(instance, *, action: str, actor, meta) -> None:
    if actor is not None:
        audit_record(actor=actor, action=action, target=instance, changes={"id": [instance.pk, None]}, meta=meta)
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as exc:
        raise ValidationError(_("Em uso por operações ou posições: não pode ser excluído.")) from exc


@transaction.atomic
def broker_save(*, broker: Broker | None = None, data: dict, actor=None, meta=NO_REQUEST) -> Broker:
    data = dict(data)
    for key in ("country", "default_currency"):
        if data.get(key):
            data[key] = data[key].upper()
    result = _save(broker or Broker(), data, entity="broker", actor=actor, meta=meta)
    invalidation.everyone_changed()
    return result


@transaction.atomic
def broker_delete(*, broker: Broker, actor=None, meta=NO_REQUEST) -> None:
    _delete(broker, action="portfolio.broker.delete", actor=actor, meta=meta)


@transaction.atomic
def asset_save(*, asset: Asset | None = None, data: dict, actor=None, meta=NO_REQUEST) -> Asset:
    data = dict(data)
    if data.get("asset_type") and not data.get("asset_class") and (asset is None or "asset_type" in data):
        data["asset_class"] = DEFAULT_CLASS_BY_TYPE[AssetType(data["asset_type"])]
    if "ticker" in data:
        data["ticker"] = data["ticker"].strip().upper()
    if data.get("currency"):
        data["currency"] = data["currency"].upper()
    currency_changes = asset is not None and "currency" in data and data["currency"] != asset.currency
    if currency_changes and Transaction.objects.filter(asset=asset).exists():
        raise ValidationError({"currency": [_("O ativo já tem operações: a moeda não pode mudar.")]})
    if data.get("delisted") and not data.get("delisted_at") and not (asset and asset.delisted_at):
        raise ValidationError({"delisted_at": [_("Informe a data da deslistagem.")]})
    result = _save(asset or Asset(), data, entity="asset", actor=actor, meta=meta)
    invalidation.everyone_changed()
    return result


def asset_create(*, data: dict) -> Asset:
    """Insert a new asset; how another app creates one (the quotes app registering a provider's symbol).

    The type's default class is filled in and the model's own rules are checked (a duplicate ticker
    and market is refused by its constraint; one inserted concurrently, on ``ticker``). The caller
    audits under its own action, which says where the asset came from. No cached view changes: a
    new asset is in nobody's positions yet.
    """
    asset = Asset(**data)
    if not asset.asset_class:
        asset.asset_class = DEFAULT_CLASS_BY_TYPE[AssetType(asset.asset_type)]
    asset.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as exc:
        raise ValidationError({"ticker": [_("%(ticker)s já está cadastrado.") % {"ticker": asset.ticker}]}) from exc
    return asset


@transaction.atomic
def asset_delete(*, asset: Asset, actor=None, meta=NO_REQUEST) -> None:
    _delete(asset, action="portfolio.asset.delete", actor=actor, meta=meta)
    invalidation.everyone_changed()


@transaction.atomic
def portfolio_save(*, portfolio: Portfolio | None = None, owner=None, data: dict, actor=None, meta=NO_REQUEST):
    instance = portfolio or Portfolio(owner=owner)
    previous_owner_id = instance.owner_id
    target = data.get("target_allocation")
    if target is not None:
        _check_target(target)
    result = _save(instance, data, entity="portfolio", actor=actor, meta=meta)
    invalidation.owner_changed(result.owner_id)
    if previous_owner_id and previous_owner_id != result.owner_id:
        invalidation.owner_changed(previous_owner_id)
    return result


def _check_target(target) -> None:
    from ..choices import AssetClass

    if not isinstance(target, dict):
        raise ValidationError({"target_allocation": [_("Use um objeto classe → percentual.")]})
    unknown = sorted(set(target) - set(AssetClass.values))
    if unknown:
        raise ValidationError({"target_allocation": [_("Classes desconhecidas: %s") % ", ".join(unknown)]})
    try:
        values = [float(v) for v in target.values()]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"target_allocation": [_("Percentuais devem ser números.")]}) from exc
    if not all(math.isfinite(v) for v in values) or any(v < 0 for v in values) or sum(values) > 100.0001:
        raise ValidationError({"target_allocation": [_("Percentuais entre 0 e 100, somando no máximo 100.")]})


@transaction.atomic
def portfolio_delete(*, portfolio: Portfolio, actor=None, meta=NO_REQUEST) -> None:
    """Delete a portfolio with its trades, positions, receipts and the cash those created."""
    owner_id = portfolio.pk and portfolio.owner_id
    Position.objects.filter(portfolio=portfolio).delete()
    _delete(portfolio, action="portfolio.portfolio.delete", actor=actor, meta=meta)
    invalidation.owner_changed(owner_id)

"""Corporate events: recorded once per asset, applied to every holder's positions as of their date.

Recording, editing or deleting an event replays each owner × asset it touches from the event
date (and, for a ticker change, the new asset too). A delisting marks the asset; it changes no
quantity. Other kinds (cisão, incorporação...) are kept for the record only.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted

from .. import invalidation, market_data
from ..choices import POSITION_EVENT_KINDS, CorporateEventKind
from ..dates import out_of_range, start_of_day
from ..models import Asset, CorporateEvent, OpeningPosition, Position, Transaction
from . import positions

EVENT_FIELDS = (
    "asset",
    "kind",
    "event_date",
    "data_com",
    "ratio_from",
    "ratio_to",
    "assigned_cost",
    "zero_cost_confirmed",
    "new_asset",
    "notes",
)
MAX_RATIO = 1_000_000
RATIO_KINDS = (CorporateEventKind.SPLIT, CorporateEventKind.GRUPAMENTO, CorporateEventKind.BONIFICACAO)


def _validate(data: dict, pk=None) -> None:
    errors: dict[str, list] = {}
    kind = data["kind"]
    for name in ("event_date", "data_com"):
        if out_of_range(data.get(name)):
            errors[name] = [_("Data fora do intervalo aceito (1900–2199).")]
    if errors:
        raise ValidationError(errors)
    if data["event_date"] > timezone.localdate():
        errors["event_date"] = [_("Registre o evento a partir da data em que ele ocorre (não no futuro).")]
    if data.get("data_com") and data["data_com"] > data["event_date"]:
        errors["data_com"] = [_("A data com não pode ser posterior à data do evento.")]
    if kind in RATIO_KINDS:
        for name in ("ratio_from", "ratio_to"):
            value = data.get(name)
            if value is None or value <= 0:
                errors[name] = [_("Informe a proporção (a:b) com números maiores que zero.")]
            elif value > MAX_RATIO:
                errors[name] = [_("Proporção grande demais (máximo %(max)s).") % {"max": MAX_RATIO}]
        if kind == CorporateEventKind.SPLIT and not errors and data["ratio_to"] <= data["ratio_from"]:
            errors["ratio_to"] = [_("Num desdobramento cada ação vira mais de uma (ex.: 1:2).")]
        if kind == CorporateEventKind.GRUPAMENTO and not errors and data["ratio_to"] >= data["ratio_from"]:
            errors["ratio_to"] = [_("Num grupamento várias ações viram uma (ex.: 10:1).")]
        if kind == CorporateEventKind.BONIFICACAO:
            _check_bonus_cost(data, errors)
    else:
        # Other kinds need no proportion, but one given must still be a proportion (the database
        # refuses zero or negative values for every kind).
        for name in ("ratio_from", "ratio_to"):
            value = data.get(name)
            if value is not None and not 0 < value <= MAX_RATIO:
                errors[name] = [_("A proporção deve ser maior que zero (máximo %(max)s).") % {"max": MAX_RATIO}]
    if kind == CorporateEventKind.MUDANCA_TICKER:
        new_asset = data.get("new_asset")
        if new_asset is None:
            errors["new_asset"] = [_("Informe o novo ativo.")]
        elif new_asset.pk == data["asset"].pk:
            errors["new_asset"] = [_("O novo ativo deve ser diferente do atual.")]
        elif new_asset.currency != data["asset"].currency:
            errors["new_asset"] = [_("O novo ativo deve ter a mesma moeda.")]
        else:
            later = Transaction.objects.filter(
                asset=data["asset"], trade_date__gte=start_of_day(data["event_date"])
            ).exists()
            if later:
                errors["event_date"] = [
                    _("Há operações com %(ticker)s a partir desta data: mova-as para o novo ticker antes.")
                    % {"ticker": data["asset"].ticker}
                ]
    clash = CorporateEvent.objects.filter(asset=data["asset"], kind=kind, event_date=data["event_date"])
    if pk:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        errors["event_date"] = [_("Já existe um evento deste tipo para o ativo nesta data.")]
    if errors:
        raise ValidationError(errors)


def _check_bonus_cost(data: dict, errors: dict) -> None:
    """Lei 9.249/1995, art. 10, parágrafo único: the new shares cost the capitalised amount per share.

    Missing → refused; zero → only as an explicit, recorded choice; a foreign asset's cost needs the
    FX of the event date (never converted at 1.0).
    """
    cost = data.get("assigned_cost")
    if cost is None:
        errors["assigned_cost"] = [
            _(
                "Informe o custo atribuído por ação do aviso aos acionistas (Lei 9.249/1995, art. 10, "
                "parágrafo único). Custo zero só com a confirmação explícita."
            )
        ]
    elif cost < 0:
        errors["assigned_cost"] = [_("O custo atribuído não pode ser negativo.")]
    elif cost == 0 and not data.get("zero_cost_confirmed"):
        errors["zero_cost_confirmed"] = [_("Custo atribuído zero: confirme que a empresa não atribuiu custo.")]
    elif (
        cost > 0
        and data["asset"].currency != "BRL"
        and data.get("event_date")
        and market_data.fx_rate_on(currency=data["asset"].currency, on=data["event_date"]) is None
    ):
        errors["event_date"] = [
            _("Sem câmbio %(currency)s conhecido nesta data: cadastre a PTAX antes da bonificação.")
            % {"currency": data["asset"].currency}
        ]


def _replay_holders(asset_ids, since_day: date) -> None:
    """Replay every owner × asset of ``asset_ids`` from ``since_day``."""
    since = start_of_day(since_day)
    pending: dict = {}
    rows = set(Position.objects.filter(asset_id__in=asset_ids).values_list("owner_id", "asset_id").distinct())
    rows |= set(OpeningPosition.objects.filter(asset_id__in=asset_ids).values_list("owner_id", "asset_id").distinct())
    for owner_id, asset_id in rows:
        positions.merge_since(pending, owner_id, asset_id, since)
    positions.replay_many(pending)


def _sync_delisting(asset: Asset) -> None:
    delisting = (
        CorporateEvent.objects.filter(asset=asset, kind=CorporateEventKind.DESLISTAGEM).order_by("event_date").first()
    )
    delisted_at = delisting.event_date if delisting else None
    if asset.delisted != bool(delisting) or asset.delisted_at != delisted_at:
        asset.delisted, asset.delisted_at = bool(delisting), delisted_at
        asset.save(update_fields=["delisted", "delisted_at", "updated_at"])


@transaction.atomic
def event_create(*, actor=None, meta=NO_REQUEST, **data) -> CorporateEvent:
    for name in EVENT_FIELDS:
        data.setdefault(name, "" if name == "notes" else False if name == "zero_cost_confirmed" else None)
    _validate(data)
    event = CorporateEvent.objects.create(**data)
    if event.kind == CorporateEventKind.DESLISTAGEM:
        _sync_delisting(event.asset)
    if event.kind in POSITION_EVENT_KINDS:
        _replay_holders(_affected_assets(event), event.event_date)
        market_data.events_changed(asset_ids=_affected_assets(event))
    invalidation.everyone_changed()
    audit_created(event, EVENT_FIELDS, action="portfolio.event.create", actor=actor, meta=meta)
    return event


def _affected_assets(event) -> set:
    return {event.asset_id, event.new_asset_id} - {None}


@transaction.atomic
def event_update(*, event: CorporateEvent, actor=None, meta=NO_REQUEST, **changes) -> CorporateEvent:
    event = CorporateEvent.objects.select_for_update().select_related("asset").get(pk=event.pk)
    old_assets, old_day, old_kind, old_asset = _affected_assets(event), event.event_date, event.kind, event.asset
    merged = {name: changes.get(name, getattr(event, name)) for name in EVENT_FIELDS}
    _validate(merged, pk=event.pk)
    with audit_changes(event, EVENT_FIELDS, action="portfolio.event.update", actor=actor, meta=meta):
        for name, value in merged.items():
            setattr(event, name, value)
        event.save()
    if CorporateEventKind.DESLISTAGEM in (old_kind, event.kind):
        _sync_delisting(old_asset)
        _sync_delisting(event.asset)
    if old_kind in POSITION_EVENT_KINDS or event.kind in POSITION_EVENT_KINDS:
        _replay_holders(old_assets | _affected_assets(event), min(old_day, event.event_date))
        market_data.events_changed(asset_ids=old_assets | _affected_assets(event))
    invalidation.everyone_changed()
    return event


@transaction.atomic
def event_delete(*, event: CorporateEvent, actor=None, meta=NO_REQUEST) -> None:
    """Delete an event and replay its holders. Refused (400) if a later sale depended on it."""
    event = CorporateEvent.objects.select_for_update().select_related("asset").get(pk=event.pk)
    assets, day, kind, asset = _affected_assets(event), event.event_date, event.kind, event.asset
    audit_deleted(event, EVENT_FIELDS, action="portfolio.event.delete", actor=actor, meta=meta)
    event.delete()
    if kind == CorporateEventKind.DESLISTAGEM:
        _sync_delisting(asset)
    if kind in POSITION_EVENT_KINDS:
        _replay_holders(assets, day)
        market_data.events_changed(asset_ids=assets)
    invalidation.everyone_changed()

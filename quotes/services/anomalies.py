"""Operator review of held prices: approve (the price is written) or reject, once, audited."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_record

from .. import cache as quote_cache
from ..choices import AnomalyKind, AnomalyStatus
from ..models import PriceAnomaly, PriceBar, Quote
from .refresh import after_store


def anomaly_approve(*, anomaly, actor, meta=NO_REQUEST) -> PriceAnomaly:
    """Accept a held price: write it (quote or daily bar) and record who decided."""
    return _review(anomaly, AnomalyStatus.APPROVED, actor=actor, meta=meta, apply=_apply_held_price)


def anomaly_reject(*, anomaly, actor, notes="", meta=NO_REQUEST) -> PriceAnomaly:
    """Discard a held price; the stored data stays as it was."""
    return _review(anomaly, AnomalyStatus.REJECTED, actor=actor, meta=meta, notes=notes)


def _review(anomaly, status, *, actor, meta, apply=None, notes=""):
    """Move a pending anomaly to ``status`` once (concurrent clicks: the row lock decides), audited."""
    with transaction.atomic():
        anomaly = PriceAnomaly.objects.select_for_update().select_related("asset").get(pk=anomaly.pk)
        if anomaly.status != AnomalyStatus.PENDING:
            raise ValidationError(_("Esta anomalia já foi revisada."))
        if apply is not None:
            apply(anomaly)
        anomaly.status = status
        anomaly.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        anomaly.reviewed_at = timezone.now()
        anomaly.notes = notes or anomaly.notes
        anomaly.save(update_fields=["status", "reviewed_by", "reviewed_at", "notes"])
        audit_record(
            actor=actor,
            action="quotes.anomaly.approve" if status == AnomalyStatus.APPROVED else "quotes.anomaly.reject",
            target=anomaly,
            changes={"status": [AnomalyStatus.PENDING, status]},
            meta=meta,
        )
    return anomaly


def _apply_held_price(anomaly):
    data = anomaly.payload or {}
    if anomaly.kind == AnomalyKind.BAR:
        PriceBar.objects.update_or_create(
            asset=anomaly.asset,
            date=anomaly.date,
            defaults={
                "close": anomaly.price,
                "open": _dec(data.get("open")),
                "high": _dec(data.get("high")),
                "low": _dec(data.get("low")),
                "adjusted_close": _dec(data.get("adjusted_close")),
                "volume": data.get("volume"),
                "source": anomaly.source,
            },
        )
    else:
        _apply_held_quote(anomaly, data)


def _apply_held_quote(anomaly, data):
    market_time = datetime.fromisoformat(data["market_time"]) if data.get("market_time") else timezone.now()
    existing = Quote.objects.filter(asset=anomaly.asset).first()
    if existing is not None and existing.market_time > market_time:
        return  # a newer quote has been stored since; keep it
    now = timezone.now()
    row, _created = Quote.objects.update_or_create(
        asset=anomaly.asset,
        defaults={
            "price": anomaly.price,
            "previous_close": _dec(data.get("previous_close")),
            "change": _dec(data.get("change")),
            "change_percent": _dec(data.get("change_percent")),
            "volume": data.get("volume"),
            "currency": data.get("currency") or anomaly.asset.currency,
            "source": anomaly.source,
            "market_time": market_time,
            "fetched_at": now,
        },
    )
    payload = quote_cache.quote_payload(row, anomaly.asset)
    transaction.on_commit(lambda: after_store([payload], now))


def _dec(value):
    return None if value in (None, "") else Decimal(str(value))

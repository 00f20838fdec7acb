"""Alerts that fire once per crossing, their notifications and e-mails.

- **Kinds** (``threshold`` in brackets): price above / below [a price in the asset's currency],
  day change beyond x % either way [x], dividend yield above x % [x: proventos per share with a data
  com in the last 12 months — the asset's DPA when none is recorded — over the latest price], the
  portfolio's allocation by class drifting from its target by more than x points [x], a DARF due in
  n days or fewer [n: an open DARF of the investor with an amount to pay].
- **Once per crossing**: an alert fires when its condition starts to hold, is marked ``triggered``
  and stays quiet while the condition keeps holding; it re-arms when the condition clears. Some
  crossings have a key (the market day for the day change; the DARF's month and code): a new key
  is a new crossing. An alert that cannot be evaluated (no quote yet, no target, no dividends and no
  DPA) is left as it is — never fired on a guess.
- **Snoozed** alerts (``snoozed_until`` in the future) and inactive ones are not evaluated.
- **When**: after quotes are stored (the quotes app calls ``portfolio.services.quotes_changed``,
  which queues ``portfolio.evaluate_alerts`` for those assets) and daily (the scheduling catalogue's
  ``AVALIAR_ALERTAS`` runs every kind, DARFs included).
- **Race-safe and idempotent**: transitions are written for rows locked with ``skip_locked`` and
  re-checked under the lock; each firing's notification has a unique key (alert and firing number),
  so a redelivered task creates nothing twice. E-mails go out after the commit, in a task that only
  takes notifications still ``pendente``.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_created, audit_deleted
from exitus.formats import money_br, percent_br
from exitus.queueing import after_commit, publish_named

from ... import market_data
from ...models import Asset, Dividend, Portfolio
from ..choices import ASSET_ALERTS, AlertKind, NotificationEmail
from ..models import Alert, Notification

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
HUNDRED = Decimal("100")
ALERT_FIELDS = ("kind", "asset", "portfolio", "threshold", "note", "active", "notify_email", "snoozed_until")
# Changing what an alert watches re-arms it (the old crossing says nothing about the new condition).
REARMING_FIELDS = ("kind", "asset", "portfolio", "threshold")
EMAIL_TASK = "portfolio.send_alert_emails"
EVALUATED_FIELDS = (
    "pk", "owner_id", "kind", "asset_id", "portfolio_id", "threshold", "note", "notify_email",
    "triggered", "trigger_key",
)  # fmt: skip
MAX_THRESHOLD = Decimal(10) ** 12


# --- writes by a person ---------------------------------------------------------------------


def _validate(data: dict, *, owner) -> None:
    errors: dict[str, list] = {}
    kind, threshold = data.get("kind"), data.get("threshold")
    if kind not in AlertKind.values:
        raise ValidationError({"kind": [_("Tipo de alerta inválido.")]})
    if threshold is None or threshold < 0 or threshold > MAX_THRESHOLD:
        errors["threshold"] = [_("Informe um limite entre 0 e 10¹².")]
    elif kind in (AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW) and threshold <= 0:
        errors["threshold"] = [_("O preço-limite deve ser maior que zero.")]
    elif kind in (AlertKind.DAY_CHANGE, AlertKind.DIVIDEND_YIELD, AlertKind.ALLOCATION_DRIFT) and not (
        0 < threshold <= 1000
    ):
        errors["threshold"] = [_("Informe um percentual maior que zero (até 1000).")]
    elif kind == AlertKind.DARF_DUE and (threshold != int(threshold) or threshold > 366):
        errors["threshold"] = [_("Informe um número inteiro de dias (0 a 366).")]
    if kind in ASSET_ALERTS:
        if data.get("asset") is None:
            errors["asset"] = [_("Este alerta precisa de um ativo.")]
        if data.get("portfolio") is not None:
            errors["portfolio"] = [_("Alertas de ativo não têm carteira.")]
    elif kind == AlertKind.ALLOCATION_DRIFT:
        portfolio = data.get("portfolio")
        if portfolio is None:
            errors["portfolio"] = [_("Informe a carteira cuja alocação-alvo acompanhar.")]
        elif portfolio.owner_id != owner.pk:
            errors["portfolio"] = [_("Carteira não encontrada.")]
        elif not portfolio.target_allocation:
            errors["portfolio"] = [_("Esta carteira não tem alocação-alvo: cadastre-a antes.")]
    if kind not in ASSET_ALERTS and data.get("asset") is not None:
        errors["asset"] = [_("Este tipo de alerta não é de um ativo.")]
    if kind == AlertKind.DARF_DUE and data.get("portfolio") is not None:
        errors["portfolio"] = [_("O alerta de DARF é do investidor, não de uma carteira.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def alert_create(*, owner, actor=None, meta=NO_REQUEST, **data) -> Alert:
    data.setdefault("note", "")
    data.setdefault("active", True)
    data.setdefault("notify_email", True)
    data.setdefault("snoozed_until", None)
    _validate(data, owner=owner)
    alert = Alert.objects.create(owner=owner, **{name: data.get(name) for name in ALERT_FIELDS})
    audit_created(alert, ALERT_FIELDS, action="portfolio.alert.create", actor=actor, meta=meta)
    return alert


@transaction.atomic
def alert_update(*, alert: Alert, actor=None, meta=NO_REQUEST, **changes) -> Alert:
    alert = Alert.objects.select_for_update(of=("self",)).select_related("owner", "portfolio").get(pk=alert.pk)
    merged = {name: changes.get(name, getattr(alert, name)) for name in ALERT_FIELDS}
    _validate(merged, owner=alert.owner)
    rearm = any(_ref(merged[name]) != _ref(getattr(alert, name)) for name in REARMING_FIELDS)
    with audit_changes(alert, ALERT_FIELDS, action="portfolio.alert.update", actor=actor, meta=meta):
        for name, value in merged.items():
            setattr(alert, name, value)
        if rearm:
            alert.triggered, alert.trigger_key, alert.last_value = False, "", None
        alert.save()
    return alert


def _ref(value):
    return getattr(value, "pk", value)


@transaction.atomic
def alert_delete(*, alert: Alert, actor=None, meta=NO_REQUEST) -> None:
    audit_deleted(alert, ALERT_FIELDS, action="portfolio.alert.delete", actor=actor, meta=meta)
    alert.delete()


def alert_snooze(*, alert: Alert, until: datetime, actor=None, meta=NO_REQUEST) -> Alert:
    """Quiet until ``until`` (not evaluated meanwhile; a crossing after it fires as usual)."""
    if until <= timezone.now():
        raise ValidationError({"until": [_("Informe um momento no futuro.")]})
    if until > timezone.now() + timedelta(days=366):
        raise ValidationError({"until": [_("Adie por no máximo um ano.")]})
    return alert_update(alert=alert, snoozed_until=until, actor=actor, meta=meta)


def alert_unsnooze(*, alert: Alert, actor=None, meta=NO_REQUEST) -> Alert:
    return alert_update(alert=alert, snoozed_until=None, actor=actor, meta=meta)


def notifications_mark_read(*, owner_id, ids=None) -> int:
    """Mark the owner's notifications (``ids``, or all) as read; returns how many changed."""
    queryset = Notification.objects.filter(owner_id=owner_id, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())


def notification_delete(*, notification: Notification) -> None:
    notification.delete()


# --- evaluation -------------------------------------------------------------------------------


@dataclass
class Observation:
    """What an alert's condition looks like now: ``holds`` (``None``: cannot be told), the value,
    the crossing's key, and words for the message."""

    holds: bool | None
    value: Decimal | None = None
    key: str = ""
    context: dict = field(default_factory=dict)


def percent_text(value: Decimal) -> str:
    return percent_br(value, 2)


def _day_change(quote) -> Decimal | None:
    percent = getattr(quote, "change_percent", None)
    if percent is not None:
        return Decimal(percent)
    previous = getattr(quote, "previous_close", None)
    if previous:
        return (quote.price - previous) / previous * HUNDRED
    return None


def observe_asset(kind: str, threshold: Decimal, quote, dps: Decimal | None) -> Observation:
    """The condition of an asset alert against the latest quote (pure)."""
    if quote is None:
        return Observation(None)
    price = quote.price
    context = {"price": price, "currency": quote.currency}
    if kind == AlertKind.PRICE_ABOVE:
        return Observation(price >= threshold, price, "", context)
    if kind == AlertKind.PRICE_BELOW:
        return Observation(price <= threshold, price, "", context)
    if kind == AlertKind.DAY_CHANGE:
        change = _day_change(quote)
        if change is None:
            return Observation(None)
        day = timezone.localtime(quote.market_time).date().isoformat() if quote.market_time else ""
        return Observation(abs(change) >= threshold, change, day, context)
    if kind == AlertKind.DIVIDEND_YIELD:
        if not dps or price <= 0:
            return Observation(None)
        dy = dps / price * HUNDRED
        return Observation(dy >= threshold, dy, "", {**context, "dps": dps})
    raise ValueError(kind)  # pragma: no cover - callers pass asset kinds only


def trailing_dps(asset_ids, *, today: date) -> dict:
    """``{asset_id: proventos per share with a data com in the last 12 months}``; the asset's DPA
    (fundamentals) for assets without any recorded provento in that window."""
    asset_ids = list(asset_ids)
    rows = (
        Dividend.objects.filter(asset_id__in=asset_ids, data_com__gt=today - timedelta(days=365), data_com__lte=today)
        .values("asset_id")
        .annotate(total=Sum("value_per_share"))
        .order_by()
    )
    found = {row["asset_id"]: row["total"] for row in rows}
    missing = [pk for pk in asset_ids if pk not in found]
    if missing:
        for pk, dps in Asset.objects.filter(pk__in=missing, dps__isnull=False).values_list("pk", "dps"):
            found[pk] = dps
    return found


def _allocation_observation(portfolio: Portfolio, threshold: Decimal) -> Observation:
    from ...selectors import dashboard

    rows = dashboard(owner_id=portfolio.owner_id, portfolio=portfolio)["target_allocation"]
    if not portfolio.target_allocation or not rows:
        return Observation(None)
    worst = max(rows, key=lambda row: abs(Decimal(row["difference_pct"])))
    drift = abs(Decimal(worst["difference_pct"]))
    return Observation(drift > threshold, drift, "", {"class": worst["label"], "row": worst})


def _darf_observations(owner, alerts: list, today: date) -> dict:
    """``{alert_id: Observation}`` for one owner's DARF alerts (one tax computation per owner)."""
    from ...tax.selectors import darf_year

    rows = []
    years = {today.year} | ({today.year - 1} if today.month == 1 else set())
    for year in sorted(years):
        rows += [
            row
            for row in darf_year(owner=owner, year=year, today=today)
            if row["state"] == "em_aberto" and row["amount"] > 0
        ]
    rows.sort(key=lambda row: (row["due_date"], row["code"]))
    found = {}
    for alert in alerts:
        due = [row for row in rows if 0 <= (row["due_date"] - today).days <= alert.threshold]
        if not due:
            found[alert.pk] = Observation(False)
            continue
        row = due[0]
        days = (row["due_date"] - today).days
        found[alert.pk] = Observation(
            True,
            Decimal(days),
            f"{row['month']:%Y-%m}:{row['code']}",
            {"due_date": row["due_date"], "amount": row["amount"], "code": row["code"], "month": row["month"]},
        )
    return found


def _message(alert: Alert, observation: Observation) -> tuple[str, str]:
    kind, threshold, ctx = alert.kind, alert.threshold, observation.context
    ticker = alert.asset.ticker if alert.asset_id else ""
    currency = ctx.get("currency", "BRL")
    if kind == AlertKind.PRICE_ABOVE:
        title = _("%(t)s acima de %(l)s") % {"t": ticker, "l": money_br(threshold, currency)}
        body = _("%(t)s está a %(p)s, acima do limite de %(l)s.") % {
            "t": ticker,
            "p": money_br(ctx["price"], currency),
            "l": money_br(threshold, currency),
        }
    elif kind == AlertKind.PRICE_BELOW:
        title = _("%(t)s abaixo de %(l)s") % {"t": ticker, "l": money_br(threshold, currency)}
        body = _("%(t)s está a %(p)s, abaixo do limite de %(l)s.") % {
            "t": ticker,
            "p": money_br(ctx["price"], currency),
            "l": money_br(threshold, currency),
        }
    elif kind == AlertKind.DAY_CHANGE:
        title = _("%(t)s variou %(v)s no dia") % {"t": ticker, "v": percent_text(observation.value)}
        body = _("%(t)s está a %(p)s, variação de %(v)s no dia (limite: %(l)s).") % {
            "t": ticker,
            "p": money_br(ctx["price"], currency),
            "v": percent_text(observation.value),
            "l": percent_text(threshold),
        }
    elif kind == AlertKind.DIVIDEND_YIELD:
        title = _("%(t)s com dividend yield de %(v)s") % {"t": ticker, "v": percent_text(observation.value)}
        body = _("%(t)s a %(p)s rende %(v)s em 12 meses (proventos de %(d)s por ação; limite: %(l)s).") % {
            "t": ticker,
            "p": money_br(ctx["price"], currency),
            "v": percent_text(observation.value),
            "d": money_br(ctx["dps"], currency),
            "l": percent_text(threshold),
        }
    elif kind == AlertKind.ALLOCATION_DRIFT:
        row = ctx["row"]
        title = _("%(c)s fora da meta em %(n)s") % {"c": alert.portfolio.name, "n": ctx["class"]}
        body = _("%(k)s está em %(a)s %% da carteira %(c)s; a meta é %(t)s %% (desvio acima de %(l)s pontos).") % {
            "k": ctx["class"],
            "a": row["actual_pct"].replace(".", ","),
            "c": alert.portfolio.name,
            "t": row["target_pct"].replace(".", ","),
            "l": f"{threshold.normalize():f}".replace(".", ","),
        }
    else:
        title = _("DARF %(code)s vence em %(d)s") % {"code": ctx["code"], "d": ctx["due_date"].strftime("%d/%m/%Y")}
        body = _("O DARF %(code)s de %(m)s, de %(v)s, vence em %(d)s (em %(n)s dia(s)).") % {
            "code": ctx["code"],
            "m": ctx["month"].strftime("%m/%Y"),
            "v": money_br(ctx["amount"]),
            "d": ctx["due_date"].strftime("%d/%m/%Y"),
            "n": int(observation.value),
        }
    if alert.note:
        body += "\n" + alert.note
    return title[:200], body


def _candidates(*, asset_ids, now):
    alerts = Alert.objects.filter(active=True).filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    if asset_ids is None:
        return alerts
    asset_ids = list(asset_ids)
    held_by = Portfolio.objects.filter(positions__asset_id__in=asset_ids, positions__quantity__gt=0).values("pk")
    return alerts.filter(
        Q(kind__in=[k.value for k in ASSET_ALERTS], asset_id__in=asset_ids)
        | Q(kind=AlertKind.ALLOCATION_DRIFT, portfolio_id__in=held_by)
    )


def evaluate_alerts(*, asset_ids=None, now: datetime | None = None) -> dict:
    """Evaluate active, unsnoozed alerts: those watching ``asset_ids`` (after a quote refresh; the
    allocation alerts of portfolios holding them too), or every alert (daily). Returns counts."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    alerts = list(
        _candidates(asset_ids=asset_ids, now=now)
        .select_related("asset")
        .only(*EVALUATED_FIELDS, "asset__ticker", "asset__currency")
    )
    observed = _observe(alerts, today)
    fire, rearm = [], []
    for alert in alerts:
        observation = observed.get(alert.pk)
        if observation is None or observation.holds is None:
            continue
        if observation.holds and (not alert.triggered or observation.key != alert.trigger_key):
            fire.append((alert, observation))
        elif not observation.holds and alert.triggered:
            rearm.append(alert)
    counts = {"evaluated": len(alerts), "fired": 0, "rearmed": 0, "unknown": len(alerts) - len(observed)}
    counts["unknown"] += sum(1 for o in observed.values() if o.holds is None)
    if fire or rearm:
        fired, rearmed = _write(fire, rearm, now)
        counts["fired"], counts["rearmed"] = fired, rearmed
    return counts


def _observe(alerts: list, today: date) -> dict:
    found: dict = {}
    asset_alerts = [a for a in alerts if a.kind in ASSET_ALERTS]
    if asset_alerts:
        ids = {a.asset_id for a in asset_alerts}
        quotes = market_data.latest_quotes(asset_ids=ids)
        wants_dps = {a.asset_id for a in asset_alerts if a.kind == AlertKind.DIVIDEND_YIELD}
        dps = trailing_dps(wants_dps, today=today) if wants_dps else {}
        for alert in asset_alerts:
            found[alert.pk] = observe_asset(
                alert.kind, alert.threshold, quotes.get(alert.asset_id), dps.get(alert.asset_id)
            )
    for alert in (a for a in alerts if a.kind == AlertKind.ALLOCATION_DRIFT):
        found[alert.pk] = _allocation_observation(alert.portfolio, alert.threshold)
    darf: dict = {}
    for alert in (a for a in alerts if a.kind == AlertKind.DARF_DUE):
        darf.setdefault(alert.owner_id, []).append(alert)
    for owner_alerts in darf.values():
        found.update(_darf_observations(owner_alerts[0].owner, owner_alerts, today))
    return found


def _write(fire: list, rearm: list, now: datetime) -> tuple[int, int]:
    """Apply the transitions to rows locked now (re-checked under the lock), create the notifications.

    Set-based: one UPDATE per crossing key for the alerts that fire, one for those that re-arm, and
    their last values in batches of ``CASE`` — constant statements whatever the number of alerts."""
    wanted = {alert.pk: (alert, observation) for alert, observation in fire}
    clear = {alert.pk for alert in rearm}
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[*wanted, *clear])
            .values_list("pk", "triggered", "trigger_key", "fire_count")
        )
        fired_by_key: dict = {}
        rearmed, notifications, values = [], [], []
        emails = _emails({wanted[pk][0].owner_id for pk in wanted})
        for pk, triggered, key, count in locked:
            if pk in wanted:
                alert, observation = wanted[pk]
                if triggered and key == observation.key:
                    continue  # another evaluation fired it already
                fired_by_key.setdefault(observation.key, []).append(pk)
                values.append((pk, _bounded(observation.value)))
                notifications.append(_notification(alert, observation, count + 1, emails.get(alert.owner_id, "")))
            elif triggered:
                rearmed.append(pk)
        for key, ids in fired_by_key.items():
            Alert.objects.filter(pk__in=ids).update(
                triggered=True, trigger_key=key, fire_count=F("fire_count") + 1, last_fired_at=now, updated_at=now
            )
        if rearmed:
            Alert.objects.filter(pk__in=rearmed).update(triggered=False, trigger_key="", updated_at=now)
        _set_last_values(values)
        Notification.objects.bulk_create(notifications, batch_size=1000, ignore_conflicts=True)
        if any(n.email_status == NotificationEmail.PENDING for n in notifications):
            after_commit(lambda: publish_named(EMAIL_TASK))
    return len(notifications), len(rearmed)


def _emails(owner_ids) -> dict:
    from django.contrib.auth import get_user_model

    return dict(get_user_model().objects.filter(pk__in=list(owner_ids)).values_list("pk", "email"))


def _set_last_values(values: list, batch: int = 500) -> None:
    """``UPDATE … SET last_value = CASE id WHEN … END`` in batches (one statement per batch)."""
    table = connection.ops.quote_name(Alert._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch):
            chunk = values[start : start + batch]
            cases = " ".join("WHEN %s THEN CAST(%s AS NUMERIC)" for _pk in chunk)
            marks = ", ".join("%s" for _pk in chunk)
            params = [item for pk, value in chunk for item in (pk, value)] + [pk for pk, _value in chunk]
            cursor.execute(
                f"UPDATE {table} SET last_value = CASE id {cases} END WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                params,
            )


def _bounded(value: Decimal | None) -> Decimal | None:
    if value is None or abs(value) >= Decimal(10) ** 15:
        return None
    return value.quantize(Decimal("0.00000001"), ROUND_HALF_UP)


def _notification(alert: Alert, observation: Observation, number: int, email: str) -> Notification:
    title, message = _message(alert, observation)
    wants_email = alert.notify_email and bool(email)
    data = {
        "alert_id": alert.pk,
        "kind": alert.kind,
        "threshold": f"{alert.threshold.normalize():f}",
        "value": None if observation.value is None else f"{_bounded(observation.value).normalize():f}",
        "key": observation.key,
    }
    if alert.asset_id:
        data["asset_id"], data["ticker"] = alert.asset_id, alert.asset.ticker
    if alert.portfolio_id:
        data["portfolio_id"] = alert.portfolio_id
    return Notification(
        owner_id=alert.owner_id,
        alert=alert,
        kind=alert.kind,
        key=f"alert:{alert.pk}:{number}",
        title=title,
        message=message,
        data=data,
        email_status=NotificationEmail.PENDING if wants_email else NotificationEmail.NOT_WANTED,
    )


# --- e-mail ------------------------------------------------------------------------------------


def send_alert_emails(*, batch_size: int = 200) -> dict:
    """Send the pending notifications' e-mails (each at most once: only ``pendente`` rows are taken,
    locked, and marked in the same transaction). A failure is recorded (``falhou``) for the admin."""
    counts = {"sent": 0, "failed": 0}
    while True:
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(email_status=NotificationEmail.PENDING)
                .select_related("owner")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return counts
            for notification in batch:
                notification.email_status = _send(notification)
                if notification.email_status == NotificationEmail.SENT:
                    notification.emailed_at = timezone.now()
                    counts["sent"] += 1
                else:
                    counts["failed"] += 1
            Notification.objects.bulk_update(batch, ["email_status", "emailed_at"])


def _send(notification: Notification) -> str:
    address = notification.owner.email
    if not address:
        return NotificationEmail.NOT_WANTED
    try:
        EmailMessage(
            subject=f"[Exitus] {notification.title}",
            body=notification.message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        ).send()
    except Exception as exc:  # noqa: BLE001 - any transport error: recorded, shown in the admin
        logger.warning("alert e-mail failed: %s", exc.__class__.__name__)
        return NotificationEmail.FAILED
    return NotificationEmail.SENT


def notifications_resend(*, ids) -> int:
    """Put failed e-mails back in the queue (admin action); the task is queued after the commit."""
    with transaction.atomic():
        count = Notification.objects.filter(pk__in=list(ids), email_status=NotificationEmail.FAILED).update(
            email_status=NotificationEmail.PENDING
        )
        if count:
            after_commit(lambda: publish_named(EMAIL_TASK))
    return count

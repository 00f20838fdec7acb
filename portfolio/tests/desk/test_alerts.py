"""Alerts: each kind, once per crossing, re-arm, snooze, notifications and e-mails, the quotes hook."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from portfolio import services as portfolio_services
from portfolio.desk import services
from portfolio.desk.choices import AlertKind, NotificationEmail
from portfolio.desk.models import Alert, Notification
from portfolio.desk.services.alerts import observe_asset
from quotes.models import Quote

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2025, 6, 10, 15, 0))


def quote(asset, price, *, previous=None, change_percent=None, at=NOW):
    Quote.objects.update_or_create(
        asset=asset,
        defaults={
            "price": D(price),
            "previous_close": D(previous) if previous is not None else None,
            "change_percent": D(change_percent) if change_percent is not None else None,
            "currency": asset.currency,
            "source": "teste",
            "market_time": at,
            "fetched_at": at,
        },
    )


@pytest.fixture
def petr():
    return AssetFactory(ticker="PETR4", name="Petrobras PN")


def alert(owner, kind, threshold, **extra):
    return services.alert_create(owner=owner, kind=kind, threshold=D(threshold), **extra)


def test_price_alert_fires_once_per_crossing_and_rearms(user, petr):
    item = alert(user, AlertKind.PRICE_ABOVE, "40", asset=petr, actor=user)
    assert AuditEvent.objects.filter(action="portfolio.alert.create").exists()
    quote(petr, "39.99")
    assert services.evaluate_alerts(asset_ids=[petr.pk], now=NOW)["fired"] == 0
    quote(petr, "40.00")
    assert services.evaluate_alerts(asset_ids=[petr.pk], now=NOW)["fired"] == 1
    quote(petr, "41.00")
    assert services.evaluate_alerts(asset_ids=[petr.pk], now=NOW)["fired"] == 0  # still above: quiet
    assert Notification.objects.count() == 1
    quote(petr, "39.00")
    assert services.evaluate_alerts(asset_ids=[petr.pk], now=NOW) == {
        "evaluated": 1,
        "fired": 0,
        "rearmed": 1,
        "unknown": 0,
    }
    item.refresh_from_db()
    assert not item.triggered
    quote(petr, "40.50")
    services.evaluate_alerts(now=NOW)
    item.refresh_from_db()
    assert item.triggered and item.fire_count == 2 and item.last_value == D("40.5")
    notes = list(Notification.objects.order_by("pk"))
    assert [n.key for n in notes] == [f"alert:{item.pk}:1", f"alert:{item.pk}:2"]
    assert notes[0].title == "PETR4 acima de R$ 40,00"
    assert notes[1].message == "PETR4 está a R$ 40,50, acima do limite de R$ 40,00."
    assert notes[0].data["ticker"] == "PETR4" and notes[0].email_status == NotificationEmail.PENDING


def test_price_below_and_no_quote_is_left_alone(user, petr):
    item = alert(user, AlertKind.PRICE_BELOW, "30", asset=petr)
    assert services.evaluate_alerts(now=NOW)["unknown"] == 1
    quote(petr, "29.5")
    assert services.evaluate_alerts(now=NOW)["fired"] == 1
    item.refresh_from_db()
    assert item.triggered


def test_day_change_fires_again_on_a_new_day(user, petr):
    alert(user, AlertKind.DAY_CHANGE, "3", asset=petr)
    quote(petr, "30", change_percent="-3.5")
    assert services.evaluate_alerts(now=NOW)["fired"] == 1
    assert services.evaluate_alerts(now=NOW)["fired"] == 0
    quote(petr, "29", change_percent="-4", at=NOW + timedelta(days=1))
    assert services.evaluate_alerts(now=NOW + timedelta(days=1))["fired"] == 1  # another day, another crossing
    quote(petr, "29", previous="28", at=NOW + timedelta(days=2))  # +3.57 % from the previous close
    assert services.evaluate_alerts(now=NOW + timedelta(days=2))["fired"] == 1
    quote(petr, "29", at=NOW + timedelta(days=3))  # no change known: cannot be told
    assert services.evaluate_alerts(now=NOW + timedelta(days=3))["unknown"] == 1
    assert "variou -4,00% no dia" in Notification.objects.order_by("pk")[1].title


def test_dividend_yield_from_recorded_proventos_or_dpa(user, petr):
    alert(user, AlertKind.DIVIDEND_YIELD, "10", asset=petr)
    quote(petr, "30")
    assert services.evaluate_alerts(now=NOW)["unknown"] == 1  # no proventos, no DPA: never a guess
    petr.dps = D("3.30")
    petr.save()
    assert services.evaluate_alerts(now=NOW)["fired"] == 1  # 11 %
    assert "rende 11,00% em 12 meses" in Notification.objects.get().message
    other = AssetFactory(ticker="TAEE11")
    alert(user, AlertKind.DIVIDEND_YIELD, "8", asset=other)
    portfolio_services.dividend_create(
        asset=other, kind="dividendo", value_per_share=D("2.00"), data_com=date(2025, 5, 1)
    )
    portfolio_services.dividend_create(
        asset=other,
        kind="dividendo",
        value_per_share=D("9.00"),
        data_com=date(2024, 5, 1),  # too old
    )
    quote(other, "20")
    assert services.evaluate_alerts(asset_ids=[other.pk], now=NOW)["fired"] == 1  # 2 / 20 = 10 %


def test_allocation_drift(user):
    portfolio = PortfolioFactory(owner=user, target_allocation={"renda_variavel": 50, "renda_fixa": 50})
    stock = AssetFactory(ticker="ITSA4")
    trade(portfolio, stock, "compra", 100, "10", broker=BrokerFactory(name="XP Investimentos"), on="2025-03-10")
    item = alert(user, AlertKind.ALLOCATION_DRIFT, "20", portfolio=portfolio)
    quote(stock, "10")
    assert services.evaluate_alerts(asset_ids=[stock.pk], now=NOW)["fired"] == 1  # 100 % vs 50 %
    note = Notification.objects.get()
    assert note.title == f"{portfolio.name} fora da meta em Renda fixa"  # a tie: the first class in order
    assert "Renda fixa está em 0,00 % da carteira" in note.message and "meta é 50,00 %" in note.message
    item.refresh_from_db()
    assert item.last_value == D("50")


def test_allocation_without_target_is_refused(user):
    portfolio = PortfolioFactory(owner=user)
    with pytest.raises(ValidationError) as error:
        alert(user, AlertKind.ALLOCATION_DRIFT, "5", portfolio=portfolio)
    assert "portfolio" in error.value.message_dict


def test_darf_due_in_n_days(user, settings):
    portfolio = PortfolioFactory(owner=user)
    stock = AssetFactory(ticker="VALE3")
    xp = BrokerFactory(name="XP Investimentos")
    trade(portfolio, stock, "compra", 1000, "50", broker=xp, on="2025-04-01")
    trade(portfolio, stock, "venda", 1000, "60", broker=xp, on="2025-04-15")  # R$ 10.000 gain → DARF
    item = alert(user, AlertKind.DARF_DUE, "5")
    # the DARF of April/2025 is due on 30/05/2025
    assert services.evaluate_alerts(now=timezone.make_aware(datetime(2025, 5, 20, 9)))["fired"] == 0
    assert services.evaluate_alerts(now=timezone.make_aware(datetime(2025, 5, 26, 9)))["fired"] == 1
    assert services.evaluate_alerts(now=timezone.make_aware(datetime(2025, 5, 27, 9)))["fired"] == 0
    note = Notification.objects.get()
    assert note.title == "DARF 6015 vence em 30/05/2025"
    assert (
        "de R$ 1.497,00" in note.message
    )  # 15 % of R$ 10.000 less the 0,005 % IRRF on the sale and "(em 4 dia(s))" in note.message
    assert services.evaluate_alerts(now=timezone.make_aware(datetime(2025, 6, 2, 9)))["rearmed"] == 1
    item.refresh_from_db()
    assert not item.triggered


def test_snoozed_and_inactive_alerts_are_not_evaluated(user, petr):
    item = alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.alert_snooze(alert=item, until=timezone.now() + timedelta(hours=2), actor=user)
    assert services.evaluate_alerts()["evaluated"] == 0
    services.alert_unsnooze(alert=item, actor=user)
    services.alert_update(alert=item, active=False)
    assert services.evaluate_alerts()["evaluated"] == 0
    services.alert_update(alert=item, active=True)
    assert services.evaluate_alerts()["fired"] == 1
    with pytest.raises(ValidationError):
        services.alert_snooze(alert=item, until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.alert_snooze(alert=item, until=timezone.now() + timedelta(days=400))


def test_changing_the_threshold_rearms(user, petr):
    item = alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.evaluate_alerts(now=NOW)
    services.alert_update(alert=item, threshold=D("15"), actor=user)
    item.refresh_from_db()
    assert not item.triggered
    assert services.evaluate_alerts(now=NOW)["fired"] == 1
    services.alert_update(alert=item, note="olhar balanço")
    item.refresh_from_db()
    assert item.triggered  # a note does not re-arm


@pytest.mark.parametrize(
    ("kind", "threshold", "extra", "field"),
    [
        ("preco_acima", "0", {"asset": True}, "threshold"),
        ("preco_acima", "10", {}, "asset"),
        ("variacao_dia", "0", {"asset": True}, "threshold"),
        ("darf_vencendo", "2.5", {}, "threshold"),
        ("darf_vencendo", "5", {"asset": True}, "asset"),
        ("darf_vencendo", "5", {"portfolio": True}, "portfolio"),
        ("desvio_alocacao", "5", {}, "portfolio"),
        ("preco_acima", "10", {"asset": True, "portfolio": True}, "portfolio"),
        ("nada", "10", {}, "kind"),
    ],
)
def test_validation(user, petr, kind, threshold, extra, field):
    data = {"asset": petr if extra.get("asset") else None}
    if extra.get("portfolio"):
        data["portfolio"] = PortfolioFactory(owner=user, target_allocation={"renda_fixa": 100})
    with pytest.raises(ValidationError) as error:
        services.alert_create(owner=user, kind=kind, threshold=D(threshold), **data)
    assert field in error.value.message_dict
    assert not Alert.objects.exists()


def test_emails_are_sent_once(user, petr, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    alert(user, AlertKind.PRICE_BELOW, "100", asset=petr, notify_email=False)
    quote(petr, "20")
    with (
        mock.patch("portfolio.desk.services.alerts.publish_named") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.evaluate_alerts(now=NOW)
    publish.assert_called_once_with("portfolio.send_alert_emails")
    assert services.send_alert_emails() == {"sent": 1, "failed": 0}
    assert services.send_alert_emails() == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "[Exitus] PETR4 acima de R$ 10,00"
    statuses = set(Notification.objects.values_list("email_status", flat=True))
    assert statuses == {NotificationEmail.SENT, NotificationEmail.NOT_WANTED}


def test_failed_email_is_recorded_and_can_be_resent(user, petr):
    alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.evaluate_alerts(now=NOW)
    with mock.patch("portfolio.desk.services.alerts.EmailMessage.send", side_effect=OSError("smtp down")):
        assert services.send_alert_emails() == {"sent": 0, "failed": 1}
    note = Notification.objects.get()
    assert note.email_status == NotificationEmail.FAILED
    assert services.notifications_resend(ids=[note.pk]) == 1
    assert services.send_alert_emails()["sent"] == 1


def test_user_without_email(user, petr):
    user.email = ""
    user.save()
    alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.evaluate_alerts(now=NOW)
    assert Notification.objects.get().email_status == NotificationEmail.NOT_WANTED


def test_a_second_evaluation_of_the_same_crossing_creates_nothing(user, petr):
    item = alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.evaluate_alerts(now=NOW)
    Alert.objects.filter(pk=item.pk).update(triggered=False)  # as if another worker raced us
    Alert.objects.filter(pk=item.pk).update(triggered=True, fire_count=0)
    Alert.objects.filter(pk=item.pk).update(triggered=False)
    services.evaluate_alerts(now=NOW)
    assert Notification.objects.count() == 1  # same key alert:<pk>:1 → ignored


def test_mark_read(user, other_user, petr):
    alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    alert(other_user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    services.evaluate_alerts(now=NOW)
    assert services.notifications_mark_read(owner_id=user.pk) == 1
    assert services.notifications_mark_read(owner_id=user.pk) == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_observe_asset_helpers(petr):
    class Q:
        price = Decimal("10")
        currency = "USD"
        change_percent = None
        previous_close = None
        market_time = None

    assert observe_asset(AlertKind.DIVIDEND_YIELD, Decimal("5"), Q(), None).holds is None
    assert observe_asset(AlertKind.PRICE_ABOVE, Decimal("5"), None, None).holds is None


def test_quotes_hook_queues_only_when_someone_watches(user, petr):
    with mock.patch("portfolio.services.market.publish_named", return_value=True) as publish:
        assert portfolio_services.quotes_changed(asset_ids=[petr.pk]) is False
        alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
        assert portfolio_services.quotes_changed(asset_ids=[petr.pk, petr.pk]) is True
        assert portfolio_services.quotes_changed(asset_ids=[]) is False
    publish.assert_called_once_with("portfolio.evaluate_alerts", kwargs={"asset_ids": [petr.pk]})


def test_tasks(user, petr):
    from portfolio.desk import tasks

    alert(user, AlertKind.PRICE_ABOVE, "10", asset=petr)
    quote(petr, "20")
    assert tasks.evaluate_alerts.apply(kwargs={"asset_ids": [str(petr.pk)]}).get()["fired"] == 1
    assert tasks.evaluate_alerts.apply().get()["fired"] == 0
    assert tasks.send_alert_emails.apply().get() == {"sent": 1, "failed": 0}

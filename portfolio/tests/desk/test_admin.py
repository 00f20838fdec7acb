"""The desk's admin pages: render, import through the services, differences with ledger links."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolio.desk import services
from portfolio.desk.models import Reconciliation

from .conftest import AS_OF, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_reconciliation_pages(admin_client, desk):
    run, _ = services.reconcile_positions(owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=AS_OF)
    assert admin_client.get(reverse("admin:portfolio_reconciliation_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:portfolio_reconciliation_change", args=[run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/api/v1/positions/consolidated/{desk.assets['ITSA4'].pk}/ledger/?owner={desk.owner.pk}" in html
    assert "bonificação de 10%" in html
    lines = admin_client.get(
        reverse("admin:portfolio_reconciliationline_changelist") + f"?reconciliation__id__exact={run.pk}"
    )
    assert lines.status_code == 200 and "TESOURO-SELIC-2029" in lines.content.decode()


def test_reconciliation_import_view(admin_client, desk):
    url = reverse("admin:portfolio_reconciliation_import")
    assert admin_client.get(url).status_code == 200
    missing = admin_client.post(
        url, {"file": SimpleUploadedFile("p.csv", sample("posicao-2025-03-31.csv")), "kind": "posicao"}
    )
    assert missing.status_code == 200 and Reconciliation.objects.count() == 0  # neither owner nor portfolio
    no_date = admin_client.post(
        url,
        {
            "file": SimpleUploadedFile("p.csv", sample("posicao-2025-03-31.csv")),
            "kind": "posicao",
            "owner": desk.owner.pk,
        },
    )
    assert no_date.status_code == 200 and "as_of" in no_date.context["form"].errors
    done = admin_client.post(
        url,
        {
            "file": SimpleUploadedFile("posicao-2025-03-31.xlsx", sample("posicao-2025-03-31.xlsx")),
            "kind": "posicao",
            "owner": desk.owner.pk,
        },
    )
    run = Reconciliation.objects.get()
    assert done.status_code == 302 and run.owner == desk.owner and run.open_issues == 9
    again = admin_client.post(
        url,
        {
            "file": SimpleUploadedFile("posicao-2025-03-31.xlsx", sample("posicao-2025-03-31.xlsx")),
            "kind": "posicao",
            "portfolio": desk.portfolio.pk,
        },
    )
    assert again.status_code == 302 and Reconciliation.objects.count() == 2  # another scope: its own run
    delete = admin_client.post(reverse("admin:portfolio_reconciliation_delete", args=[run.pk]), {"post": "yes"})
    assert delete.status_code == 302 and Reconciliation.objects.count() == 1


def test_import_view_is_for_admins_only(client, desk):
    client.force_login(desk.owner)
    assert client.get(reverse("admin:portfolio_reconciliation_import")).status_code in (302, 403)


def test_alert_admin_add_change_and_actions(admin_client, desk):
    from unittest import mock

    from portfolio.desk.models import Alert, Notification
    from portfolio.tests.desk.test_alerts import NOW, quote

    add = reverse("admin:portfolio_alert_add")
    assert admin_client.get(add).status_code == 200
    refused = admin_client.post(add, {"kind": "preco_acima", "threshold": "10", "active": "on"})
    assert refused.status_code == 200 and not Alert.objects.exists()
    petr = desk.assets["PETR4"]
    created = admin_client.post(
        add,
        {"investor": desk.owner.pk, "kind": "preco_acima", "asset": petr.pk, "threshold": "10", "active": "on"},
    )
    assert created.status_code == 302, created.content
    alert = Alert.objects.get()
    assert alert.owner == desk.owner
    change = reverse("admin:portfolio_alert_change", args=[alert.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"kind": "preco_acima", "asset": petr.pk, "threshold": "12", "active": "on"})
    alert.refresh_from_db()
    assert alert.threshold == 12
    changelist = reverse("admin:portfolio_alert_changelist")
    admin_client.post(changelist, {"action": "snooze_day", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.snoozed_until is not None
    assert "adiado" in admin_client.get(changelist).content.decode()
    admin_client.post(changelist, {"action": "unsnooze", "_selected_action": [alert.pk]})
    with mock.patch("portfolio.desk.admin.publish_named", return_value=False):
        response = admin_client.post(
            changelist, {"action": "evaluate_now", "_selected_action": [alert.pk]}, follow=True
        )
    assert "indisponível" in response.content.decode()
    quote(petr, "20")
    from portfolio.desk import services

    services.evaluate_alerts(now=NOW)
    assert "disparado" in admin_client.get(changelist).content.decode()
    notes = reverse("admin:portfolio_notification_changelist")
    assert admin_client.get(notes).status_code == 200
    note = Notification.objects.get()
    Notification.objects.filter(pk=note.pk).update(email_status="falhou")
    admin_client.post(notes, {"action": "resend", "_selected_action": [note.pk]})
    note.refresh_from_db()
    assert note.email_status == "pendente"
    assert admin_client.get(reverse("admin:portfolio_notification_change", args=[note.pk])).status_code == 200
    admin_client.post(reverse("admin:portfolio_alert_delete", args=[alert.pk]), {"post": "yes"})
    assert not Alert.objects.exists()


def test_admin_home_shows_the_desk_cards(admin_client, desk):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory
    from portfolio.desk.models import Notification

    services.reconcile_positions(owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=AS_OF)
    alert = services.alert_create(owner=desk.owner, kind="preco_acima", asset=desk.assets["PETR4"], threshold=10)
    Notification.objects.create(
        owner=desk.owner, alert=alert, kind="preco_acima", key="k", title="t", message="m", email_status="falhou"
    )
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'data-card="desk.reconciliations"' in page and 'data-card="desk.alerts"' in page
    assert "E-mails que falharam" in page
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_portfolio"))
    admin_client.force_login(staff)
    assert 'data-card="desk.reconciliations"' in admin_client.get(reverse("admin:index")).content.decode()
    admin_client.force_login(UserFactory(is_staff=True))
    assert 'data-card="desk.' not in admin_client.get(reverse("admin:index")).content.decode()

"""Admin pages render for operators and their actions call the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from quotes import circuit, services
from quotes.admin import svg_chart
from quotes.models import (
    FxRate,
    IndicatorRate,
    MacroParameters,
    PriceAnomaly,
    Provider,
    ProviderAttempt,
    Quote,
    WatchlistItem,
)
from quotes.tests.factories import bars, make_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def data(admin_user):
    petr4 = make_asset("PETR4", name="Petrobras")
    bars(petr4, [30, 31, 32], end=date(2026, 11, 19))
    now = timezone.now()
    Quote.objects.create(
        asset=petr4, price=Decimal("32"), currency="BRL", source="brapi", market_time=now, fetched_at=now
    )
    FxRate.objects.create(pair="USD-BRL", date=date(2026, 11, 19), rate=Decimal("5.4"), source="bcb")
    IndicatorRate.objects.create(series="CDI", date=date(2026, 11, 19), value=Decimal("0.055131"), source="bcb")
    ProviderAttempt.objects.create(
        provider="brapi", operation="quote", outcome="timeout", detail="tempo esgotado", created_at=now
    )
    ProviderAttempt.objects.create(provider="brapi", operation="quote", outcome="ok", created_at=now)
    anomaly = PriceAnomaly.objects.create(
        asset=petr4,
        kind="quote",
        date=date(2026, 11, 23),
        reference_close=Decimal("32"),
        price=Decimal("45"),
        change_percent=Decimal("40.6"),
        source="brapi",
        detected_at=now,
        payload={"market_time": now.isoformat(), "currency": "BRL"},
    )
    WatchlistItem.objects.create(owner=admin_user, asset=petr4)
    return {"asset": petr4, "anomaly": anomaly}


@pytest.mark.parametrize(
    "model",
    [
        "quote",
        "quotedasset",
        "pricebar",
        "fxrate",
        "indicatorrate",
        "provider",
        "providerattempt",
        "macroparameters",
        "priceanomaly",
        "watchlistitem",
    ],
)
def test_changelists_render(staff, data, model):
    response = staff.get(reverse(f"admin:quotes_{model}_changelist"))
    assert response.status_code == 200


def test_quote_filters_and_history_page_with_chart(staff, data):
    assert staff.get(reverse("admin:quotes_quote_changelist") + "?stale=yes").status_code == 200
    page = staff.get(reverse("admin:quotes_quotedasset_change", args=[data["asset"].pk]))
    assert page.status_code == 200
    assert b"<svg" in page.content and b"polyline" in page.content


def test_provider_page_shows_circuit_and_rate_limit(staff, data, settings):
    settings.QUOTES_CIRCUIT_FAILURES = 1
    circuit.record_failure("brapi")
    page = staff.get(reverse("admin:quotes_provider_changelist"))
    content = page.content.decode()
    assert "Aberto (provedor pulado)" in content
    assert "tempo esgotado" in content
    assert Provider.objects.filter(name="brapi").exists()


def test_refresh_action_queues_a_task(staff, data, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("quotes.tasks.refresh_quotes.delay", lambda **kw: queued.append(kw))
    quote = Quote.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:quotes_quote_changelist"),
            {"action": "refresh_selected", "_selected_action": [quote.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert queued == [{"tickers": ["PETR4:BR"]}]


def test_backfill_action_on_asset_history(staff, data, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("quotes.tasks.backfill_prices.delay", lambda **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("admin:quotes_quotedasset_changelist"),
            {"action": "backfill_selected", "_selected_action": [data["asset"].pk]},
        )
    assert queued == [{"tickers": ["PETR4:BR"], "include_delisted": True}]


def test_anomaly_actions(staff, data):
    staff.post(
        reverse("admin:quotes_priceanomaly_changelist"),
        {"action": "approve", "_selected_action": [data["anomaly"].pk]},
    )
    data["anomaly"].refresh_from_db()
    assert data["anomaly"].status == "approved"
    assert Quote.objects.get().price == Decimal("45")


def test_provider_actions_audit(staff, data):
    services.providers_ensure()
    brapi = Provider.objects.get(name="brapi")
    staff.post(reverse("admin:quotes_provider_changelist"), {"action": "disable", "_selected_action": [brapi.pk]})
    brapi.refresh_from_db()
    assert brapi.enabled is False
    staff.post(reverse("admin:quotes_provider_changelist"), {"action": "reset_circuit", "_selected_action": [brapi.pk]})
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "quotes.provider.update",
        "quotes.provider.reset_circuit",
    }


def test_macro_edit_is_audited(staff, data):
    br = MacroParameters.objects.get(market="BR")
    url = reverse("admin:quotes_macroparameters_change", args=[br.pk])
    form = {
        "market": "BR",
        "risk_free_rate": "14.25",
        "cost_of_capital": "16.5",
        "growth_rate": "5",
        "terminal_growth_rate": "4",
        "bazin_yield": "6",
        "fii_cap_rate": "9",
        "dcf_years": "5",
        "notes": "",
    }
    response = staff.post(url, form)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="quotes.macro.update")
    assert event.changes["risk_free_rate"] == ["15.0000", "14.25"]


def test_quotes_are_read_only_in_admin(staff, data):
    assert staff.get(reverse("admin:quotes_quote_add")).status_code == 403
    assert staff.get(reverse("admin:quotes_pricebar_add")).status_code == 403


def test_svg_chart_needs_two_points():
    assert "insuficiente" in str(svg_chart([(date(2026, 1, 2), Decimal(1))]))

"""The home page of each role, in a real browser, and ReDoc rendering with nothing fetched off the machine."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory
from billing_rpa.tests.factories import staff_user

from .conftest import login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROLES = {
    # role: (cards that must be there, cards that must not)
    "operador": ({"billing.failed", "billing.running", "billing.late"}, {"billing.awaiting_approval", "ops.backup"}),
    "aprovador": ({"billing.awaiting_approval", "billing.amount"}, {"billing.failed", "ops.backup"}),
    "admin": (
        {"billing.awaiting_approval", "billing.failed", "ops.backup", "ops.schedules_failed", "portfolio.totals"},
        set(),
    ),
    "investimentos": ({"portfolio.totals", "portfolio.darfs_due", "quotes.freshness"}, {"billing.late"}),
}


def _user(role):
    if role == "admin":
        return AdminFactory(username="admin.navegador")
    if role == "investimentos":
        from django.contrib.auth.models import Permission

        from accounts.tests.factories import UserFactory

        user = UserFactory(is_staff=True, username="mesa.navegador")
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_portfolio", "view_quote", "view_monthlyassessment"])
        )
        return user
    return staff_user(role.capitalize(), username=f"{role}.navegador")


def _month_in_progress():
    """A few processes in this month (the server's month: same process, same clock as the test)."""
    from decimal import Decimal

    from billing_rpa import services
    from billing_rpa.choices import ProcessStatus
    from billing_rpa.models import InvoiceProcess
    from billing_rpa.tests.factories import BillingClientFactory, CarrierFactory, InvoiceProcessFactory

    month = services.current_month()
    statuses = list(ProcessStatus)
    for code, count in (("VIVO", 7), ("OI", 4), ("EMBRATEL", 3)):
        carrier = CarrierFactory(code=code)
        for n in range(count):
            process = InvoiceProcessFactory(client=BillingClientFactory(carrier=carrier), month=month)
            InvoiceProcess.objects.filter(pk=process.pk).update(
                status=statuses[n % len(statuses)], amount=Decimal("1234.56") * (n + 1)
            )


@pytest.mark.parametrize("role", list(ROLES))
def test_home_page_of_each_role(site, page, shots, role):
    _month_in_progress()
    user = _user(role)
    login(page, site, user.username, DEFAULT_PASSWORD)
    expect(page.locator(".x-home")).to_be_visible()
    cards = set(page.locator("[data-card]").evaluate_all("nodes => nodes.map(n => n.dataset.card)"))
    present, absent = ROLES[role]
    assert present <= cards, cards
    assert not (absent & cards), cards
    # Every card's figure links to the list it counts, and the link opens.
    link = page.locator("[data-card] .x-card-value a").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")
    assert page.locator("#content").count() == 1
    page.go_back()
    if role != "investimentos":
        expect(page.locator("[data-card='billing.progress'] .x-bar-row")).to_have_count(3)
    shots(f"home-{role}", page)


def test_root_redirects_to_admin_and_api_root_is_browsable(site, page, shots):
    admin = AdminFactory(username="admin.raiz")
    login(page, site, admin.username, DEFAULT_PASSWORD)
    page.goto(f"{site}/")
    assert urlsplit(page.url).path == "/admin/"
    page.goto(f"{site}/api/v1/")
    expect(page.locator("body")).to_contain_text("billing-processes")
    shots("api-root", page)


def test_redoc_renders_with_no_request_off_the_machine(site, page, shots):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site}/api/redoc/")
    expect(page.locator("#redoc-container h1").first).to_contain_text("Exitus API", timeout=30_000)
    page.wait_for_load_state("networkidle")
    shots("redoc", page, full_page=False)
    outside = [url for url in requested if urlsplit(url).hostname not in ("127.0.0.1", "localhost", None)]
    outside = [url for url in outside if not url.startswith(("data:", "blob:"))]
    assert outside == [], outside

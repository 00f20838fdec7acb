"""The investment cards of the admin home page: portfolio totals and the month's DARFs due."""

import calendar

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from exitus import console
from exitus.formats import money_br, number_br

from .. import selectors
from ..tax import selectors as tax_selectors


def sees_investments(user) -> bool:
    """Investor staff: whoever may look at portfolios in the admin (ADMIN included)."""
    return user.is_active and user.is_staff and (user.is_superuser or user.has_perm("portfolio.view_portfolio"))


@console.card_provider(order=30)
def investment_cards(user, today):
    if not sees_investments(user):
        return []
    group = _("Investimentos")
    totals = selectors.console_totals()
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    darfs = tax_selectors.darfs_due_between(first, last)
    unfiled_due = {"due_date__gte": first.isoformat(), "due_date__lte": last.isoformat(), "filed_at__isempty": "1"}
    assessments = reverse("admin:portfolio_monthlyassessment_changelist") + "?" + urlencode(unfiled_due)
    return [
        console.Card(
            key="portfolio.totals",
            title=_("Carteiras"),
            value=number_br(totals["portfolios"], 0),
            url=reverse("admin:portfolio_portfolio_changelist"),
            tone="info",
            detail=_("%(inv)s investidores, %(pos)s posições abertas; custo total %(cost)s")
            % {
                "inv": number_br(totals["investors"], 0),
                "pos": number_br(totals["positions"], 0),
                "cost": money_br(totals["cost_brl"]),
            },
            group=group,
        ),
        console.Card(
            key="portfolio.darfs_due",
            title=_("DARFs que vencem em %(m)02d/%(y)d") % {"m": today.month, "y": today.year},
            value=number_br(darfs["count"], 0),
            url=f"{assessments}?"
            + urlencode(
                {"due_date__gte": first.isoformat(), "due_date__lte": last.isoformat(), "filed_at__isempty": "1"}
            ),
            tone="warning" if darfs["count"] else "success",
            detail=_("Total a pagar: %(v)s") % {"v": money_br(darfs["amount"])}
            if darfs["count"]
            else _("Nenhum DARF a pagar neste mês."),
            group=group,
        ),
    ]

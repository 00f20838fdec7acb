"""Admin of the analytics part: snapshots (read-only) and a portfolio's evolution and allocation charts."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from exitus.admin_columns import money_column

from ..admin.base import PortfolioPageAdmin
from . import charts, selectors
from .models import PatrimonySnapshot, PortfolioEvolution

ALLOCATION_LABELS = {"class": _("por classe"), "type": _("por tipo"), "currency": _("por moeda")}


@admin.register(PatrimonySnapshot)
class PatrimonySnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "owner",
        "portfolio",
        "month",
        "total_br",
        "invested_br",
        "cash_br",
        "cost_br",
        "net_flows_br",
        "dividends_br",
    )
    total_br = money_column("total", _("patrimônio"))
    invested_br = money_column("invested", _("investido"))
    cash_br = money_column("cash", _("caixa"))
    cost_br = money_column("cost", _("custo"))
    net_flows_br = money_column("net_flows", _("aportes líquidos"))
    dividends_br = money_column("dividends", _("proventos"))
    list_filter = ("month",)
    search_fields = ("owner__username", "portfolio__name")
    list_select_related = ("owner", "portfolio")
    date_hierarchy = "month"
    readonly_fields = [f.name for f in PatrimonySnapshot._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PortfolioEvolution)
class PortfolioEvolutionAdmin(PortfolioPageAdmin):
    """The list of portfolios; opening one shows its evolution (value, TWR vs CDI) and allocation."""

    link_text = _("evolução e alocação")

    def report_view(self, request, portfolio):
        period = request.GET.get("period", "max")
        period = period if period in selectors.PERIODS else "max"
        scope = selectors.Scope(owner_id=portfolio.owner_id, portfolio_id=portfolio.pk)
        perf = selectors.performance(scope=scope, period=period, benchmarks=("CDI",))
        snapshots = list(selectors.snapshots_for(portfolio=portfolio))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": portfolio,
            "title": _("Evolução de %(name)s") % {"name": portfolio.name},
            "perf": perf,
            "period": period,
            "periods": selectors.PERIODS,
            "snapshots": snapshots,
            **self.chart_context(perf, snapshots),
        }
        return TemplateResponse(request, "admin/portfolio/portfolioevolution/charts.html", context)

    @staticmethod
    def chart_context(perf: dict, snapshots) -> dict:
        if perf.get("empty"):
            return {"value_chart": "", "twr_chart": "", "monthly_chart": "", "allocations": []}
        series = perf["series"]
        labels = [d[:7] if len(series["dates"]) > 60 else d[5:] for d in series["dates"]]
        value_chart = charts.line_chart(labels, {str(_("Patrimônio (R$)")): series["value"]})
        twr = {str(_("Carteira (TWR %)")): [v * 100 for v in series["twr"]]}
        if "CDI" in series:
            twr["CDI %"] = [v * 100 for v in series["CDI"]]
        monthly_chart = ""
        if len(snapshots) >= 2:
            monthly_chart = charts.line_chart(
                [f"{s.month:%m/%y}" for s in snapshots],
                {
                    str(_("Total")): [float(s.total) for s in snapshots],
                    str(_("Custo")): [float(s.cost) for s in snapshots],
                    str(_("Caixa")): [float(s.cash) for s in snapshots],
                },
            )
        allocations = [
            (ALLOCATION_LABELS[key], charts.bar_chart({k: float(v) for k, v in perf["allocation"][key].items()}))
            for key in ("class", "type", "currency")
        ]
        pct = lambda v: "—" if v is None else f"{v * 100:.2f}%".replace(".", ",")  # noqa: E731
        return {
            "twr_pct": pct(perf["twr"]),
            "mwr_pct": pct(perf["mwr"]),
            "drawdown_pct": pct(perf["max_drawdown"]),
            "value_chart": value_chart,
            "twr_chart": charts.line_chart(labels, twr),
            "monthly_chart": monthly_chart,
            "allocations": allocations,
        }

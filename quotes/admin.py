"""Operators' view of market data: quotes and their freshness, history with a chart, FX,
indicators, provider status (circuit, rate-limit use, last errors), the attempt log, macro
parameters and held anomalies. Writes go through ``quotes.services``; long work is queued.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import RequestMeta, audit_record
from exitus import console
from exitus.admin_badges import PALETTE, badge, coloured
from exitus.formats import percent_br
from exitus.queueing import QueueUnavailable, publish_or_unavailable

from . import markets, selectors, services
from .chain import chain_names
from .choices import FAILED_OUTCOMES, SKIPPED_OUTCOMES, AnomalyStatus, CircuitState, Outcome
from .models import (
    FxRate,
    IndicatorRate,
    MacroParameters,
    PriceAnomaly,
    PriceBar,
    Provider,
    ProviderAttempt,
    Quote,
    QuotedAsset,
    WatchlistItem,
)

# Tones of the project's one palette (exitus.admin_badges); the sparkline needs the colours themselves.
GREEN, AMBER, RED, GREY = "success", "warning", "danger", "muted"


def fmt_price(value):
    """``37,52`` / ``0,00001234``: at least two decimals, no trailing zeros, decimal comma."""
    if value is None:
        return "—"
    whole, _sep, fraction = f"{value.normalize():f}".partition(".")
    return f"{whole},{fraction.ljust(2, '0')}"


def fmt_time(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"


def humanize_age(seconds):
    seconds = int(seconds)
    if seconds < 90:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 5400:
        return _("%(n)d min") % {"n": seconds // 60}
    if seconds < 2 * 86400:
        return _("%(n)d h") % {"n": seconds // 3600}
    return _("%(n)d dias") % {"n": seconds // 86400}


def queue_refresh(tickers):
    """Raises ``QueueUnavailable`` (the action reports it) when the broker cannot take the work."""
    from .tasks import refresh_quotes

    publish_or_unavailable(refresh_quotes, tickers=tickers)


def queue_backfill(tickers):
    from .tasks import backfill_prices

    publish_or_unavailable(backfill_prices, tickers=tickers, include_delisted=True)


def queue_and_report(model_admin, request, queue, tickers, success_message):
    """Queue now and say so; with the broker down, say that nothing was queued."""
    try:
        queue(tickers)
    except QueueUnavailable as exc:
        model_admin.message_user(request, exc.default_detail, messages.ERROR)
    else:
        model_admin.message_user(request, success_message, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: operators look, filter and act, never edit by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaleFilter(admin.SimpleListFilter):
    title = _("validade")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("vencida (stale)")), ("no", _("atual"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        now = timezone.now()
        stale_ids = [
            q.pk for q in queryset.select_related("asset") if now >= markets.fresh_until(q.asset.market, q.fetched_at)
        ]
        return queryset.filter(pk__in=stale_ids) if self.value() == "yes" else queryset.exclude(pk__in=stale_ids)


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = (
        "asset",
        "market",
        "price_cell",
        "currency",
        "change_cell",
        "source",
        "time_cell",
        "age",
        "stale_cell",
    )
    list_filter = (StaleFilter, "source", "currency", "asset__market")
    search_fields = ("asset__ticker", "asset__name")
    list_select_related = ("asset",)
    ordering = ("asset__ticker",)
    actions = ("refresh_selected",)

    @admin.display(description=_("mercado"), ordering="asset__market")
    def market(self, obj):
        return obj.asset.market

    @admin.display(description=_("preço"), ordering="price")
    def price_cell(self, obj):
        return fmt_price(obj.price)

    @admin.display(description=_("horário de mercado"), ordering="market_time")
    def time_cell(self, obj):
        return fmt_time(obj.market_time)

    @admin.display(description=_("variação"), ordering="change_percent")
    def change_cell(self, obj):
        if obj.change_percent is None:
            return "—"
        tone = GREEN if obj.change_percent >= 0 else RED
        return coloured(f"{'+' if obj.change_percent >= 0 else ''}{percent_br(obj.change_percent, 2)}", tone)

    @admin.display(description=_("idade"), ordering="-fetched_at")
    def age(self, obj):
        return humanize_age((timezone.now() - obj.fetched_at).total_seconds())

    @admin.display(description=_("situação"))
    def stale_cell(self, obj):
        if timezone.now() >= markets.fresh_until(obj.asset.market, obj.fetched_at):
            return badge(_("vencida"), AMBER)
        return badge(_("atual"), GREEN)

    @admin.action(description=_("Atualizar cotações selecionadas (em segundo plano)"))
    def refresh_selected(self, request, queryset):
        tickers = [f"{t}:{m}" for t, m in queryset.values_list("asset__ticker", "asset__market")]
        message = ngettext(
            "Atualização de %d cotação enfileirada.", "Atualização de %d cotações enfileirada.", len(tickers)
        ) % len(tickers)
        queue_and_report(self, request, queue_refresh, tickers, message)


@admin.register(QuotedAsset)
class QuotedAssetAdmin(ReadOnlyAdmin):
    """History per asset: last close, coverage, a chart of the last year, refresh/backfill actions."""

    list_display = ("ticker", "name", "market", "asset_type", "quote_cell", "bars", "last_bar")
    list_filter = ("market", "asset_type", "delisted")
    search_fields = ("ticker", "name")
    actions = ("refresh_selected", "backfill_selected")
    fields = (
        "ticker",
        "name",
        "market",
        "asset_type",
        "currency",
        "delisted",
        "quote_cell",
        "price_chart",
        "recent_bars",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("quote")
            .annotate(bar_count=Count("price_bars"), last_bar_date=Max("price_bars__date"))
        )

    @admin.display(description=_("barras"), ordering="bar_count")
    def bars(self, obj):
        return obj.bar_count

    @admin.display(description=_("última barra"), ordering="last_bar_date")
    def last_bar(self, obj):
        return obj.last_bar_date

    @admin.display(description=_("cotação"))
    def quote_cell(self, obj):
        quote = getattr(obj, "quote", None)
        if quote is None:
            return "—"
        return format_html(
            "{} {} <small>({}, {})</small>",
            fmt_price(quote.price),
            quote.currency,
            quote.source,
            humanize_age((timezone.now() - quote.fetched_at).total_seconds()),
        )

    @admin.display(description=_("gráfico (último ano de histórico)"))
    def price_chart(self, obj):
        """The year up to the last stored bar: a delisted asset or a stale history still shows its chart."""
        last = PriceBar.objects.filter(asset=obj).order_by("-date").values_list("date", flat=True).first()
        if last is None:
            return svg_chart([])
        closes = list(
            PriceBar.objects.filter(asset=obj, date__gte=last - timedelta(days=366))
            .order_by("date")
            .values_list("date", "close")
        )
        return svg_chart(closes)

    @admin.display(description=_("barras recentes"))
    def recent_bars(self, obj):
        rows = PriceBar.objects.filter(asset=obj).order_by("-date")[:15]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    b.date.strftime("%d/%m/%Y"),
                    fmt_price(b.open),
                    fmt_price(b.high),
                    fmt_price(b.low),
                    fmt_price(b.close),
                    fmt_price(b.adjusted_close),
                    b.source,
                )
                for b in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("data"),
            _("abertura"),
            _("máxima"),
            _("mínima"),
            _("fechamento"),
            _("ajustado"),
            _("fonte"),
            body,
        )

    @admin.action(description=_("Atualizar cotações (em segundo plano)"))
    def refresh_selected(self, request, queryset):
        tickers = [f"{t}:{m}" for t, m in queryset.values_list("ticker", "market")]
        message = _("Atualização de %(n)d ativo(s) enfileirada.") % {"n": len(tickers)}
        queue_and_report(self, request, queue_refresh, tickers, message)

    @admin.action(description=_("Preencher histórico (em segundo plano)"))
    def backfill_selected(self, request, queryset):
        tickers = [f"{t}:{m}" for t, m in queryset.values_list("ticker", "market")]
        message = _("Histórico de %(n)d ativo(s) enfileirado.") % {"n": len(tickers)}
        queue_and_report(self, request, queue_backfill, tickers, message)


def svg_chart(points, width=640, height=160):
    """A small inline SVG line chart of ``[(date, close)]`` (no JavaScript, no external files)."""
    if len(points) < 2:
        return _("Histórico insuficiente para o gráfico.")
    values = [float(close) for _day, close in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - (v - low) / span * (height - 10) - 5:.1f}" for i, v in enumerate(values)
    )
    first, last = points[0], points[-1]
    colour = PALETTE[GREEN if values[-1] >= values[0] else RED]
    return format_html(
        '<svg width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'style="background:#f9fafb;border:1px solid #eaecf0">'
        '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/></svg>'
        "<div><small>{} {} → {} {} (mín. {}, máx. {})</small></div>",
        width,
        height,
        width,
        height,
        _("preços de fechamento"),
        colour,
        coords,
        first[0].strftime("%d/%m/%Y"),
        first[1].normalize(),
        last[0].strftime("%d/%m/%Y"),
        last[1].normalize(),
        f"{low:.2f}",
        f"{high:.2f}",
    )


@admin.register(PriceBar)
class PriceBarAdmin(ReadOnlyAdmin):
    list_display = ("asset", "date", "open", "high", "low", "close", "adjusted_close", "volume", "source")
    list_filter = ("source", "asset__market")
    search_fields = ("asset__ticker",)
    date_hierarchy = "date"
    list_select_related = ("asset",)
    ordering = ("-date", "asset__ticker")


@admin.register(FxRate)
class FxRateAdmin(ReadOnlyAdmin):
    list_display = ("pair", "date", "rate", "source", "fetched_at")
    list_filter = ("pair", "source")
    date_hierarchy = "date"
    ordering = ("pair", "-date")


@admin.register(IndicatorRate)
class IndicatorRateAdmin(ReadOnlyAdmin):
    list_display = ("series", "date", "value", "source", "fetched_at")
    list_filter = ("series", "source")
    date_hierarchy = "date"


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "circuit_cell", "rate_cell", "activity", "last_success", "last_error", "chains")
    list_filter = ("enabled",)
    fields = (
        "name",
        "enabled",
        "notes",
        "circuit_cell",
        "rate_cell",
        "activity",
        "last_success",
        "last_error",
        "chains",
    )
    readonly_fields = ("name", "circuit_cell", "rate_cell", "activity", "last_success", "last_error", "chains")
    actions = ("enable", "disable", "reset_circuit")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        services.providers_ensure()
        return super().changelist_view(request, extra_context)

    def _status(self, obj):
        cache = getattr(self, "_status_cache", None)
        if cache is None or cache[0] is not obj:
            self._status_cache = (obj, selectors.provider_status(name=obj.name))
        return self._status_cache[1]

    @admin.display(description=_("circuito"))
    def circuit_cell(self, obj):
        state = self._status(obj)["circuit"]
        colour = {CircuitState.CLOSED: GREEN, CircuitState.HALF_OPEN: AMBER}.get(state["state"], RED)
        label = CircuitState(state["state"]).label
        if state["state"] == CircuitState.OPEN:
            return format_html(
                "{} <small>{}</small>", badge(label, colour), _("tenta de novo em %(s)ds") % {"s": state["retry_in"]}
            )
        return format_html(
            "{} <small>{}</small>", badge(label, colour), _("%(n)d falha(s) seguidas") % {"n": state["failures"]}
        )

    @admin.display(description=_("limite de requisições"))
    def rate_cell(self, obj):
        usage = self._status(obj)["rate_limit"]
        if usage is None:
            return _("sem limite")
        used = 100 - usage["available"] / usage["capacity"] * 100
        return format_html(
            "{} <small>({}% em uso, {} disponíveis)</small>", usage["limit"], f"{used:.0f}", usage["available"]
        )

    @admin.display(description=_("última hora"))
    def activity(self, obj):
        status = self._status(obj)
        return _("%(calls)d chamadas, %(errors)d falhas") % {
            "calls": status["calls_last_hour"],
            "errors": status["failures_last_hour"],
        }

    @admin.display(description=_("último sucesso"))
    def last_success(self, obj):
        return self._status(obj)["last_success_at"] or "—"

    @admin.display(description=_("último erro"))
    def last_error(self, obj):
        error = self._status(obj)["last_error"]
        if not error:
            return "—"
        return format_html(
            "{} <small>{} — {}</small>",
            Outcome(error["outcome"]).label,
            error["created_at"].strftime("%d/%m %H:%M"),
            error["detail"][:160],
        )

    @admin.display(description=_("cadeias"))
    def chains(self, obj):
        used = [market for market in settings.QUOTES_CHAINS if obj.name in chain_names(market)]
        return ", ".join(used) or _("fora das cadeias (modo %(mode)s)") % {"mode": settings.QUOTES_MODE}

    def _set_enabled(self, request, queryset, enabled):
        for row in queryset:
            services.provider_set_enabled(
                name=row.name, enabled=enabled, actor=request.user, meta=RequestMeta.from_request(request)
            )
        self.message_user(request, _("%(n)d provedor(es) atualizado(s).") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Ativar provedores selecionados"))
    def enable(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description=_("Desativar provedores selecionados"))
    def disable(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("Fechar o circuito (voltar a chamar)"))
    def reset_circuit(self, request, queryset):
        for row in queryset:
            services.provider_reset_circuit(name=row.name, actor=request.user, meta=RequestMeta.from_request(request))
        self.message_user(
            request, _("Circuito fechado para %(n)d provedor(es).") % {"n": queryset.count()}, messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        if change and "enabled" in form.changed_data:
            services.provider_set_enabled(
                name=obj.name, enabled=obj.enabled, actor=request.user, meta=RequestMeta.from_request(request)
            )
        super().save_model(request, obj, form, change)


@admin.register(ProviderAttempt)
class ProviderAttemptAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "provider",
        "operation",
        "market",
        "outcome_cell",
        "counts",
        "http_status",
        "duration_ms",
        "short_symbols",
        "short_detail",
    )
    list_filter = ("provider", "outcome", "operation", "market")
    search_fields = ("symbols", "detail")
    date_hierarchy = "created_at"

    @admin.display(description=_("resultado"), ordering="outcome")
    def outcome_cell(self, obj):
        colour = (
            GREEN
            if obj.outcome == Outcome.OK
            else RED
            if obj.outcome in FAILED_OUTCOMES
            else GREY
            if obj.outcome in SKIPPED_OUTCOMES
            else AMBER
        )
        return badge(obj.get_outcome_display(), colour)

    @admin.display(description=_("obtidos/pedidos"))
    def counts(self, obj):
        return f"{obj.ok_count}/{obj.symbol_count}"

    @admin.display(description=_("símbolos"))
    def short_symbols(self, obj):
        return obj.symbols if len(obj.symbols) <= 60 else obj.symbols[:57] + "…"

    @admin.display(description=_("detalhe"))
    def short_detail(self, obj):
        return obj.detail if len(obj.detail) <= 120 else obj.detail[:117] + "…"


@admin.register(MacroParameters)
class MacroParametersAdmin(admin.ModelAdmin):
    list_display = (
        "market",
        "risk_free_rate",
        "cost_of_capital",
        "growth_rate",
        "terminal_growth_rate",
        "bazin_yield",
        "fii_cap_rate",
        "dcf_years",
        "updated_at",
    )
    readonly_fields = ("updated_at", "latest_selic")

    @admin.display(description=_("Selic meta mais recente (referência)"))
    def latest_selic(self, obj):
        row = IndicatorRate.objects.filter(series="SELIC_META").order_by("-date").first()
        return f"{row.value.normalize()}% ({row.date:%d/%m/%Y}, {row.source})" if row else "—"

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            old = MacroParameters.objects.get(pk=obj.pk)
            before = {f: str(getattr(old, f)) for f in form.changed_data}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="quotes.macro.update" if change else "quotes.macro_create",
                target=obj,
                changes={f: [before.get(f), str(getattr(obj, f))] for f in form.changed_data},
                meta=RequestMeta.from_request(request),
            )


@admin.register(PriceAnomaly)
class PriceAnomalyAdmin(ReadOnlyAdmin):
    list_display = (
        "asset",
        "kind",
        "date",
        "reference_cell",
        "price_cell",
        "change_cell",
        "source",
        "status_cell",
        "detected_at",
        "reviewed_by",
    )
    list_filter = ("status", "kind", "source")
    search_fields = ("asset__ticker",)
    list_select_related = ("asset", "reviewed_by")
    actions = ("approve", "reject")

    @admin.display(description=_("fechamento de referência"))
    def reference_cell(self, obj):
        return fmt_price(obj.reference_close)

    @admin.display(description=_("preço recebido"))
    def price_cell(self, obj):
        return fmt_price(obj.price)

    @admin.display(description=_("variação"), ordering="change_percent")
    def change_cell(self, obj):
        sign = "+" if obj.change_percent >= 0 else ""
        return format_html("<strong>{}</strong>", coloured(f"{sign}{percent_br(obj.change_percent, 2)}", RED))

    @admin.display(description=_("situação"), ordering="status")
    def status_cell(self, obj):
        colour = {AnomalyStatus.PENDING: AMBER, AnomalyStatus.APPROVED: GREEN}.get(obj.status, GREY)
        return badge(obj.get_status_display(), colour)

    def _review(self, request, queryset, func):
        done, errors = 0, 0
        for anomaly in queryset:
            try:
                func(anomaly=anomaly, actor=request.user, meta=RequestMeta.from_request(request))
                done += 1
            except ValidationError:
                errors += 1
        if done:
            self.message_user(request, _("%(n)d anomalia(s) revisada(s).") % {"n": done}, messages.SUCCESS)
        if errors:
            self.message_user(request, _("%(n)d já estavam revisadas.") % {"n": errors}, messages.WARNING)

    @admin.action(description=_("Aprovar: aplicar o preço recebido"))
    def approve(self, request, queryset):
        self._review(request, queryset, services.anomaly_approve)

    @admin.action(description=_("Rejeitar: descartar o preço recebido"))
    def reject(self, request, queryset):
        self._review(request, queryset, services.anomaly_reject)


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    list_display = ("owner", "asset", "created_at")
    search_fields = ("owner__username", "asset__ticker")
    raw_id_fields = ("owner", "asset")
    list_select_related = ("owner", "asset")


@console.card_provider(order=40)
def quote_cards(user, today):
    """The home page's quote freshness card, for investor staff and ADMIN."""
    if not (user.is_active and user.is_staff and (user.is_superuser or user.has_perm("quotes.view_quote"))):
        return []
    figures = selectors.held_quote_freshness()
    problems = figures["stale"] + figures["missing"]
    detail = _("%(fresh)d atuais, %(stale)d vencidas, %(missing)d sem cotação") % figures
    if figures["oldest"] is not None:
        detail += " · " + _("mais antiga: %(t)s") % {"t": fmt_time(figures["oldest"])}
    return [
        console.Card(
            key="quotes.freshness",
            title=_("Cotações dos ativos em carteira"),
            value=f"{figures['fresh']}/{figures['held']}",
            url=reverse("admin:quotes_quote_changelist"),
            tone="success" if not problems else ("warning" if figures["fresh"] else "danger"),
            detail=detail,
            group=_("Investimentos"),
        )
    ]

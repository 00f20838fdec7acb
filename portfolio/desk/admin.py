"""The desk in the admin: reconciliation runs (import a statement, see the differences with links to
the asset's ledger), brokerage notes (import with preview), alerts and notifications, and the income
calendar chart. Every write goes through ``portfolio.desk.services``."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from exitus import console
from exitus.admin_badges import PALETTE, badge, choice_badge
from exitus.admin_columns import money_column
from exitus.formats import money_br, number_br
from exitus.queueing import QueueUnavailable, publish_named

from ..admin.base import (
    DerivedAdmin,
    PortfolioPageAdmin,
    ServiceAdmin,
    attach_errors,
    request_meta,
    stash_upload,
    stashed_upload,
)
from ..admin.dashboard import sees_investments
from ..analytics import charts
from ..models import Broker, Portfolio
from . import selectors, services, sinacor
from .choices import LineStatus, ReconciliationKind
from .models import (
    Alert,
    BrokerageNote,
    BrokerageNoteTrade,
    IncomeCalendar,
    Notification,
    Reconciliation,
    ReconciliationLine,
)

LINE_TONES = {
    LineStatus.MATCH: "success",
    LineStatus.DIFFERENCE: "warning",
    LineStatus.ONLY_STATEMENT: "danger",
    LineStatus.ONLY_BOOKS: "danger",
}
EMAIL_TONES = {"pendente": "warning", "enviado": "success", "falhou": "danger", "nao_enviar": "muted"}


def ledger_links(line) -> str:
    """Where to look: the consolidated ledger of the asset (the API's explanation) and its positions."""
    if line.asset_id is None:
        return "—"
    owner_id = line.reconciliation.owner_id
    ledger = reverse("v1:position-ledger", kwargs={"asset_id": line.asset_id}) + f"?owner={owner_id}"
    positions = (
        reverse("admin:portfolio_position_changelist")
        + f"?asset__id__exact={line.asset_id}&owner__id__exact={owner_id}"
    )
    return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>', ledger, _("razão"), positions, _("posições"))


class IssueInline(admin.TabularInline):
    """The lines that do not match, each with its likely cause and links to the asset's ledger."""

    model = ReconciliationLine
    verbose_name = _("diferença")
    verbose_name_plural = _("diferenças")
    extra = 0
    can_delete = False
    fields = (
        "status_badge",
        "institution",
        "ticker",
        "statement",
        "books",
        "difference",
        "cause",
        "cause_detail",
        "links",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status=LineStatus.MATCH).select_related("reconciliation")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("situação"))
    def status_badge(self, line):
        return choice_badge(line.status, line.get_status_display(), LINE_TONES)

    @admin.display(description=_("ver"))
    def links(self, line):
        return ledger_links(line)


@admin.register(Reconciliation)
class ReconciliationAdmin(admin.ModelAdmin):
    list_display = (
        "as_of",
        "owner",
        "portfolio",
        "kind",
        "file_name",
        "matches",
        "issues_badge",
        "runs",
        "last_run_at",
    )
    list_filter = ("kind", "source", "as_of")
    search_fields = ("owner__username", "file_name", "portfolio__name")
    list_select_related = ("owner", "portfolio")
    date_hierarchy = "as_of"
    inlines = (IssueInline,)
    fields = (
        "owner",
        "portfolio",
        "kind",
        "source",
        "as_of",
        "file_name",
        "matches",
        "differences",
        "only_statement",
        "only_books",
        "all_lines",
        "problems",
        "runs",
        "last_run_at",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    change_list_template = "admin/portfolio/reconciliation/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.reconciliation_delete(reconciliation=obj, actor=request.user, meta=request_meta(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.display(description=_("pendências"), ordering="differences")
    def issues_badge(self, run):
        count = run.open_issues
        return badge(count, "success" if count == 0 else "danger")

    @admin.display(description=_("todas as linhas"))
    def all_lines(self, run):
        url = reverse("admin:portfolio_reconciliationline_changelist") + f"?reconciliation__id__exact={run.pk}"
        return format_html('<a href="{}">{}</a>', url, _("ver as %(n)s linhas") % {"n": run.lines.count()})

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="portfolio_reconciliation_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_view_permission(request) or not request.user.is_admin_role:
            raise PermissionDenied
        form = ReconciliationForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            run_kind = (
                services.reconcile_positions
                if data["kind"] == ReconciliationKind.POSITIONS
                else services.reconcile_cash_file
            )
            try:
                run, _created = run_kind(
                    owner=data["portfolio"].owner if data["portfolio"] else data["owner"],
                    content=upload.read(),
                    file_name=upload.name,
                    as_of=data["as_of"],
                    portfolio=data["portfolio"],
                    actor=request.user,
                    meta=request_meta(request),
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                if run.unchanged:
                    message = _("Mesmo arquivo e mesmo resultado: nada mudou.")
                else:
                    message = _("Conciliação concluída: %(n)s pendência(s).") % {"n": run.open_issues}
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:portfolio_reconciliation_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Conciliar extrato ou saldos"),
            "form": form,
        }
        return TemplateResponse(request, "admin/portfolio/reconciliation/import.html", context)


class ReconciliationForm(forms.Form):
    file = forms.FileField(label=_("arquivo (extrato de posição da B3, XLSX/CSV; ou saldos)"))
    kind = forms.ChoiceField(label=_("tipo"), choices=ReconciliationKind.choices)
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, label=_("investidor")
    )
    portfolio = forms.ModelChoiceField(
        queryset=Portfolio.objects.select_related("owner"),
        required=False,
        label=_("carteira (vazio: todas as do investidor)"),
    )
    as_of = forms.DateField(required=False, label=_("data do extrato (vazio: a do nome do arquivo)"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("owner") and not cleaned.get("portfolio"):
            raise forms.ValidationError(_("Escolha o investidor ou uma carteira."))
        return cleaned


@admin.register(ReconciliationLine)
class ReconciliationLineAdmin(DerivedAdmin):
    list_display = (
        "reconciliation",
        "status_badge",
        "institution",
        "ticker",
        "currency",
        "statement",
        "books",
        "difference",
        "cause",
        "links",
    )
    list_filter = ("status", "cause", "reconciliation__kind")
    search_fields = ("ticker", "institution", "product")
    list_select_related = ("reconciliation__owner", "broker", "asset")

    @admin.display(description=_("situação"), ordering="status")
    def status_badge(self, line):
        return choice_badge(line.status, line.get_status_display(), LINE_TONES)

    @admin.display(description=_("ver"))
    def links(self, line):
        return ledger_links(line)


# --- alerts and notifications ----------------------------------------------------------------


class AlertForm(forms.ModelForm):
    investor = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, label=_("investidor")
    )

    class Meta:
        model = Alert
        fields = ("kind", "asset", "portfolio", "threshold", "note", "active", "notify_email", "snoozed_until")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not cleaned.get("investor") and not cleaned.get("portfolio"):
            self.add_error("investor", _("Escolha o investidor dono do alerta."))
        return cleaned


@admin.register(Alert)
class AlertAdmin(ServiceAdmin):
    form = AlertForm
    list_display = (
        "owner",
        "kind",
        "target",
        "threshold",
        "state_badge",
        "active",
        "snoozed_until",
        "fire_count",
        "last_fired_at",
    )
    list_filter = ("kind", "active", "triggered", "notify_email")
    search_fields = ("owner__username", "asset__ticker", "portfolio__name", "note")
    list_select_related = ("owner", "asset", "portfolio")
    autocomplete_fields = ("asset", "portfolio")
    readonly_fields = ("owner", "triggered", "trigger_key", "last_value", "last_fired_at", "fire_count")
    actions = ("snooze_day", "unsnooze", "evaluate_now")

    def get_fields(self, request, obj=None):
        fields = ["kind", "asset", "portfolio", "threshold", "note", "active", "notify_email", "snoozed_until"]
        return (["investor"] if obj is None else []) + fields + (list(self.readonly_fields) if obj else [])

    def service_save(self, request, original, data, change):
        investor = data.get("investor")
        data = {k: v for k, v in data.items() if k != "investor"}
        if change:
            return services.alert_update(alert=original, **data, actor=request.user, meta=request_meta(request))
        owner = data["portfolio"].owner if data.get("portfolio") else investor
        return services.alert_create(owner=owner, **data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.alert_delete(alert=obj, actor=request.user, meta=request_meta(request))

    @admin.display(description=_("ativo / carteira"))
    def target(self, alert):
        return alert.asset or alert.portfolio or "—"

    @admin.display(description=_("situação"), ordering="triggered")
    def state_badge(self, alert):
        if alert.snoozed_until and alert.snoozed_until > timezone.now():
            return badge(_("adiado"), "muted")
        if not alert.active:
            return badge(_("inativo"), "muted")
        return badge(_("disparado"), "danger") if alert.triggered else badge(_("armado"), "success")

    @admin.action(description=_("Adiar por 24 horas"))
    def snooze_day(self, request, queryset):
        until = timezone.now() + timedelta(hours=24)
        for alert in queryset:
            services.alert_snooze(alert=alert, until=until, actor=request.user, meta=request_meta(request))
        self.message_user(request, _("%(n)d alerta(s) adiado(s).") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Reativar (fim do adiamento)"))
    def unsnooze(self, request, queryset):
        for alert in queryset:
            services.alert_unsnooze(alert=alert, actor=request.user, meta=request_meta(request))
        self.message_user(request, _("%(n)d alerta(s) reativado(s).") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Avaliar agora (enfileira)"))
    def evaluate_now(self, request, queryset):
        if publish_named("portfolio.evaluate_alerts"):
            self.message_user(request, _("Avaliação de todos os alertas enfileirada."), messages.SUCCESS)
        else:
            self.message_user(request, QueueUnavailable.default_detail, messages.ERROR)


@admin.register(Notification)
class NotificationAdmin(DerivedAdmin):
    list_display = ("created_at", "owner", "title", "kind", "read_at", "email_badge", "emailed_at")
    list_filter = ("kind", "email_status", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("owner__username", "title", "message")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "owner",
        "alert",
        "kind",
        "key",
        "title",
        "message",
        "data",
        "read_at",
        "email_status",
        "emailed_at",
    )
    actions = ("resend",)

    @admin.display(description=_("e-mail"), ordering="email_status")
    def email_badge(self, notification):
        return choice_badge(notification.email_status, notification.get_email_status_display(), EMAIL_TONES)

    @admin.action(description=_("Reenviar e-mails que falharam"))
    def resend(self, request, queryset):
        count = services.notifications_resend(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)d e-mail(s) de volta à fila.") % {"n": count}, messages.SUCCESS)


# --- income calendar ----------------------------------------------------------------------------


@admin.register(IncomeCalendar)
class IncomeCalendarAdmin(PortfolioPageAdmin):
    """The list of portfolios; opening one shows its proventos: the next 12 months (confirmed and
    projected) and the last 12 (paid and pending), per month, with the events and what lacks an FX rate
    (``?todas=1``: all of its owner's portfolios)."""

    link_text = _("calendário de proventos")

    def report_view(self, request, portfolio):
        everything = request.GET.get("todas") == "1"
        data = selectors.income_calendar(owner_id=portfolio.owner_id, portfolio_id=None if everything else portfolio.pk)
        upcoming, past = data["upcoming"]["months"], data["past"]["months"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": portfolio,
            "everything": everything,
            "title": _("Proventos de %(name)s")
            % {"name": _("todas as carteiras de %(o)s") % {"o": portfolio.owner} if everything else portfolio.name},
            "data": data,
            "upcoming_chart": charts.column_chart(
                [f"{row['month'][5:]}/{row['month'][2:4]}" for row in upcoming],
                {
                    str(_("Confirmado (data com passou)")): [float(row["confirmed_brl"]) for row in upcoming],
                    str(_("Previsto (posição atual)")): [float(row["projected_brl"]) for row in upcoming],
                },
                colours=[PALETTE["success"], PALETTE["info"]],
            ),
            "past_chart": charts.column_chart(
                [f"{row['month'][5:]}/{row['month'][2:4]}" for row in past],
                {
                    str(_("Pago")): [float(row["paid_brl"]) for row in past],
                    str(_("Esperado e não creditado")): [float(row["pending_brl"]) for row in past],
                },
                colours=[PALETTE["info"], PALETTE["warning"]],
            ),
        }
        return TemplateResponse(request, "admin/portfolio/incomecalendar/calendar.html", context)


# --- brokerage notes ----------------------------------------------------------------------------

NOTES_SALT = "portfolio.admin.notes"


class NoteTradeInline(admin.TabularInline):
    model = BrokerageNoteTrade
    extra = 0
    can_delete = False
    fields = (
        "line",
        "transaction",
        "action",
        "brokerage_fee",
        "settlement_fee",
        "emoluments",
        "other_costs",
        "withheld_tax",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BrokerageNote)
class BrokerageNoteAdmin(admin.ModelAdmin):
    list_display = (
        "trade_date",
        "number",
        "owner",
        "portfolio",
        "broker",
        "purchases_br",
        "sales_br",
        "fees",
        "net_br",
        "pages",
    )
    purchases_br = money_column("purchases_value", _("compras"))
    sales_br = money_column("sales_value", _("vendas"))
    net_br = money_column("net_amount", _("líquido"))
    list_filter = ("broker", "trade_date")
    search_fields = ("number", "owner__username", "portfolio__name", "file_name")
    list_select_related = ("owner", "portfolio", "broker")
    date_hierarchy = "trade_date"
    inlines = (NoteTradeInline,)
    change_list_template = "admin/portfolio/brokeragenote/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in BrokerageNote._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.brokerage_note_delete(note=obj, actor=request.user, meta=request_meta(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.display(description=_("custos"))
    def fees(self, note):
        return money_br(note.total_fees)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="portfolio_brokeragenote_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not request.user.is_admin_role:
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Importar notas de corretagem"),
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm(request)
        form = NotesForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            content = data["file"].read()
            try:
                report = services.notes_import(
                    content=content,
                    file_name=data["file"].name,
                    portfolio=data["portfolio"],
                    broker=data["broker"],
                    password=data["password"],
                    dry_run=True,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                token = stash_upload(
                    sinacor.decrypted(content, password=data["password"]),  # the password is never kept
                    folder="notes",
                    salt=NOTES_SALT,
                    name=data["file"].name,
                    portfolio=data["portfolio"].pk,
                    broker=data["broker"].pk if data["broker"] else None,
                )
                context.update(report=report.as_dict(), token=token)
        context["form"] = form
        return TemplateResponse(request, "admin/portfolio/brokeragenote/import.html", context)

    def _confirm(self, request):
        try:
            with stashed_upload(request.POST["token"], salt=NOTES_SALT) as (job, content):
                report = services.notes_import(
                    content=content,
                    file_name=job["name"],
                    portfolio=Portfolio.objects.get(pk=job["portfolio"]),
                    broker=Broker.objects.filter(pk=job["broker"]).first() if job["broker"] else None,
                    dry_run=False,
                    actor=request.user,
                    meta=request_meta(request),
                )
        except signing.BadSignature:
            self.message_user(request, _("Pré-visualização expirada: envie o arquivo de novo."), messages.ERROR)
            return redirect("admin:portfolio_brokeragenote_import")
        summary = report.summary()
        level = messages.WARNING if summary["error"] else messages.SUCCESS
        self.message_user(
            request,
            _(
                "%(new)d nota(s) importada(s) (%(c)d operações criadas, %(f)d com taxas preenchidas); "
                "%(d)d já importada(s); %(e)d com erro."
            )
            % {
                "new": summary["new"],
                "c": summary["trades_created"],
                "f": summary["fees_filled"],
                "d": summary["duplicate"],
                "e": summary["error"],
            },
            level,
        )
        return redirect("admin:portfolio_brokeragenote_changelist")


class NotesForm(forms.Form):
    file = forms.FileField(label=_("PDF das notas (padrão SINACOR)"))
    portfolio = forms.ModelChoiceField(queryset=Portfolio.objects.select_related("owner"), label=_("carteira"))
    broker = forms.ModelChoiceField(
        queryset=Broker.objects.all(), required=False, label=_("corretora (se não reconhecida pelo CNPJ/nome)")
    )
    password = forms.CharField(required=False, label=_("senha do PDF"), widget=forms.PasswordInput)


# --- the admin home -------------------------------------------------------------------------------


@console.card_provider(order=35)
def desk_cards(user, today):
    """The desk on the admin home: reconciliations with pending lines, alerts, failed alert e-mails."""
    if not sees_investments(user):
        return []
    counts = selectors.console_counts()
    group = _("Investimentos")
    runs = reverse("admin:portfolio_reconciliation_changelist")
    alerts = reverse("admin:portfolio_alert_changelist")
    notes = reverse("admin:portfolio_notification_changelist")
    return [
        console.Card(
            key="desk.reconciliations",
            title=_("Conciliações com pendências"),
            value=number_br(counts["reconciliations_pending"], 0),
            url=runs,
            tone="warning" if counts["reconciliations_pending"] else "success",
            detail=_("Extratos da B3 e saldos que não conferem com a carteira."),
            group=group,
        ),
        console.Card(
            key="desk.alerts",
            title=_("Alertas disparados"),
            value=number_br(counts["alerts_triggered"], 0),
            url=alerts + "?triggered__exact=1",
            tone="attention" if counts["alerts_triggered"] else "muted",
            detail=_("de %(n)s alertas ativos; %(f)s e-mail(s) de aviso falharam")
            % {"n": number_br(counts["alerts"], 0), "f": number_br(counts["emails_failed"], 0)},
            group=group,
            rows=[
                {
                    "label": _("E-mails que falharam"),
                    "value": counts["emails_failed"],
                    "url": notes + "?email_status__exact=falhou",
                    "tone": "danger" if counts["emails_failed"] else "muted",
                }
            ],
        ),
    ]

"""The desk's rows: reconciliation runs and their lines, brokerage notes and the trades they fed,
alerts and the notifications they produced.

Everything here is written by ``portfolio.desk.services`` only (the admin and the API call them).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field, price_field, quantity_field

from ..models.catalogue import Asset, Broker, Portfolio
from ..models.fields import ZERO, currency_field
from ..models.transactions import Transaction
from .choices import (
    ASSET_ALERTS,
    AlertKind,
    LikelyCause,
    LineStatus,
    NoteLineAction,
    NotificationEmail,
    ReconciliationKind,
    ReconciliationSource,
)


class Reconciliation(TimeStampedModel):
    """One comparison of the books with what B3 or a broker says, as of a date.

    Keyed by its content (``digest`` of the file or of the typed balances): running the same file
    again updates this run in place — and writes nothing when the books did not change either.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("carteira"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Vazio: todas as carteiras do investidor (o extrato da B3 é por CPF)."),
    )
    kind = models.CharField(_("tipo"), max_length=12, choices=ReconciliationKind.choices)
    source = models.CharField(_("origem"), max_length=12, choices=ReconciliationSource.choices)
    as_of = models.DateField(_("data de referência"))
    file_name = models.CharField(_("arquivo"), max_length=255, blank=True)
    digest = models.CharField(_("hash do conteúdo"), max_length=64)
    results_digest = models.CharField(_("hash do resultado"), max_length=64, editable=False)
    matches = models.PositiveIntegerField(_("conferem"), default=0)
    differences = models.PositiveIntegerField(_("diferenças"), default=0)
    only_statement = models.PositiveIntegerField(_("só no extrato"), default=0)
    only_books = models.PositiveIntegerField(_("só na carteira"), default=0)
    problems = models.JSONField(_("linhas não lidas"), default=list, blank=True)
    runs = models.PositiveIntegerField(_("execuções"), default=1)
    last_run_at = models.DateTimeField(_("última execução"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executada por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("conciliação")
        verbose_name_plural = _("conciliações")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "as_of", "digest"],
                condition=Q(portfolio__isnull=True),
                name="reconciliation_unique_all",
            ),
            models.UniqueConstraint(
                fields=["owner", "portfolio", "kind", "as_of", "digest"],
                condition=Q(portfolio__isnull=False),
                name="reconciliation_unique_portfolio",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.as_of:%d/%m/%Y} ({self.owner})"

    @property
    def open_issues(self) -> int:
        return self.differences + self.only_statement + self.only_books


class ReconciliationLine(models.Model):
    """One broker × asset (positions) or broker × currency (cash) of a run.

    ``statement`` is what B3 or the broker says, ``books`` what the ledger says on that date
    (a quantity, or an amount of money for cash lines); ``difference`` = statement − books.
    """

    reconciliation = models.ForeignKey(
        Reconciliation, verbose_name=_("conciliação"), on_delete=models.CASCADE, related_name="lines"
    )
    broker = models.ForeignKey(
        Broker, verbose_name=_("corretora"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    institution = models.CharField(_("instituição no extrato"), max_length=200, blank=True)
    asset = models.ForeignKey(
        Asset, verbose_name=_("ativo"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticker = models.CharField(_("código"), max_length=64, blank=True)
    product = models.CharField(_("produto"), max_length=200, blank=True)
    currency = currency_field(blank=True)
    statement = quantity_field(_("extrato"), null=True, blank=True)
    books = quantity_field(_("carteira"), null=True, blank=True)
    difference = quantity_field(_("diferença"), default=ZERO)
    status = models.CharField(_("situação"), max_length=12, choices=LineStatus.choices)
    cause = models.CharField(_("causa provável"), max_length=24, choices=LikelyCause.choices, blank=True)
    cause_detail = models.CharField(_("detalhe"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("linha de conciliação")
        verbose_name_plural = _("linhas de conciliação")
        ordering = ["reconciliation_id", "status", "institution", "ticker", "id"]
        indexes = [models.Index(fields=["reconciliation", "status"], name="recline_run_status")]

    def __str__(self):
        return f"{self.institution or self.broker} {self.ticker or self.currency}: {self.get_status_display()}"


class BrokerageNote(TimeStampedModel):
    """A nota de corretagem (B3/SINACOR layout) as imported: its totals and fees, and its lines.

    One per portfolio × broker × note number × trading day: importing the PDF again finds it.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    portfolio = models.ForeignKey(Portfolio, verbose_name=_("carteira"), on_delete=models.CASCADE, related_name="+")
    broker = models.ForeignKey(Broker, verbose_name=_("corretora"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("número da nota"), max_length=32)
    trade_date = models.DateField(_("data do pregão"))
    settlement_date = models.DateField(_("liquidação"), null=True, blank=True)
    file_name = models.CharField(_("arquivo"), max_length=255, blank=True)
    pages = models.PositiveSmallIntegerField(_("folhas"), default=1)
    sales_value = money_field(_("vendas"), default=ZERO)
    purchases_value = money_field(_("compras"), default=ZERO)
    settlement_fee = money_field(_("taxa de liquidação"), default=ZERO)
    registration_fee = money_field(_("taxa de registro"), default=ZERO)
    emoluments = money_field(_("emolumentos"), default=ZERO)
    exchange_other = money_field(_("outras taxas da bolsa"), default=ZERO)
    brokerage_fee = money_field(_("corretagem"), default=ZERO)
    iss = money_field(_("ISS"), default=ZERO)
    other_costs = money_field(_("outras despesas"), default=ZERO)
    withheld_tax = money_field(_("IRRF (operações comuns)"), default=ZERO)
    withheld_tax_day_trade = money_field(_("IRRF day trade"), default=ZERO)
    net_amount = money_field(_("líquido para a data"), help_text=_("Positivo: a crédito do cliente."))
    lines = models.JSONField(_("linhas da nota"), default=list, blank=True)

    class Meta:
        verbose_name = _("nota de corretagem")
        verbose_name_plural = _("notas de corretagem")
        ordering = ["-trade_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "broker", "number", "trade_date"], name="brokerage_note_unique"
            ),
        ]

    def __str__(self):
        return f"Nota {self.number} {self.trade_date:%d/%m/%Y} ({self.broker})"

    @property
    def total_fees(self):
        return (
            self.settlement_fee
            + self.registration_fee
            + self.emoluments
            + self.exchange_other
            + self.brokerage_fee
            + self.iss
            + self.other_costs
        )


class BrokerageNoteTrade(models.Model):
    """A trade a note created, or an imported trade whose fees it filled in (what it had before is
    kept in ``previous``, so deleting the note puts it back)."""

    note = models.ForeignKey(BrokerageNote, verbose_name=_("nota"), on_delete=models.CASCADE, related_name="trades")
    line = models.PositiveIntegerField(_("linha da nota"))
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("operação"), on_delete=models.CASCADE, related_name="brokerage_note_trade"
    )
    action = models.CharField(_("ação"), max_length=20, choices=NoteLineAction.choices)
    brokerage_fee = money_field(_("corretagem"), default=ZERO)
    settlement_fee = money_field(_("liquidação e registro"), default=ZERO)
    emoluments = money_field(_("emolumentos"), default=ZERO)
    other_costs = money_field(_("ISS e outras"), default=ZERO)
    withheld_tax = money_field(_("IRRF"), default=ZERO)
    previous = models.JSONField(_("taxas antes da nota"), default=dict, blank=True)

    class Meta:
        verbose_name = _("operação da nota")
        verbose_name_plural = _("operações da nota")
        ordering = ["note_id", "line", "id"]

    def __str__(self):
        return f"{self.note} linha {self.line}"


class Alert(TimeStampedModel):
    """A condition a user wants to be told about. Fires once per crossing: ``triggered`` is set when
    it fires and cleared (re-armed) when the condition no longer holds; a snoozed alert is not evaluated.

    ``threshold``: a price in the asset's currency (price alerts), a percentage (day change, dividend
    yield), percentage points (allocation drift) or a number of days (DARF due).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=AlertKind.choices)
    asset = models.ForeignKey(
        Asset, verbose_name=_("ativo"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    portfolio = models.ForeignKey(
        Portfolio, verbose_name=_("carteira"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    threshold = price_field(_("limite"))
    note = models.CharField(_("anotação"), max_length=200, blank=True)
    active = models.BooleanField(_("ativo"), default=True)
    notify_email = models.BooleanField(_("avisar por e-mail"), default=True)
    snoozed_until = models.DateTimeField(_("adiado até"), null=True, blank=True)
    triggered = models.BooleanField(_("disparado"), default=False, editable=False)
    trigger_key = models.CharField(_("chave do disparo"), max_length=64, blank=True, editable=False)
    last_value = price_field(_("último valor"), null=True, blank=True, editable=False)
    last_fired_at = models.DateTimeField(_("último disparo"), null=True, blank=True, editable=False)
    fire_count = models.PositiveIntegerField(_("disparos"), default=0, editable=False)

    class Meta:
        verbose_name = _("alerta")
        verbose_name_plural = _("alertas")
        ordering = ["owner_id", "kind", "id"]
        indexes = [
            models.Index(fields=["asset", "active"], name="alert_asset_active"),
            models.Index(fields=["kind", "active"], name="alert_kind_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in ASSET_ALERTS]) | Q(asset__isnull=False),
                name="alert_asset_required",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AlertKind.ALLOCATION_DRIFT.value) | Q(portfolio__isnull=False),
                name="alert_portfolio_required",
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="alert_threshold_not_negative"),
        ]

    def __str__(self):
        target = self.asset or self.portfolio or ""
        return f"{self.get_kind_display()} {self.threshold.normalize():f} {target}".strip()


class Notification(models.Model):
    """An in-app notification (and its e-mail). ``key`` makes each firing produce exactly one."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    alert = models.ForeignKey(
        Alert, verbose_name=_("alerta"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=AlertKind.choices)
    key = models.CharField(_("chave"), max_length=120, unique=True)
    title = models.CharField(_("título"), max_length=200)
    message = models.TextField(_("mensagem"))
    data = models.JSONField(_("dados"), default=dict, blank=True)
    created_at = models.DateTimeField(_("criada em"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lida em"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=12, choices=NotificationEmail.choices, default=NotificationEmail.PENDING
    )
    emailed_at = models.DateTimeField(_("e-mail enviado em"), null=True, blank=True)

    class Meta:
        verbose_name = _("notificação")
        verbose_name_plural = _("notificações")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "read_at"], name="notification_owner_read"),
            models.Index(fields=["email_status"], name="notification_email_status"),
        ]

    def __str__(self):
        return self.title


class IncomeCalendar(Portfolio):
    """The admin's page per portfolio: proventos to receive (next 12 months) and paid vs expected."""

    class Meta:
        proxy = True
        verbose_name = _("calendário de proventos")
        verbose_name_plural = _("calendário de proventos")

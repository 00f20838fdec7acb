"""Income tax: the dated table of rules and the stored monthly assessments.

The assessment itself is computed from the transactions every time (``portfolio.tax.engine``);
what is stored is the table (editable by ADMIN: a change in the law is a new row, not code) and,
per user and month, the last computed figures plus — once the user marks the month as filed —
the figures as filed, kept unchanged so later differences can be shown.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field

from .choices import RuleKey


class TaxRule(TimeStampedModel):
    """One value of one rule, valid from ``valid_from`` to ``valid_to`` (inclusive; open-ended when empty)."""

    key = models.CharField(_("regra"), max_length=40, choices=RuleKey.choices, db_index=True)
    value = models.DecimalField(_("valor"), max_digits=20, decimal_places=8)
    valid_from = models.DateField(_("válida de"))
    valid_to = models.DateField(_("válida até"), null=True, blank=True)
    legal_basis = models.CharField(_("base legal"), max_length=255, blank=True)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("regra tributária")
        verbose_name_plural = _("tabela de regras tributárias")
        ordering = ["key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "valid_from"], name="taxrule_key_from_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="taxrule_period_valid"
            ),
        ]

    def __str__(self):
        until = f"{self.valid_to:%d/%m/%Y}" if self.valid_to else "…"
        return f"{self.get_key_display()}: {self.value.normalize():f} ({self.valid_from:%d/%m/%Y} – {until})"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("O fim da vigência não pode ser anterior ao início.")})
        if not self.key or not self.valid_from:
            return
        overlapping = TaxRule.objects.filter(key=self.key).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if self.valid_to:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        if overlapping.exists():
            raise ValidationError(
                {"valid_from": _("Já existe um valor desta regra vigente neste período: encerre-o antes.")}
            )


class MonthlyAssessment(TimeStampedModel):
    """The renda variável assessment of one user in one month (DARF 6015 and crypto 4600).

    ``data`` holds the last computed figures (the API's JSON); ``filed_data`` the figures the user
    filed/paid, kept as they were when ``filed_at`` was set.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("mês"), help_text=_("Primeiro dia do mês."))
    sales_total = money_field(_("vendas no mês"), default=0)
    tax_due = money_field(_("imposto devido"), default=0)
    darf_amount = money_field(_("DARF 6015 a pagar"), default=0)
    crypto_darf_amount = money_field(_("DARF 4600 (cripto) a pagar"), default=0)
    due_date = models.DateField(_("vencimento"), null=True, blank=True)
    data = models.JSONField(_("apuração"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("calculada em"), null=True, blank=True)
    filed_at = models.DateTimeField(_("declarada/paga em"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marcada por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    paid_on = models.DateField(_("DARF pago em"), null=True, blank=True)
    filed_data = models.JSONField(_("apuração declarada"), default=dict, blank=True)
    differs_from_filed = models.BooleanField(_("difere do declarado"), default=False, db_index=True)

    class Meta:
        verbose_name = _("apuração mensal de IR")
        verbose_name_plural = _("apurações mensais de IR")
        ordering = ["owner_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "month"], name="assessment_owner_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="assessment_month_first_day"),
        ]

    def __str__(self):
        return f"{self.owner} {self.month:%m/%Y}"

    @property
    def is_filed(self):
        return self.filed_at is not None


class TaxOpeningBalance(TimeStampedModel):
    """Tax balances brought from elsewhere, entering the assessment of ``month`` as its carry-in:
    losses per basket (carried without expiry) and the IRRF credits still unused in that year."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("dono"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("a partir do mês"), help_text=_("Primeiro dia do mês em que os saldos entram."))
    common_loss = money_field(_("prejuízo a compensar: operações comuns"), default=0)
    day_trade_loss = money_field(_("prejuízo a compensar: day trade"), default=0)
    fii_loss = money_field(_("prejuízo a compensar: FII"), default=0)
    irrf_credit = money_field(_("IRRF a compensar no ano"), default=0)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("saldo inicial de IR")
        verbose_name_plural = _("saldos iniciais de IR")
        ordering = ["owner_id"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="tax_opening_month_first_day"),
            models.CheckConstraint(
                condition=Q(common_loss__gte=0) & Q(day_trade_loss__gte=0) & Q(fii_loss__gte=0) & Q(irrf_credit__gte=0),
                name="tax_opening_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.owner} desde {self.month:%m/%Y}"


class YearEndCheckpoint(models.Model):
    """The consolidated replay of one taxpayer at 31/12 of ``year`` (``portfolio.tax.checkpoints``).

    Derived data, never edited: the holdings (closed ones included) and what December handed on to
    January, kept with the fingerprint of everything they were computed from. A later year's report
    starts here only while the fingerprint computed now is the same.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("ano"))
    fingerprint = models.CharField(_("impressão digital"), max_length=64)
    holdings = models.JSONField(_("posições em 31/12"))
    carry = models.JSONField(_("saldos levados a janeiro"), null=True)
    foreign_loss = models.DecimalField(_("prejuízo no exterior a compensar"), max_digits=20, decimal_places=2)
    computed_at = models.DateTimeField(_("calculado em"), auto_now=True)

    class Meta:
        verbose_name = _("ponto de retomada anual")
        verbose_name_plural = _("pontos de retomada anuais")
        constraints = [models.UniqueConstraint(fields=["owner", "year"], name="tax_checkpoint_owner_year")]

    def __str__(self):
        return f"{self.owner_id} 31/12/{self.year}"

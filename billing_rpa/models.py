"""Carriers, billing clients, monthly invoice processes, robot executions and their logs.

Models hold fields, constraints and cheap properties. Every state change goes through
``services``; the legal status transitions live in ``choices``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel, money_field

from .choices import (
    BILLING_PERMISSIONS,
    ErrorKind,
    ExecutionKind,
    ExecutionStatus,
    LogLevel,
    NotificationAudience,
    NotificationKind,
    ProcessStatus,
)
from .validators import format_cnpj, format_cpf, validate_cnpj, validate_cpf, validate_month


class Carrier(TimeStampedModel):
    """Operadora: a telecom carrier whose portal a robot visits."""

    code = models.CharField(
        _("código"), max_length=30, unique=True, help_text=_("Ex.: VIVO, OI, EMBRATEL, DIGITALNET.")
    )
    name = models.CharField(_("nome"), max_length=120, unique=True)
    has_robot = models.BooleanField(_("possui robô"), default=True)
    portal_url = models.URLField(_("URL do portal"), max_length=500, blank=True)
    robot_class = models.CharField(_("classe do robô"), max_length=200, blank=True)
    robot_config = models.JSONField(_("configuração do robô"), default=dict, blank=True)
    active = models.BooleanField(_("ativa"), default=True, db_index=True)

    class Meta:
        verbose_name = _("operadora")
        verbose_name_plural = _("operadoras")
        ordering = ["code"]

    def __str__(self):
        return self.name


class BillingClient(TimeStampedModel):
    """Cliente: one CNPJ × carrier × unit × service whose invoice is fetched every month."""

    legal_name = models.CharField(_("razão social"), max_length=255)
    sat_name = models.CharField(_("nome no SAT"), max_length=255, blank=True)
    cnpj = models.CharField(_("CNPJ"), max_length=14, validators=[validate_cnpj], db_index=True)
    carrier = models.ForeignKey(Carrier, verbose_name=_("operadora"), on_delete=models.PROTECT, related_name="clients")
    name_filter = models.CharField(_("filtro"), max_length=255, blank=True)
    service = models.CharField(_("serviço"), max_length=120, blank=True)
    sat_data = models.TextField(_("dados SAT"), blank=True)
    unit = models.CharField(_("unidade"), max_length=120, blank=True)
    portal_login = models.CharField(_("login do portal"), max_length=255, blank=True)
    portal_password_encrypted = models.TextField(_("senha do portal (cifrada)"), blank=True, editable=False)
    cpf = models.CharField(_("CPF"), max_length=11, blank=True, validators=[validate_cpf])
    active = models.BooleanField(_("ativo"), default=True, db_index=True)
    unique_hash = models.CharField(_("hash único"), max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("cliente de faturamento")
        verbose_name_plural = _("clientes de faturamento")
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cnpj", "carrier", "unit", "service"],
                name="billing_client_cnpj_carrier_unit_service_unique",
                violation_error_message=_("Já existe um cliente com este CNPJ, operadora, unidade e serviço."),
            ),
        ]

    def __str__(self):
        suffix = f" — {self.unit}" if self.unit else ""
        return f"{self.legal_name}{suffix}"

    @property
    def cnpj_formatted(self):
        return format_cnpj(self.cnpj)

    @property
    def cpf_formatted(self):
        return format_cpf(self.cpf)

    @property
    def has_portal_password(self):
        return bool(self.portal_password_encrypted)


class InvoiceProcess(TimeStampedModel):
    """Processo: the invoice of one client for one month, from download to SAT."""

    uuid = models.UUIDField(_("identificador"), default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        BillingClient, verbose_name=_("cliente"), on_delete=models.PROTECT, related_name="processes"
    )
    month = models.CharField(_("mês/ano"), max_length=7, validators=[validate_month], help_text="MM/AAAA")
    period = models.DateField(_("competência"), db_index=True, help_text=_("Primeiro dia do mês."))
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=ProcessStatus.choices,
        default=ProcessStatus.AGUARDANDO_DOWNLOAD,
        db_index=True,
    )

    invoice_key = models.CharField(_("chave da fatura no armazenamento"), max_length=500, blank=True)
    invoice_sha256 = models.CharField(_("SHA-256 da fatura"), max_length=64, blank=True)
    invoice_size = models.PositiveBigIntegerField(_("tamanho da fatura (bytes)"), null=True, blank=True)
    invoice_filename = models.CharField(_("nome original do arquivo"), max_length=255, blank=True)
    invoice_url = models.URLField(_("URL original da fatura"), max_length=1000, blank=True)
    due_date = models.DateField(_("vencimento"), null=True, blank=True)
    amount = money_field(_("valor"), null=True, blank=True)

    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aprovado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approved_invoice_processes",
    )
    approved_at = models.DateTimeField(_("aprovado em"), null=True, blank=True)

    sent_to_sat = models.BooleanField(_("enviado ao SAT"), default=False)
    sat_sent_at = models.DateTimeField(_("enviado ao SAT em"), null=True, blank=True)
    sat_protocol = models.CharField(_("protocolo SAT"), max_length=120, blank=True)

    download_attempts = models.PositiveIntegerField(_("tentativas de download"), default=0)
    sat_attempts = models.PositiveIntegerField(_("tentativas de envio ao SAT"), default=0)
    manual_upload = models.BooleanField(_("upload manual"), default=False)
    auto_created = models.BooleanField(_("criado automaticamente"), default=False)
    notes = models.TextField(_("observações"), blank=True)

    class Meta:
        verbose_name = _("processo de fatura")
        verbose_name_plural = _("processos de fatura")
        ordering = ["-period", "client__legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month"],
                name="invoice_process_client_month_unique",
                violation_error_message=_("Já existe um processo deste cliente para este mês."),
            ),
        ]
        indexes = [models.Index(fields=["status", "period"], name="billing_process_status_period")]
        # What billing staff may do (their groups hold these); see ``groups.ensure_billing_groups``.
        permissions = [codename_label for perms in BILLING_PERMISSIONS.values() for codename_label in perms]

    def __str__(self):
        return f"{self.client} — {self.month}"

    @property
    def has_invoice(self):
        return bool(self.invoice_key)


class Execution(TimeStampedModel):
    """Execução: one attempt of one step of a process (robot job or manual upload)."""

    process = models.ForeignKey(
        InvoiceProcess, verbose_name=_("processo"), on_delete=models.CASCADE, related_name="executions"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=ExecutionKind.choices, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ExecutionStatus.choices, default=ExecutionStatus.EXECUTANDO, db_index=True
    )
    error_kind = models.CharField(_("tipo de erro"), max_length=10, choices=ErrorKind.choices, blank=True)
    attempt = models.PositiveIntegerField(_("tentativa"), default=1)
    auto_retries = models.PositiveIntegerField(
        _("repetições automáticas"), default=0, help_text=_("Quantas repetições automáticas precederam esta tentativa.")
    )

    robot_class = models.CharField(_("classe do robô utilizada"), max_length=200, blank=True)
    rpa_job_id = models.CharField(_("job do RPA"), max_length=120, blank=True, db_index=True)
    idempotency_key = models.UUIDField(_("chave de idempotência"), default=uuid.uuid4, unique=True, editable=False)
    input_data = models.JSONField(_("parâmetros de entrada"), default=dict, blank=True)
    output_data = models.JSONField(_("resultado"), default=dict, blank=True)
    error_data = models.JSONField(_("detalhes do erro"), default=dict, blank=True)
    started_at = models.DateTimeField(_("início"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fim"), null=True, blank=True)
    log_text = models.TextField(_("mensagens"), blank=True)
    file_url = models.URLField(_("URL do arquivo"), max_length=1000, blank=True)

    # Scheduling by the poller: when to look at the job next, and when to give up.
    next_poll_at = models.DateTimeField(_("próxima verificação"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("prazo"), null=True, blank=True)
    last_log_seq = models.PositiveIntegerField(_("última linha de log"), default=0)
    start_tries = models.PositiveIntegerField(_("tentativas de envio ao robô"), default=0)
    poll_failures = models.PositiveIntegerField(_("falhas de verificação"), default=0)

    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="billing_executions",
    )
    ip_address = models.GenericIPAddressField(_("IP de origem"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("execução")
        verbose_name_plural = _("execuções")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "kind", "attempt"], name="execution_process_kind_attempt_unique"
            ),
            # At most one running step per process: a second click or a redelivered task
            # cannot start a parallel robot job.
            models.UniqueConstraint(
                fields=["process"],
                condition=Q(status=ExecutionStatus.EXECUTANDO),
                name="execution_one_running_per_process",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_poll_at"], name="billing_exec_status_poll")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.attempt} — {self.process}"

    @property
    def is_running(self):
        return self.status == ExecutionStatus.EXECUTANDO


class ExecutionLogLine(models.Model):
    """One line of a robot's log, pulled from ``GET /jobs/{id}/logs`` (deduplicated by ``seq``)."""

    execution = models.ForeignKey(
        Execution, verbose_name=_("execução"), on_delete=models.CASCADE, related_name="log_lines"
    )
    seq = models.PositiveIntegerField(_("sequência"))
    timestamp = models.DateTimeField(_("momento"))
    level = models.CharField(_("nível"), max_length=10, choices=LogLevel.choices, default=LogLevel.INFO)
    message = models.TextField(_("mensagem"))

    class Meta:
        verbose_name = _("linha de log")
        verbose_name_plural = _("linhas de log")
        ordering = ["execution", "seq"]
        constraints = [models.UniqueConstraint(fields=["execution", "seq"], name="execution_log_seq_unique")]

    def __str__(self):
        return f"[{self.seq}] {self.level} {self.message[:80]}"


class BillingNotification(TimeStampedModel):
    """A message for billing staff (shown in the admin, also e-mailed)."""

    audience = models.CharField(_("para"), max_length=20, choices=NotificationAudience.choices, db_index=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=NotificationKind.choices, db_index=True)
    title = models.CharField(_("título"), max_length=200)
    message = models.TextField(_("mensagem"), blank=True)
    process = models.ForeignKey(
        InvoiceProcess, verbose_name=_("processo"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    execution = models.ForeignKey(
        Execution, verbose_name=_("execução"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    emailed_to = models.PositiveIntegerField(_("e-mails enviados"), default=0)
    read_at = models.DateTimeField(_("lida em"), null=True, blank=True)
    # A failure notice resolves itself when the failed step later succeeds (see notifications).
    resolved_at = models.DateTimeField(_("resolvida em"), null=True, blank=True, db_index=True)
    resolution = models.CharField(_("resolução"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("notificação de faturamento")
        verbose_name_plural = _("notificações de faturamento")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

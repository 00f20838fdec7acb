"""Statuses, kinds and the legal transitions between statuses — all in one place.

Stored values keep the seed's vocabulary (``AGUARDANDO_DOWNLOAD``, ``EXECUTANDO``...).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessStatus(models.TextChoices):
    AGUARDANDO_DOWNLOAD = "AGUARDANDO_DOWNLOAD", _("Aguardando download")
    AGUARDANDO_APROVACAO = "AGUARDANDO_APROVACAO", _("Aguardando aprovação")
    AGUARDANDO_ENVIO_SAT = "AGUARDANDO_ENVIO_SAT", _("Aguardando envio ao SAT")
    UPLOAD_REALIZADO = "UPLOAD_REALIZADO", _("Upload realizado")


class ProcessEvent(models.TextChoices):
    """What moves a process. Each event is legal only from the statuses in PROCESS_TRANSITIONS."""

    INVOICE_DOWNLOADED = "invoice_downloaded", _("Fatura baixada pelo robô")
    INVOICE_UPLOADED = "invoice_uploaded", _("Fatura enviada manualmente")
    APPROVED = "approved", _("Fatura aprovada")
    REJECTED = "rejected", _("Fatura recusada")
    SAT_UPLOADED = "sat_uploaded", _("Fatura enviada ao SAT")


# event -> (statuses it may start from, status it leads to)
PROCESS_TRANSITIONS = {
    ProcessEvent.INVOICE_DOWNLOADED: ({ProcessStatus.AGUARDANDO_DOWNLOAD}, ProcessStatus.AGUARDANDO_APROVACAO),
    ProcessEvent.INVOICE_UPLOADED: ({ProcessStatus.AGUARDANDO_DOWNLOAD}, ProcessStatus.AGUARDANDO_APROVACAO),
    ProcessEvent.APPROVED: ({ProcessStatus.AGUARDANDO_APROVACAO}, ProcessStatus.AGUARDANDO_ENVIO_SAT),
    ProcessEvent.REJECTED: ({ProcessStatus.AGUARDANDO_APROVACAO}, ProcessStatus.AGUARDANDO_DOWNLOAD),
    ProcessEvent.SAT_UPLOADED: ({ProcessStatus.AGUARDANDO_ENVIO_SAT}, ProcessStatus.UPLOAD_REALIZADO),
}


class ExecutionKind(models.TextChoices):
    DOWNLOAD_FATURA = "DOWNLOAD_FATURA", _("Download da fatura")
    UPLOAD_SAT = "UPLOAD_SAT", _("Envio ao SAT")
    UPLOAD_MANUAL = "UPLOAD_MANUAL", _("Upload manual")


# The process status a robot execution of each kind starts from.
KIND_SOURCE_STATUS = {
    ExecutionKind.DOWNLOAD_FATURA: ProcessStatus.AGUARDANDO_DOWNLOAD,
    ExecutionKind.UPLOAD_SAT: ProcessStatus.AGUARDANDO_ENVIO_SAT,
}
ROBOT_KINDS = tuple(KIND_SOURCE_STATUS)


class ExecutionStatus(models.TextChoices):
    EXECUTANDO = "EXECUTANDO", _("Executando")
    CONCLUIDO = "CONCLUIDO", _("Concluído")
    FALHOU = "FALHOU", _("Falhou")
    TENTANDO_NOVAMENTE = "TENTANDO_NOVAMENTE", _("Tentando novamente")
    CANCELADO = "CANCELADO", _("Cancelado")
    TIMEOUT = "TIMEOUT", _("Tempo esgotado")


# Only a running execution changes status; every other status is final for that attempt
# (a new attempt is a new execution).
EXECUTION_TRANSITIONS = {
    ExecutionStatus.EXECUTANDO: {
        ExecutionStatus.CONCLUIDO,
        ExecutionStatus.FALHOU,
        ExecutionStatus.TENTANDO_NOVAMENTE,
        ExecutionStatus.CANCELADO,
        ExecutionStatus.TIMEOUT,
    },
}
FINAL_FAILURE_STATUSES = (ExecutionStatus.FALHOU, ExecutionStatus.TIMEOUT, ExecutionStatus.CANCELADO)


class ErrorKind(models.TextChoices):
    """Business errors (wrong credentials, no invoice yet) are not retried; system errors are."""

    BUSINESS = "BUSINESS", _("Negócio")
    SYSTEM = "SYSTEM", _("Sistema")


class LogLevel(models.TextChoices):
    DEBUG = "DEBUG", "DEBUG"
    INFO = "INFO", "INFO"
    WARNING = "WARNING", "WARNING"
    ERROR = "ERROR", "ERROR"


class NotificationAudience(models.TextChoices):
    APROVADOR = "Aprovador", _("Aprovadores")
    OPERADOR = "Operador", _("Operadores")


class NotificationKind(models.TextChoices):
    PENDING_APPROVAL = "PENDING_APPROVAL", _("Faturas aguardando aprovação")
    EXECUTION_FAILED = "EXECUTION_FAILED", _("Execução falhou")
    MONTH_LATE = "MONTH_LATE", _("Processos atrasados")


class BillingGroup(models.TextChoices):
    """Django groups that gate billing actions (the seed's APROVADOR / OPERADOR profiles)."""

    APROVADOR = "Aprovador", _("Aprovador")
    OPERADOR = "Operador", _("Operador")


# The permissions each billing group holds (codename, label), declared on ``InvoiceProcess``:
# ``billing_rpa.approve_invoices``, ``billing_rpa.operate_robots``, ``billing_rpa.upload_invoices``.
BILLING_PERMISSIONS = {
    BillingGroup.APROVADOR: [("approve_invoices", _("Pode aprovar faturas"))],
    BillingGroup.OPERADOR: [
        ("operate_robots", _("Pode executar, repetir e cancelar robôs")),
        ("upload_invoices", _("Pode enviar faturas manualmente")),
    ],
}

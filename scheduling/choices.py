from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRunStatus(models.TextChoices):
    QUEUED = "ENFILEIRADO", _("Enfileirado")
    RUNNING = "EXECUTANDO", _("Executando")
    SUCCESS = "CONCLUIDO", _("Concluído")
    FAILURE = "FALHOU", _("Falhou")
    RETRY = "TENTANDO_NOVAMENTE", _("Tentando novamente")
    SKIPPED = "IGNORADO", _("Ignorado (já em execução ou já feito)")
    NOT_SENT = "NAO_ENVIADO", _("Não enviado (fila indisponível); será recuperado")


class JobTrigger(models.TextChoices):
    BEAT = "agendamento", _("Agendamento")
    MANUAL = "manual", _("Executar agora")
    CATCH_UP = "recuperacao", _("Recuperação de execução perdida")
    OTHER = "outro", _("Outro")

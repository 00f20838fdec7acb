"""Stored values of the desk: reconciliation results, brokerage-note lines, alerts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReconciliationKind(models.TextChoices):
    POSITIONS = "posicao", _("Posição (extrato da B3)")
    CASH = "caixa", _("Saldo em caixa da corretora")


class ReconciliationSource(models.TextChoices):
    FILE = "arquivo", _("Arquivo importado")
    TYPED = "informado", _("Informado")


class LineStatus(models.TextChoices):
    MATCH = "confere", _("Confere")
    DIFFERENCE = "diferenca", _("Diferença de quantidade/saldo")
    ONLY_STATEMENT = "so_extrato", _("Só no extrato")
    ONLY_BOOKS = "so_carteira", _("Só na carteira")


class LikelyCause(models.TextChoices):
    NONE = "", _("—")
    CORPORATE_EVENT = "evento_corporativo", _("Evento corporativo não registrado")
    TICKER_CHANGE = "mudanca_ticker", _("Mudança de ticker não registrada")
    CUSTODY_TRANSFER = "transferencia", _("Transferência de custódia não registrada")
    MISSING_TRADE = "operacao_faltando", _("Operação não registrada")
    MISSING_MOVEMENT = "movimentacao_faltando", _("Movimentação de caixa não registrada")
    UNSETTLED = "nao_liquidado", _("Negócio ainda não liquidado (D+2)")
    UNKNOWN_ASSET = "ativo_desconhecido", _("Ativo não cadastrado")
    UNKNOWN_BROKER = "corretora_desconhecida", _("Instituição não cadastrada")
    DIVIDEND_CREDIT = "credito_provento", _("Crédito de provento")


class NoteLineAction(models.TextChoices):
    CREATED = "criada", _("Operação criada")
    FEES_FILLED = "taxas_preenchidas", _("Taxas preenchidas em operação já importada")


class AlertKind(models.TextChoices):
    PRICE_ABOVE = "preco_acima", _("Preço acima de")
    PRICE_BELOW = "preco_abaixo", _("Preço abaixo de")
    DAY_CHANGE = "variacao_dia", _("Variação do dia além de x %")
    DIVIDEND_YIELD = "dy_acima", _("Dividend yield acima de x %")
    ALLOCATION_DRIFT = "desvio_alocacao", _("Alocação desviada da meta em mais de x pontos")
    DARF_DUE = "darf_vencendo", _("DARF vencendo em até n dias")


class NotificationEmail(models.TextChoices):
    PENDING = "pendente", _("Pendente")
    SENT = "enviado", _("Enviado")
    FAILED = "falhou", _("Falhou")
    NOT_WANTED = "nao_enviar", _("Sem e-mail")


# Kinds that watch one asset's quote (evaluated when quotes refresh).
ASSET_ALERTS = (AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW, AlertKind.DAY_CHANGE, AlertKind.DIVIDEND_YIELD)

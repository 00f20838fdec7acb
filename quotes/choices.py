"""Stored choice values of the quotes app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.choices import AssetType


class Operation(models.TextChoices):
    """What was asked of a provider."""

    QUOTE = "quote", _("Cotação")
    HISTORY = "history", _("Histórico")
    FX = "fx", _("Câmbio")
    SERIES = "series", _("Série (CDI/Selic/IPCA)")
    LOOKUP = "lookup", _("Busca de símbolos")


class Outcome(models.TextChoices):
    """How one attempt ended. ``skipped_*`` never reached the provider."""

    OK = "ok", _("Sucesso")
    PARTIAL = "partial", _("Parcial (alguns símbolos sem resposta)")
    NOT_FOUND = "not_found", _("Símbolo(s) não encontrado(s)")
    TIMEOUT = "timeout", _("Tempo esgotado")
    HTTP_ERROR = "http_error", _("Erro HTTP")
    RATE_LIMITED = "rate_limited", _("Limite do provedor (429)")
    AUTH_ERROR = "auth_error", _("Chave recusada")
    BAD_RESPONSE = "bad_response", _("Resposta inválida")
    CONNECTION_ERROR = "connection_error", _("Falha de conexão")
    SKIPPED_CIRCUIT = "skipped_circuit", _("Pulado: circuito aberto")
    SKIPPED_RATE_LIMIT = "skipped_rate_limit", _("Pulado: limite local de requisições")
    SKIPPED_NO_KEY = "skipped_no_key", _("Pulado: sem chave configurada")
    SKIPPED_DISABLED = "skipped_disabled", _("Pulado: provedor desativado")
    SKIPPED_UNSUPPORTED = "skipped_unsupported", _("Pulado: mercado não suportado")


FAILED_OUTCOMES = (
    Outcome.TIMEOUT,
    Outcome.HTTP_ERROR,
    Outcome.RATE_LIMITED,
    Outcome.AUTH_ERROR,
    Outcome.BAD_RESPONSE,
    Outcome.CONNECTION_ERROR,
)
SKIPPED_OUTCOMES = (
    Outcome.SKIPPED_CIRCUIT,
    Outcome.SKIPPED_RATE_LIMIT,
    Outcome.SKIPPED_NO_KEY,
    Outcome.SKIPPED_DISABLED,
    Outcome.SKIPPED_UNSUPPORTED,
)


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Fechado (normal)")
    OPEN = "open", _("Aberto (provedor pulado)")
    HALF_OPEN = "half_open", _("Meio-aberto (testando)")


class AnomalyStatus(models.TextChoices):
    PENDING = "pending", _("Aguardando revisão")
    APPROVED = "approved", _("Aprovada (preço aplicado)")
    REJECTED = "rejected", _("Rejeitada (preço descartado)")


class AnomalyKind(models.TextChoices):
    QUOTE = "quote", _("Cotação")
    BAR = "bar", _("Barra diária")


class IndicatorSeries(models.TextChoices):
    """Banco Central series. Values are percentages as published."""

    CDI = "CDI", _("CDI (% a.d.)")
    SELIC = "SELIC", _("Selic diária (% a.d.)")
    SELIC_TARGET = "SELIC_META", _("Meta Selic (% a.a.)")
    IPCA = "IPCA", _("IPCA (% no mês)")


# SGS codes of each series at the Banco Central.
SGS_CODES = {
    IndicatorSeries.CDI: 12,
    IndicatorSeries.SELIC: 11,
    IndicatorSeries.SELIC_TARGET: 432,
    IndicatorSeries.IPCA: 433,
}


class SignalBand(models.TextChoices):
    COMPRAR = "COMPRAR", _("Comprar")
    AGUARDAR = "AGUARDAR", _("Aguardar")
    VENDER = "VENDER", _("Vender")


# Asset types with a market price. Fixed income (CDB, LCI/LCA, Tesouro, debêntures, bonds) is
# valued by the portfolio app from its own terms, not quoted here. ``outro`` is quoted (BDRs,
# gold) unless it has fixed-income terms (a COE: maturity, face value or indexer).
QUOTABLE_TYPES = (
    AssetType.ACAO,
    AssetType.FII,
    AssetType.UNIT,
    AssetType.STOCK,
    AssetType.REIT,
    AssetType.ETF,
    AssetType.STOCK_INTL,
    AssetType.ETF_INTL,
    AssetType.CRIPTO,
    AssetType.OUTRO,
)


def quotable_q():
    """Filter of the assets that have a market price (see :data:`QUOTABLE_TYPES`)."""
    from django.db.models import Q

    fixed_income_terms = Q(maturity_date__isnull=False) | Q(face_value__isnull=False) | ~Q(indexer="")
    return Q(asset_type__in=QUOTABLE_TYPES) & ~(Q(asset_type=AssetType.OUTRO) & fixed_income_terms)


def is_quotable(asset) -> bool:
    if asset.asset_type not in QUOTABLE_TYPES:
        return False
    if asset.asset_type == AssetType.OUTRO:
        return not (asset.maturity_date or asset.face_value is not None or asset.indexer)
    return True

"""Stored choice values keep the vocabulary investors and B3 use (``acao``, ``compra``, ``jcp``...)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BrokerKind(models.TextChoices):
    CORRETORA = "corretora", _("Corretora")
    EXCHANGE = "exchange", _("Exchange (cripto)")


class AssetType(models.TextChoices):
    ACAO = "acao", _("Ação")
    FII = "fii", _("Fundo imobiliário (FII)")
    UNIT = "unit", _("Unit")
    CDB = "cdb", _("CDB")
    LCI_LCA = "lci_lca", _("LCI/LCA")
    TESOURO_DIRETO = "tesouro_direto", _("Tesouro Direto")
    DEBENTURE = "debenture", _("Debênture")
    STOCK = "stock", _("Stock (EUA)")
    REIT = "reit", _("REIT")
    BOND = "bond", _("Bond")
    ETF = "etf", _("ETF (B3)")
    STOCK_INTL = "stock_intl", _("Ação internacional")
    ETF_INTL = "etf_intl", _("ETF internacional")
    CRIPTO = "cripto", _("Criptoativo")
    OUTRO = "outro", _("Outro")


class AssetClass(models.TextChoices):
    RENDA_VARIAVEL = "renda_variavel", _("Renda variável")
    RENDA_FIXA = "renda_fixa", _("Renda fixa")
    CRIPTO = "cripto", _("Cripto")
    COMMODITY = "commodity", _("Commodity")
    HIBRIDO = "hibrido", _("Híbrido")


# The class an asset type belongs to unless an operator says otherwise.
DEFAULT_CLASS_BY_TYPE = {
    AssetType.ACAO: AssetClass.RENDA_VARIAVEL,
    AssetType.FII: AssetClass.RENDA_VARIAVEL,
    AssetType.UNIT: AssetClass.RENDA_VARIAVEL,
    AssetType.CDB: AssetClass.RENDA_FIXA,
    AssetType.LCI_LCA: AssetClass.RENDA_FIXA,
    AssetType.TESOURO_DIRETO: AssetClass.RENDA_FIXA,
    AssetType.DEBENTURE: AssetClass.RENDA_FIXA,
    AssetType.STOCK: AssetClass.RENDA_VARIAVEL,
    AssetType.REIT: AssetClass.RENDA_VARIAVEL,
    AssetType.BOND: AssetClass.RENDA_FIXA,
    AssetType.ETF: AssetClass.RENDA_VARIAVEL,
    AssetType.STOCK_INTL: AssetClass.RENDA_VARIAVEL,
    AssetType.ETF_INTL: AssetClass.RENDA_VARIAVEL,
    AssetType.CRIPTO: AssetClass.CRIPTO,
    AssetType.OUTRO: AssetClass.HIBRIDO,
}


class Market(models.TextChoices):
    BR = "BR", _("Brasil (B3)")
    US = "US", _("Estados Unidos")
    EU = "EU", _("Europa")
    ASIA = "ASIA", _("Ásia")
    GLOBAL = "GLOBAL", _("Global (cripto)")


# The currency an asset of each market trades in unless its source says otherwise.
CURRENCY_BY_MARKET = {Market.BR: "BRL", Market.US: "USD", Market.EU: "EUR", Market.ASIA: "USD", Market.GLOBAL: "USD"}


class Indexer(models.TextChoices):
    PREFIXADO = "PREFIXADO", _("Prefixado")
    CDI = "CDI", _("CDI")
    SELIC = "SELIC", _("Selic")
    IPCA = "IPCA", _("IPCA")
    IGPM = "IGPM", _("IGP-M")


class TransactionKind(models.TextChoices):
    COMPRA = "compra", _("Compra")
    VENDA = "venda", _("Venda")
    SUBSCRICAO = "subscricao", _("Subscrição")
    AMORTIZACAO = "amortizacao", _("Amortização")


# Kinds that add shares (and cost) vs. kinds that take shares out at the average cost.
ACQUISITION_KINDS = (TransactionKind.COMPRA, TransactionKind.SUBSCRICAO)
DISPOSAL_KINDS = (TransactionKind.VENDA,)


class CorporateEventKind(models.TextChoices):
    SPLIT = "split", _("Desdobramento (split)")
    GRUPAMENTO = "grupamento", _("Grupamento (inplit)")
    BONIFICACAO = "bonificacao", _("Bonificação em ações")
    MUDANCA_TICKER = "mudanca_ticker", _("Mudança de ticker")
    DESLISTAGEM = "deslistagem", _("Deslistagem")
    # Kept for the record; they do not change positions automatically.
    CISAO = "cisao", _("Cisão")
    INCORPORACAO = "incorporacao", _("Incorporação")
    FUSAO = "fusao", _("Fusão")
    OUTRO = "outro", _("Outro")


# Events that change quantities or move positions when applied.
POSITION_EVENT_KINDS = (
    CorporateEventKind.SPLIT,
    CorporateEventKind.GRUPAMENTO,
    CorporateEventKind.BONIFICACAO,
    CorporateEventKind.MUDANCA_TICKER,
    CorporateEventKind.DESLISTAGEM,
)


class DividendKind(models.TextChoices):
    DIVIDENDO = "dividendo", _("Dividendo")
    JCP = "jcp", _("Juros sobre capital próprio (JCP)")
    RENDIMENTO = "rendimento", _("Rendimento (FII)")
    CUPOM = "cupom", _("Cupom")
    AMORTIZACAO = "amortizacao", _("Amortização")
    BONIFICACAO_DINHEIRO = "bonificacao_dinheiro", _("Bonificação em dinheiro")
    OUTRO = "outro", _("Outro")


class CashKind(models.TextChoices):
    DEPOSITO = "deposito", _("Depósito")
    SAQUE = "saque", _("Saque")
    TRANSFERENCIA = "transferencia", _("Transferência entre corretoras")
    CREDITO_PROVENTO = "credito_provento", _("Crédito de provento")
    COMPRA = "compra", _("Liquidação de compra")
    VENDA = "venda", _("Liquidação de venda")
    TAXA = "taxa", _("Taxa")
    IMPOSTO = "imposto", _("Imposto")
    AJUSTE = "ajuste", _("Ajuste")


# Sign of ``CashMovement.amount`` by kind, relative to ``broker``: money in (+) or out (-).
# A transfer leaves ``broker`` (negative) and arrives at ``destination_broker``.
# ``ajuste`` may go either way (never zero).
CASH_INFLOW_KINDS = (CashKind.DEPOSITO, CashKind.CREDITO_PROVENTO, CashKind.VENDA)
CASH_OUTFLOW_KINDS = (CashKind.SAQUE, CashKind.COMPRA, CashKind.TAXA, CashKind.IMPOSTO, CashKind.TRANSFERENCIA)


class FxSource(models.TextChoices):
    """Where a stored FX rate came from (``Transaction.fx_source``, ``DividendReceipt.fx_source``).

    Rates read from the quotes app keep that rate's own source (``bcb`` is the Banco Central PTAX);
    these are the values that do not come from a stored rate.
    """

    NONE = "brl", _("BRL: sem conversão")
    INFORMED = "informado", _("Informado na operação")
    LEGACY = "legado", _("Registrado antes de a fonte ser guardada")


# FX sources that are the Banco Central PTAX (what Lei 14.754/2023 asks for).
PTAX_SOURCES = frozenset({"bcb", "ptax"})

# Asset types B3 trades only in whole units: a corporate event that leaves a fraction leaves it
# pending until the leilão de frações is recorded.
WHOLE_UNIT_TYPES = frozenset({"acao", "fii", "unit", "etf", "stock_intl", "etf_intl", "stock", "reit"})


def whole_units(*, asset_type: str, market: str) -> bool:
    return market == Market.BR and asset_type in WHOLE_UNIT_TYPES

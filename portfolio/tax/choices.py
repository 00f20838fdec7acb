"""Vocabulary of the income-tax assessment: rule keys of the dated table, categories and baskets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKey(models.TextChoices):
    """Every number the assessment uses. Percentages are numbers (15 = 15 %), amounts in BRL."""

    COMMON_RATE = "common_rate", _("Operações comuns (ações, units, ETFs, BDRs): alíquota (%)")
    COMMON_EXEMPTION_SALES = "common_exemption_sales", _("Isenção de ações à vista: vendas no mês até (R$)")
    DAY_TRADE_RATE = "day_trade_rate", _("Day trade: alíquota (%)")
    FII_RATE = "fii_rate", _("FII: alíquota (%)")
    IRRF_COMMON_RATE = "irrf_common_rate", _("IRRF ('dedo-duro') sobre vendas comuns (%)")
    IRRF_COMMON_MINIMUM = "irrf_common_minimum", _("IRRF sobre vendas: dispensado até (R$)")
    IRRF_DAY_TRADE_RATE = "irrf_day_trade_rate", _("IRRF sobre o ganho em day trade (%)")
    CRYPTO_EXEMPTION_SALES = "crypto_exemption_sales", _("Criptoativos: isenção com vendas no mês até (R$)")
    GCAP_RATE_1 = "gcap_rate_1", _("Ganho de capital: alíquota da 1ª faixa (%)")
    GCAP_LIMIT_1 = "gcap_limit_1", _("Ganho de capital: limite da 1ª faixa (R$)")
    GCAP_RATE_2 = "gcap_rate_2", _("Ganho de capital: alíquota da 2ª faixa (%)")
    GCAP_LIMIT_2 = "gcap_limit_2", _("Ganho de capital: limite da 2ª faixa (R$)")
    GCAP_RATE_3 = "gcap_rate_3", _("Ganho de capital: alíquota da 3ª faixa (%)")
    GCAP_LIMIT_3 = "gcap_limit_3", _("Ganho de capital: limite da 3ª faixa (R$)")
    GCAP_RATE_4 = "gcap_rate_4", _("Ganho de capital: alíquota acima da 3ª faixa (%)")
    DARF_MINIMUM = "darf_minimum", _("DARF: valor mínimo (R$)")
    LATE_FINE_DAILY = "late_fine_daily", _("Multa de mora por dia (%)")
    LATE_FINE_CAP = "late_fine_cap", _("Multa de mora: teto (%)")
    LATE_INTEREST_LAST_MONTH = "late_interest_last_month", _("Juros de mora no mês do pagamento (%)")
    FOREIGN_RATE = "foreign_rate", _("Aplicações no exterior (Lei 14.754/2023): alíquota anual (%)")
    JCP_RATE = "jcp_rate", _("JCP: alíquota retida (%)")
    DIVIDEND_MONTHLY_THRESHOLD = "dividend_monthly_threshold", _("Dividendos: retenção acima de (R$/mês por empresa)")
    DIVIDEND_WITHHOLDING_RATE = "dividend_withholding_rate", _("Dividendos: alíquota retida acima do limite (%)")
    FII_INCOME_EXEMPT = "fii_income_exempt", _("Rendimentos de FII isentos (1 = sim, 0 = não)")
    UNITS_EXEMPT = "units_exempt", _("Units entram na isenção de R$ 20.000 das ações (1 = sim, 0 = não)")
    IRRF_CREDIT_WITHIN_YEAR = (
        "irrf_credit_within_year",
        _("IRRF compensável só dentro do ano-calendário (1 = sim; o saldo vai para a declaração)"),
    )
    IRRF_MINIMUM_MONTHLY = (
        "irrf_minimum_monthly",
        _("Dispensa de IRRF até o mínimo: soma do mês por corretora (1) ou por nota (0)"),
    )
    ETF_FIXED_INCOME_AT_SOURCE = (
        "etf_fixed_income_at_source",
        _("ETF de renda fixa tributado na fonte, fora da apuração mensal (1 = sim)"),
    )
    FRACTION_COST_ASSIGNED = (
        "fraction_cost_assigned",
        _("Frações de bonificação vendidas em leilão saem pelo custo atribuído (1) ou pelo preço médio (0)"),
    )


class Category(models.TextChoices):
    """What an asset is for the income tax (``portfolio.tax.engine.category_of``)."""

    ACOES = "acoes", _("Ações (à vista)")
    UNITS = "units", _("Units (certificados de depósito de ações)")
    ETF = "etf", _("ETF de renda variável")
    ETF_RENDA_FIXA = "etf_renda_fixa", _("ETF de renda fixa (Lei 13.043/2014, tributação na fonte)")
    BDR = "bdr", _("BDR")
    FII = "fii", _("FII / Fiagro")
    CRIPTO = "cripto", _("Criptoativos")
    EXTERIOR = "exterior", _("Aplicações no exterior (Lei 14.754/2023)")
    RENDA_FIXA = "renda_fixa", _("Renda fixa (tributação na fonte)")
    OUTRO = "outro", _("Outro (não apurado)")


class Basket(models.TextChoices):
    """Loss baskets of the monthly DARF 6015: losses only offset gains of the same basket."""

    COMMON = "common", _("Operações comuns")
    DAY_TRADE = "day_trade", _("Day trade")
    FII = "fii", _("FII")

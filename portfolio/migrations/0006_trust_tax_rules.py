"""Rule rows of issue 11 (each with its source); readings that are ours say so in ``notes``."""

from datetime import date
from decimal import Decimal

from django.db import migrations

IN_1585 = "IN RFB 1.585/2015"
RULES = [
    (
        "units_exempt",
        "0",
        date(2005, 1, 1),
        None,
        f"Lei 11.033/2004, art. 3º, I; {IN_1585}, art. 59, I; Manual do ReVar (Receita Federal)",
        "A isenção alcança 'operações com ações'; units são certificados de depósito de ações (valor "
        "mobiliário próprio) e o Manual do ReVar da Receita diz que não entram. Units: 15 % sem isenção.",
    ),
    (
        "irrf_credit_within_year",
        "1",
        date(2005, 1, 1),
        None,
        f"Lei 11.033/2004, art. 2º; {IN_1585}",
        "Leitura nossa: o IRRF é deduzido do imposto do mês, compensado nos meses seguintes do mesmo "
        "ano-calendário e o saldo em 31/12 vai para a declaração de ajuste — não para o DARF de janeiro.",
    ),
    (
        "irrf_minimum_monthly",
        "1",
        date(2005, 1, 1),
        None,
        f"Lei 11.033/2004, art. 2º; {IN_1585}",
        "Leitura nossa: para a dispensa de IRRF até R$ 1,00, somam-se as operações da mesma pessoa no mês "
        "(por corretora, quem retém), não nota a nota.",
    ),
    (
        "etf_fixed_income_at_source",
        "1",
        date(2014, 11, 14),
        None,
        "Lei 13.043/2014, art. 2º",
        "ETF de renda fixa (classe renda fixa no cadastro): IR retido na fonte pelo administrador.",
    ),
    (
        "fraction_cost_assigned",
        "1",
        date(1996, 1, 1),
        None,
        "Lei 9.249/1995, art. 10, parágrafo único; Lei 6.404/1976, art. 169, §3º",
        "Leitura nossa: a fração de bonificação vendida em leilão é de ação nova, que entrou pelo custo "
        "atribuído e sai por ele; fração de grupamento sai pelo preço médio.",
    ),
]
UPDATED_BASIS = {
    "irrf_common_minimum": (
        "Lei 11.033/2004, art. 2º, §1º",
        "Lei 11.033/2004, art. 2º; IN RFB 1.585/2015",
        "Retenção igual ou inferior a R$ 1,00 dispensada; o limite se apura sobre a soma do mês (irrf_minimum_monthly).",
    ),
}


def seed(apps, schema_editor):
    TaxRule = apps.get_model("portfolio", "TaxRule")
    for key, value, valid_from, valid_to, basis, notes in RULES:
        TaxRule.objects.get_or_create(
            key=key,
            valid_from=valid_from,
            defaults={"value": Decimal(value), "valid_to": valid_to, "legal_basis": basis, "notes": notes},
        )
    for key, (old, new, notes) in UPDATED_BASIS.items():
        TaxRule.objects.filter(key=key, legal_basis=old).update(legal_basis=new, notes=notes)


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0005_trust_ledger_sources")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

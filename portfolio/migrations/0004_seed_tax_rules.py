"""Seed the dated tax table with the rules in force (ADMIN edits them in the admin; never overwritten)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

IN_1585 = "IN RFB 1.585/2015"
# (key, value, valid_from, valid_to, legal basis, notes)
RULES = [
    ("common_rate", "15", date(2005, 1, 1), None, f"Lei 11.033/2004, art. 2º, II; {IN_1585}, art. 56", ""),
    (
        "common_exemption_sales",
        "20000",
        date(2005, 1, 1),
        None,
        f"Lei 11.033/2004, art. 3º, I; {IN_1585}",
        "Só ações (e units) no mercado à vista, fora de day trade; ETFs, BDRs, FIIs e opções não têm a isenção.",
    ),
    ("day_trade_rate", "20", date(2005, 1, 1), None, f"{IN_1585}, art. 65", ""),
    ("fii_rate", "20", date(2005, 1, 1), None, f"Lei 8.668/1993, art. 18; {IN_1585}", "Sem isenção."),
    (
        "irrf_common_rate",
        "0.005",
        date(2005, 1, 1),
        None,
        f"Lei 11.033/2004, art. 2º, §1º; {IN_1585}",
        "Sobre o valor de alienação em operações comuns (não day trade).",
    ),
    (
        "irrf_common_minimum",
        "1.00",
        date(2005, 1, 1),
        None,
        "Lei 11.033/2004, art. 2º, §1º",
        "Retenção igual ou inferior a R$ 1,00 é dispensada.",
    ),
    ("irrf_day_trade_rate", "1", date(2005, 1, 1), None, f"{IN_1585}, art. 65", "Sobre o resultado positivo do dia."),
    (
        "crypto_exemption_sales",
        "35000",
        date(2006, 1, 1),
        None,
        "Lei 9.250/1995, art. 22 (red. Lei 11.196/2005); IN RFB 1.888/2019",
        "Soma das alienações de criptoativos no mês.",
    ),
    ("gcap_rate_1", "15", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, I (red. Lei 13.259/2016)", ""),
    ("gcap_limit_1", "5000000", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, I (red. Lei 13.259/2016)", ""),
    ("gcap_rate_2", "17.5", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, II (red. Lei 13.259/2016)", ""),
    ("gcap_limit_2", "10000000", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, II (red. Lei 13.259/2016)", ""),
    ("gcap_rate_3", "20", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, III (red. Lei 13.259/2016)", ""),
    ("gcap_limit_3", "30000000", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, III (red. Lei 13.259/2016)", ""),
    ("gcap_rate_4", "22.5", date(2017, 1, 1), None, "Lei 8.981/1995, art. 21, IV (red. Lei 13.259/2016)", ""),
    (
        "darf_minimum",
        "10.00",
        date(1997, 1, 1),
        None,
        "Lei 9.430/1996, art. 68",
        "Abaixo do mínimo o valor é somado ao dos meses seguintes até atingi-lo.",
    ),
    ("late_fine_daily", "0.33", date(1997, 1, 1), None, "Lei 9.430/1996, art. 61, caput", ""),
    ("late_fine_cap", "20", date(1997, 1, 1), None, "Lei 9.430/1996, art. 61, §2º", ""),
    (
        "late_interest_last_month",
        "1",
        date(1997, 1, 1),
        None,
        "Lei 9.430/1996, art. 61, §3º; art. 5º, §3º",
        "Selic acumulada do mês seguinte ao vencimento até o anterior ao pagamento, mais 1% no mês do pagamento.",
    ),
    (
        "foreign_rate",
        "15",
        date(2024, 1, 1),
        None,
        "Lei 14.754/2023, arts. 2º a 4º",
        "Aplicações financeiras no exterior: apuração anual na DAA, em reais pela PTAX de cada data.",
    ),
    ("jcp_rate", "15", date(1996, 1, 1), date(2025, 12, 31), "Lei 9.249/1995, art. 9º, §2º", ""),
    (
        "jcp_rate",
        "17.5",
        date(2026, 1, 1),
        None,
        "Lei 9.249/1995, art. 9º, §2º (red. LC 224/2025)",
        "Conferir a vigência: usado só quando o provento não traz o imposto retido.",
    ),
    (
        "dividend_withholding_rate",
        "0",
        date(1996, 1, 1),
        date(2025, 12, 31),
        "Lei 9.249/1995, art. 10",
        "Dividendos isentos, sem retenção.",
    ),
    (
        "dividend_withholding_rate",
        "10",
        date(2026, 1, 1),
        None,
        "Lei 15.270/2025",
        "Retenção de 10% quando uma mesma empresa paga mais que o limite no mês a uma pessoa física.",
    ),
    ("dividend_monthly_threshold", "50000", date(2026, 1, 1), None, "Lei 15.270/2025", ""),
    (
        "fii_income_exempt",
        "1",
        date(2005, 1, 1),
        None,
        "Lei 11.033/2004, art. 3º, III (red. Lei 14.754/2023)",
        "Condições: fundo com cotas negociadas só em bolsa/balcão, 100+ cotistas e cotista com menos de 10%.",
    ),
]


def seed(apps, schema_editor):
    TaxRule = apps.get_model("portfolio", "TaxRule")
    for key, value, valid_from, valid_to, basis, notes in RULES:
        TaxRule.objects.get_or_create(
            key=key,
            valid_from=valid_from,
            defaults={"value": Decimal(value), "valid_to": valid_to, "legal_basis": basis, "notes": notes},
        )


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0003_analytics_tax")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

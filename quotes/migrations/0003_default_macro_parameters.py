"""Default macro parameters per market (operators edit them in the admin; never overwritten)."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "BR": ("15.00", "16.50", "5.00", "4.00", "6.00", "9.00"),
    "US": ("4.25", "9.00", "4.00", "2.50", "4.00", "6.00"),
    "EU": ("2.75", "8.00", "3.00", "2.00", "4.00", "5.50"),
}
FIELDS = ("risk_free_rate", "cost_of_capital", "growth_rate", "terminal_growth_rate", "bazin_yield", "fii_cap_rate")


def create_defaults(apps, schema_editor):
    MacroParameters = apps.get_model("quotes", "MacroParameters")
    for market, values in DEFAULTS.items():
        MacroParameters.objects.get_or_create(
            market=market,
            defaults={
                **{f: Decimal(v) for f, v in zip(FIELDS, values, strict=True)},
                "dcf_years": 5,
                "notes": "Valores iniciais; revise.",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("quotes", "0002_providers_anomalies_macro_watchlist")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""Foreign assets (Lei 14.754/2023), dividends and JCP, the DIRPF report and filing a month."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from portfolio import services
from portfolio.tax import selectors
from portfolio.tax import services as tax_services
from portfolio.tax.models import MonthlyAssessment
from quotes.models import FxRate

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def usd(day, rate):
    FxRate.objects.create(pair="USD-BRL", date=date.fromisoformat(day), rate=D(rate), source="ptax")


def dividend(asset, kind, value, data_com, paid_on, rate="0"):
    return services.dividend_create(
        asset=asset,
        kind=kind,
        value_per_share=D(value),
        data_com=date.fromisoformat(data_com),
        payment_date=date.fromisoformat(paid_on),
        withholding_rate=D(rate),
    )


def test_foreign_sale_at_ptax_and_dividend_with_foreign_tax_credit(user):
    p = PortfolioFactory(owner=user)
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    usd("2024-03-01", "5.00")
    usd("2024-05-20", "5.10")
    usd("2024-09-02", "5.50")
    trade(p, aapl, "compra", 10, "100.00", broker=avenue, on="2024-03-01")  # US$ 1,000 × 5.00 = R$ 5,000.00
    dividend(aapl, "dividendo", "1.00", "2024-05-10", "2024-05-20", rate="30")  # US$ 10, 3 withheld, PTAX 5.10
    trade(p, aapl, "venda", 10, "120.00", broker=avenue, on="2024-09-02")  # US$ 1,200 × 5.50 = R$ 6,600.00

    report = selectors.annual_report(owner=user, year=2024)
    abroad = report["exterior"]
    assert abroad["applies"] is True
    assert abroad["gains"] == D("1600.00")
    assert abroad["income"] == D("51.00")
    assert abroad["foreign_tax_paid"] == D("15.30")
    assert abroad["tax"] == D("247.65")  # 15 % of 1,651.00
    assert abroad["credit"] == D("7.65")  # limited to the Brazilian tax on the dividend (15 % of 51.00)
    assert abroad["tax_due"] == D("240.00")
    # Nothing of it goes to the monthly DARF.
    assert selectors.monthly_assessment(owner=user, month=date(2024, 9, 1))["tax_due"] == D("0.00")


def test_foreign_loss_offsets_the_next_years_gain(user):
    p = PortfolioFactory(owner=user)
    msft = AssetFactory(ticker="MSFT", market="US", asset_type="stock", currency="USD")
    usd("2024-02-01", "5.00")
    trade(p, msft, "compra", 10, "100.00", on="2024-02-01")
    trade(p, msft, "venda", 5, "80.00", on="2024-06-03")  # 2,000 − 2,500 = −500
    trade(p, msft, "venda", 5, "140.00", on="2025-06-02")  # 3,500 − 2,500 = +1,000
    assert selectors.annual_report(owner=user, year=2024)["exterior"]["loss_out"] == D("500.00")
    y2025 = selectors.annual_report(owner=user, year=2025)["exterior"]
    assert (y2025["compensated"], y2025["taxable"], y2025["tax_due"]) == (D("500.00"), D("500.00"), D("75.00"))


def test_annual_report_bens_direitos_income_and_losses(user):
    p = PortfolioFactory(owner=user)
    xp = BrokerFactory(name="XP Investimentos", cnpj="02332886000104")
    rico = BrokerFactory(name="Rico", cnpj="02332886001178")
    petr = AssetFactory(ticker="PETR4", name="Petrobras PN", cnpj="33000167000101")
    hglg = AssetFactory(ticker="HGLG11", asset_type="fii", name="CSHG Logística")
    trade(p, petr, "compra", 100, "30.00", broker=xp, on="2024-02-05")  # 3,000.00
    trade(p, petr, "compra", 100, "40.00", broker=rico, on="2024-03-05")  # 4,000.00 → average 35.00
    trade(p, hglg, "compra", 10, "150.00", broker=xp, on="2024-02-05")
    trade(p, petr, "venda", 50, "45.00", broker=xp, on="2024-07-10")  # exempt gain 2,250 − 1,750 = 500
    dividend(petr, "dividendo", "1.00", "2024-04-01", "2024-04-20")  # 200 × 1.00
    dividend(petr, "jcp", "0.50", "2024-05-02", "2024-05-20", rate="15")  # 200 × 0.50 = 100, 15 withheld
    dividend(hglg, "rendimento", "1.10", "2024-06-03", "2024-06-14")  # 10 × 1.10

    report = selectors.annual_report(owner=user, year=2024)
    bens = {(b["ticker"], b["broker"]): b for b in report["bens_e_direitos"]}
    assert bens[("PETR4", "XP Investimentos")]["quantity"] == D("50")
    assert bens[("PETR4", "XP Investimentos")]["cost"] == D("1750.00")  # 50 × 35.00
    assert bens[("PETR4", "Rico")]["cost"] == D("3500.00")
    assert bens[("PETR4", "Rico")]["broker_cnpj"] == "02332886001178"
    assert (bens[("PETR4", "Rico")]["group"], bens[("PETR4", "Rico")]["code"]) == ("03", "01")
    assert (bens[("HGLG11", "XP Investimentos")]["group"], bens[("HGLG11", "XP Investimentos")]["code"]) == ("07", "03")
    assert bens[("HGLG11", "XP Investimentos")]["previous_cost"] == D("0.00")

    isentos = report["rendimentos_isentos"]
    assert isentos["total_dividendos"] == D("200.00")
    assert isentos["acoes_ate_20mil_20"] == D("500.00")
    assert isentos["total_fii"] == D("11.00")
    jcp = report["tributacao_exclusiva"]["jcp_10"][0]
    assert (jcp["gross"], jcp["tax"], jcp["net"]) == (D("100.00"), D("15.00"), D("85.00"))
    july = next(m for m in report["renda_variavel"]["months"] if m["month"] == date(2024, 7, 1))
    assert july["exempt"] is True


def test_dividends_above_50k_a_month_from_one_company_from_2026(user):
    p = PortfolioFactory(owner=user)
    itsa = AssetFactory(ticker="ITSA4", cnpj="61532644000115")
    trade(p, itsa, "compra", 100000, "10.00", on="2026-01-05")
    dividend(itsa, "dividendo", "0.60", "2026-02-02", "2026-02-20")  # 60,000 in February
    report = selectors.annual_report(owner=user, year=2026)
    [row] = report["retencao_dividendos"]
    assert (row["gross"], row["expected_tax"]) == (D("60000.00"), D("6000.00"))


def test_filing_keeps_the_figures_and_shows_differences(user, django_capture_on_commit_callbacks):
    p = PortfolioFactory(owner=user)
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 3000, "10.00", on="2025-01-06")
    sale = trade(p, vale, "venda", 3000, "11.00", on="2025-01-20")
    row = tax_services.month_file(owner=user, month=date(2025, 1, 1), actor=user, paid_on=date(2025, 2, 27))
    assert row.filed_data["tax_due"] == "450.00"
    with pytest.raises(ValidationError):
        tax_services.month_file(owner=user, month=date(2025, 1, 1), actor=user)

    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_update(tx=sale, changes={"unit_price": D("12.00")})
    m = selectors.monthly_assessment(owner=user, month=date(2025, 1, 1))
    assert m["tax_due"] == D("900.00")
    assert m["filing"]["filed"] is True
    assert m["filing"]["filed_values"]["tax_due"] == "450.00"
    assert {"field": "tax_due", "filed": "450.00", "current": "900.00"} in m["filing"]["differences"]
    assert m["darf"]["status"]["state"] == "pago"
    stored = tax_services.assessment_store(owner=user, month=date(2025, 1, 1))
    assert stored.differs_from_filed is True
    assert MonthlyAssessment.objects.get(pk=stored.pk).filed_data["tax_due"] == "450.00"


def test_late_darf_shows_fine_and_selic_interest(user):
    from quotes.models import IndicatorRate

    p = PortfolioFactory(owner=user)
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 3000, "10.00", on="2025-01-06")
    trade(p, vale, "venda", 3000, "11.00", on="2025-01-20")  # DARF 450.00 − 1.65 = 448.35 due 28/02/2025
    for day, value in (("2025-03-10", "0.5"), ("2025-03-11", "0.5"), ("2025-04-10", "1.0")):
        IndicatorRate.objects.create(series="SELIC", date=date.fromisoformat(day), value=D(value))
    m = selectors.monthly_assessment(owner=user, month=date(2025, 1, 1), today=date(2025, 5, 12))
    assert m["darf"]["amount"] == D("448.35")
    late = m["darf"]["status"]["late"]
    assert m["darf"]["status"]["state"] == "vencido"
    assert late["days_late"] == 73
    assert late["fine"] == D("89.67")  # 73 × 0.33 % = 24.09 % → capped at 20 %
    # Selic of March (1.0025 compounded: 1.0025 %) and April (1 %), plus 1 % in May.
    assert late["interest_rate"] == D("3.0025")
    assert late["interest"] == D("13.46")


def test_dirpf_codes_location_and_bonus_line(user):
    """Issue 11 §2: LCI/LCA and Fiagro codes, the location as a country, the bonificação line 18."""
    p = PortfolioFactory(owner=user)
    xp = BrokerFactory(name="XP Investimentos", country="BR")
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    lci = AssetFactory(ticker="LCI-BANCO-X", asset_type="lci_lca", asset_class="renda_fixa")
    cdb = AssetFactory(ticker="CDB-BANCO-Y", asset_type="cdb", asset_class="renda_fixa")
    fiagro = AssetFactory(ticker="RZAG11", asset_type="fii", name="Riza Fiagro")
    itsa = AssetFactory(ticker="ITSA4")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    for asset in (lci, cdb, fiagro, itsa):
        trade(p, asset, "compra", 10, "100.00", broker=xp, on="2025-03-03")
    trade(p, aapl, "compra", 1, "100.00", broker=avenue, fx_rate="5.00", on="2025-03-03")
    services.event_create(
        asset=itsa,
        kind="bonificacao",
        event_date=date(2025, 4, 1),
        ratio_from=D(10),
        ratio_to=D(1),
        assigned_cost=D("5.00"),
    )
    report = selectors.annual_report(owner=user, year=2025)
    codes = {b["ticker"]: (b["group"], b["code"], b["location"]) for b in report["bens_e_direitos"]}
    assert codes["LCI-BANCO-X"][:2] == ("04", "02")
    assert codes["CDB-BANCO-Y"][:2] == ("04", "01")
    assert codes["RZAG11"][:2] == ("07", "02")
    assert codes["ITSA4"][2] == "105 – Brasil"
    assert codes["AAPL"][2] == "249 – Estados Unidos"
    [bonus] = report["bonificacoes_18"]
    assert (bonus["ticker"], bonus["quantity"], bonus["amount"]) == ("ITSA4", D("1"), D("5.00"))
    assert report["rendimentos_isentos"]["bonificacoes_18"] == D("5.00")


def test_an_opening_position_without_trades_follows_its_corporate_events(user):
    """A split after an opening balance (history kept elsewhere, no trade here) changes the quantity
    and the average the tax engine holds: the consolidated position and the DIRPF's bens."""
    with time_machine.travel("2026-11-23 12:00 -0300"):
        p, xp = PortfolioFactory(owner=user), BrokerFactory(name="XP Investimentos")
        wege = AssetFactory(ticker="WEGE3")
        services.opening_position_create(
            owner=user, portfolio=p, broker=xp, asset=wege, as_of=date(2025, 1, 2), quantity=D(100), average_cost=D(40)
        )
        services.event_create(asset=wege, kind="split", event_date=date(2025, 3, 3), ratio_from=D(1), ratio_to=D(2))
        row = next(r for r in selectors.consolidated_positions(owner_id=user.pk) if r["asset_id"] == wege.pk)
        [bem] = selectors.annual_report(owner=user, year=2025)["bens_e_direitos"]
    assert (row["quantity"], row["average_cost"], row["cost_basis"]) == (D(200), D(20), D("4000.00"))
    assert (bem["quantity"], bem["cost"]) == (D(200), D("4000.00"))

"""The golden set (``docs/tax_cases.md``): every case computed by hand first, one test each.

Each test's name starts with the case id of the document (``g01_`` …); ``test_every_case_is_documented``
keeps the two in step.
"""

import re
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError

from portfolio import services
from portfolio.analytics import selectors as analytics
from portfolio.models import CashMovement, DividendReceipt, Position
from portfolio.tax import selectors
from portfolio.tax.models import TaxOpeningBalance
from quotes.models import PriceBar

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, moment, trade

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


def month(owner, text):
    year, mon = map(int, text.split("-"))
    return selectors.monthly_assessment(owner=owner, month=date(year, mon, 1), today=TODAY)


def explain(owner, text):
    year, mon = map(int, text.split("-"))
    return selectors.monthly_explanation(owner=owner, month=date(year, mon, 1))


def consolidated(owner, asset):
    return next(r for r in selectors.consolidated_positions(owner_id=owner.pk) if r["asset_id"] == asset.pk)


@pytest.fixture
def p(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def xp():
    return BrokerFactory(name="XP Investimentos")


@pytest.fixture
def rico():
    return BrokerFactory(name="Rico")


def test_g01_sales_up_to_20k_exempt(p, user):
    petr = AssetFactory(ticker="PETR4")
    trade(p, petr, "compra", 1000, "10.00", on="2025-03-03")
    trade(p, petr, "venda", 1000, "19.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert (m["exemption"]["exempt"], m["exemption"]["exempt_gain"]) == (True, D("9000.00"))
    assert (m["tax_due"], m["irrf"]["common"], m["darf"]["amount"]) == (D("0.00"), D("0.00"), D("0.00"))


def test_g02_sales_over_20k_taxed_with_fees(p, user):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 1000, "10.00", brokerage_fee="10.00", on="2025-03-03")
    trade(p, vale, "venda", 1000, "20.01", brokerage_fee="10.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["baskets"]["common"]["taxable"] == D("9990.00")
    assert m["tax_due"] == D("1498.50")
    assert m["irrf"]["common"] == D("0.00")  # 20,010 × 0,005 % = 1.00: not above R$ 1,00
    assert (m["darf"]["amount"], m["darf"]["due_date"]) == (D("1498.50"), date(2025, 4, 30))


def test_g03_units_have_no_exemption(p, user):
    taee = AssetFactory(ticker="TAEE11", asset_type="unit")
    trade(p, taee, "compra", 100, "30.00", on="2025-03-03")
    trade(p, taee, "venda", 100, "35.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["exemption"]["exempt_gain"] == D("0.00")
    assert m["categories"]["units"]["result"] == D("500.00")
    assert m["baskets"]["common"]["tax"] == D("75.00")
    assert m["darf"]["amount"] == D("75.00")
    assert any(r["key"] == "units_exempt" and "59" in r["legal_basis"] for r in m["rules"])


def test_g04_fixed_income_etf_taxed_at_source(p, user):
    imab = AssetFactory(ticker="IMAB11", asset_type="etf", asset_class="renda_fixa")
    trade(p, imab, "compra", 100, "100.00", on="2025-03-03")
    trade(p, imab, "venda", 100, "110.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["tax_due"] == D("0.00")
    [item] = m["not_assessed"]
    assert (item["ticker"], item["category"], item["result"]) == ("IMAB11", "etf_renda_fixa", D("1000.00"))
    assert "13.043/2014" in item["reason"]


def test_g05_unclassified_asset_listed_not_assessed(p, user):
    right = AssetFactory(ticker="ITSA1", asset_type="outro")
    trade(p, right, "compra", 100, "1.00", on="2025-03-03")
    trade(p, right, "venda", 100, "2.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["tax_due"] == D("0.00")
    [item] = m["not_assessed"]
    assert (item["ticker"], item["sale_value"], item["result"]) == ("ITSA1", D("200.00"), D("100.00"))
    assert "não apurado" in item["reason"]


def test_g06_day_trade_and_swing_on_one_day_split_the_recorded_irrf(p, user):
    itub = AssetFactory(ticker="ITUB4")
    trade(p, itub, "compra", 10000, "20.00", on="2025-04-01")
    trade(p, itub, "compra", 100, "21.00", on="2025-04-10 10:00")
    trade(p, itub, "venda", 10100, "22.00", withheld_tax="12.00", on="2025-04-10 15:00")
    m = month(user, "2025-04")
    # Day trade 100: 2,200 − 2,100 = 100 → 20 %; swing 10,000: 220,000 − 200,000 = 20,000 → 15 %.
    assert m["baskets"]["day_trade"]["tax"] == D("20.00")
    assert m["baskets"]["common"]["tax"] == D("3000.00")
    # 12.00 recorded, split 1.00 (1 % of 100) / 11.00 (0,005 % of 220,000): never counted twice.
    assert (m["irrf"]["day_trade"], m["irrf"]["common"]) == (D("1.00"), D("11.00"))
    assert m["tax_after_irrf"] == D("3008.00")


def test_g07_irrf_credit_does_not_cross_the_year(p, user):
    bbas = AssetFactory(ticker="BBAS3")
    trade(p, bbas, "compra", 2000, "20.00", on="2024-11-04")
    trade(p, bbas, "venda", 2000, "15.00", on="2024-12-10")  # −10,000; IRRF 30,000 × 0,005 % = 1.50
    trade(p, bbas, "compra", 1000, "10.00", on="2025-01-02")
    trade(p, bbas, "venda", 1000, "30.00", on="2025-01-20")  # +20,000
    dec, jan = month(user, "2024-12"), month(user, "2025-01")
    assert (dec["irrf"]["common"], dec["irrf"]["credit_out"]) == (D("1.50"), D("1.50"))
    assert (jan["irrf"]["credit_in"], jan["irrf"]["credit_previous_year"]) == (D("0.00"), D("1.50"))
    assert jan["tax_due"] == D("1500.00")  # (20,000 − 10,000) × 15 %
    assert jan["irrf"]["used"] == D("1.50")  # January's own IRRF only
    assert jan["tax_after_irrf"] == D("1498.50")
    report = selectors.annual_report(owner=user, year=2024)
    assert report["renda_variavel"]["irrf_credit_at_year_end"] == D("1.50")


def test_g08_irrf_waiver_on_the_months_sum(p, user):
    wege = AssetFactory(ticker="WEGE3")
    trade(p, wege, "compra", 3000, "10.00", on="2025-03-03")
    trade(p, wege, "venda", 1500, "10.00", on="2025-03-10")  # 0.75 alone: waived per note
    trade(p, wege, "venda", 1500, "10.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["irrf"]["common"] == D("1.50")  # 30,000 × 0,005 % in the month > R$ 1,00
    assert m["irrf"]["credit_out"] == D("1.50")


def test_g09_bonus_fractions_sold_at_auction_leave_at_the_assigned_cost(p, user, xp):
    itsa = AssetFactory(ticker="ITSA4")
    trade(p, itsa, "compra", 15, "10.00", broker=xp, on="2025-03-03")
    with time_machine.travel("2025-05-01 12:00 -0300"):
        services.event_create(
            asset=itsa,
            kind="bonificacao",
            event_date=date(2025, 4, 1),
            ratio_from=D(10),
            ratio_to=D(1),
            assigned_cost=D("5.00"),
        )
        position = Position.objects.get(asset=itsa)
        assert (position.quantity, position.fraction_pending) == (D("16.5"), D("0.5"))
        services.fraction_sale_create(
            owner=user, portfolio=p, broker=xp, asset=itsa, date=moment("2025-04-20"), amount=D("4.00")
        )
    position.refresh_from_db()
    assert (position.quantity, position.cost_basis, position.fraction_pending) == (D("16"), D("155.00"), D("0"))
    row = consolidated(user, itsa)
    assert (row["quantity"], row["cost_basis_brl"], row["realized_pnl_brl"]) == (D("16"), D("155.00"), D("1.50"))
    m = month(user, "2025-04")
    assert (m["exemption"]["acoes_sales"], m["exemption"]["exempt_gain"]) == (D("4.00"), D("1.50"))
    assert CashMovement.objects.get(fraction_sale__isnull=False).amount == D("4.00")


def test_g10_grouping_fractions_leave_at_the_average(p, user, xp):
    mglu = AssetFactory(ticker="MGLU3")
    trade(p, mglu, "compra", 25, "10.00", broker=xp, on="2025-03-03")
    with time_machine.travel("2025-05-01 12:00 -0300"):
        services.event_create(
            asset=mglu, kind="grupamento", event_date=date(2025, 4, 1), ratio_from=D(10), ratio_to=D(1)
        )
        services.fraction_sale_create(
            owner=user, portfolio=p, broker=xp, asset=mglu, date=moment("2025-04-20"), amount=D("40.00")
        )
    row = consolidated(user, mglu)
    assert (row["quantity"], row["cost_basis"], row["realized_pnl_brl"]) == (D("2"), D("200.00"), D("-10.00"))
    assert month(user, "2025-04")["baskets"]["common"]["loss_out"] == D("10.00")


def test_g11_missing_fx_left_out_and_listed(p, user):
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    ko = AssetFactory(ticker="KO", market="US", asset_type="stock", currency="USD")
    trade(p, ko, "compra", 10, "60.00", broker=avenue, fx_rate="5.00", on="2025-03-10")
    services.dividend_create(  # loaded (no person typing): kept, without a rate
        asset=ko,
        kind="dividendo",
        value_per_share=D("0.50"),
        data_com=date(2025, 3, 14),
        payment_date=date(2025, 4, 15),
    )
    receipt = DividendReceipt.objects.get()
    assert receipt.fx_rate is None
    abroad = selectors.annual_report(owner=user, year=2025)["exterior"]
    assert abroad["income"] == D("0.00")
    assert abroad["missing_fx"] == [
        {"date": "2025-04-15", "asset_id": ko.pk, "what": "dividendo", "amount": "5.00"}
    ] or abroad["missing_fx"][0]["amount"] in ("5.00", D("5.00"))


def test_g12_one_asset_at_two_brokers_one_average_per_taxpayer(p, user, xp, rico):
    abev = AssetFactory(ticker="ABEV3")
    trade(p, abev, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    trade(p, abev, "compra", 100, "20.00", broker=rico, on="2025-03-04")
    trade(p, abev, "venda", 100, "18.00", broker=xp, on="2025-03-20")
    row = consolidated(user, abev)
    assert (row["average_cost"], row["cost_basis"], row["realized_pnl_brl"]) == (D("15"), D("1500.00"), D("300.00"))
    assert month(user, "2025-03")["operations"][0]["result"] == D("300.00")
    custody = Position.objects.get(asset=abev, broker=xp)
    assert custody.realized_pnl == D("800.00")  # the custody view keeps the broker's own average


def test_g13_opening_balance_starts_the_position(p, user, xp):
    petr = AssetFactory(ticker="PETR4")
    services.opening_position_create(
        owner=user, portfolio=p, broker=xp, asset=petr, as_of=date(2025, 1, 2), quantity=D(100), average_cost=D("30.00")
    )
    trade(p, petr, "venda", 100, "35.00", broker=xp, on="2025-02-10")
    m = month(user, "2025-02")
    assert (m["operations"][0]["cost"], m["exemption"]["exempt_gain"]) == (D("3000.00"), D("500.00"))
    ledger = selectors.consolidated_ledger(owner_id=user.pk, asset_id=petr.pk)
    assert [e["kind"] for e in ledger["entries"]] == ["saldo_inicial", "venda"]
    with pytest.raises(ValidationError):  # a trade before the opening is already in it
        trade(p, petr, "compra", 1, "30.00", broker=xp, on="2024-12-20")


def test_g14_tax_opening_balance_carries_losses_and_irrf(p, user):
    TaxOpeningBalance.objects.create(
        owner=user, month=date(2025, 1, 1), common_loss=D("1000.00"), irrf_credit=D("2.00")
    )
    rent = AssetFactory(ticker="RENT3")
    trade(p, rent, "compra", 1000, "20.00", on="2025-02-03")
    trade(p, rent, "venda", 1000, "25.00", on="2025-02-20")  # +5,000 on 25,000 of sales
    m = month(user, "2025-02")
    assert m["baskets"]["common"]["loss_in"] == D("1000.00")
    assert m["tax_due"] == D("600.00")  # (5,000 − 1,000) × 15 %
    assert m["irrf"]["used"] == D("3.25")  # 1.25 of the month + 2.00 brought in
    assert m["tax_after_irrf"] == D("596.75")


def test_g15_no_day_trade_across_brokers(p, user, xp, rico):
    bbdc = AssetFactory(ticker="BBDC4")
    trade(p, bbdc, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    trade(p, bbdc, "compra", 100, "11.00", broker=rico, on="2025-03-10 10:00")
    trade(p, bbdc, "venda", 100, "12.00", broker=xp, on="2025-03-10 15:00")
    m = month(user, "2025-03")
    [sale] = m["operations"]
    assert (sale["day_trade"], sale["cost"], sale["result"]) == (False, D("1050.00"), D("150.00"))


def test_g16_jcp_without_rate_withheld_at_the_table_rate(p, user, xp):
    itub = AssetFactory(ticker="ITUB4")
    trade(p, itub, "compra", 100, "30.00", broker=xp, on="2025-03-03")
    with time_machine.travel("2025-05-01 12:00 -0300"):
        services.dividend_create(
            asset=itub,
            kind="jcp",
            value_per_share=D("1.00"),
            data_com=date(2025, 3, 20),
            payment_date=date(2025, 4, 15),
        )
    receipt = DividendReceipt.objects.get()
    assert (receipt.gross_amount, receipt.tax_amount, receipt.net_amount) == (D("100.00"), D("15.00"), D("85.00"))
    assert receipt.tax_rate_source.startswith("tabela jcp_rate")
    assert CashMovement.objects.get(dividend_receipt=receipt).amount == D("85.00")
    jcp = selectors.annual_report(owner=user, year=2025)["tributacao_exclusiva"]["jcp_10"][0]
    assert (jcp["gross"], jcp["tax"], jcp["net"]) == (D("100.00"), D("15.00"), D("85.00"))


@time_machine.travel("2025-03-14 20:00 -0300", tick=False)
def test_g17_split_inside_a_performance_period_shows_no_jump(p, user):
    wege = AssetFactory(ticker="WEGE3")
    PriceBar.objects.bulk_create(
        [
            PriceBar(asset=wege, date=date(2025, 3, d), close=D("20.00") if d < 10 else D("10.00"))
            for d in (3, 4, 5, 6, 7, 10, 11, 12, 13, 14)
        ]
    )
    trade(p, wege, "compra", 100, "20.00", on="2025-03-03 11:00")
    services.event_create(asset=wege, kind="split", event_date=date(2025, 3, 10), ratio_from=D(1), ratio_to=D(2))
    r = analytics.performance(scope=analytics.Scope(owner_id=user.pk, portfolio_id=p.pk), period="max")
    assert r["twr"] == pytest.approx(0.0, abs=1e-12)
    assert r["end_value"] == "2000.00"
    assert r["max_drawdown"] == pytest.approx(0.0, abs=1e-12)


def test_g18_darf_under_10_carried(p, user):
    itub = AssetFactory(ticker="ITUB4")
    trade(p, itub, "compra", 100, "10.00", brokerage_fee="5.00", on="2025-05-12 10:00")
    trade(p, itub, "venda", 100, "10.50", brokerage_fee="5.00", on="2025-05-12 15:00")  # DT +40.00
    trade(p, itub, "compra", 100, "10.00", on="2025-06-10 10:00")
    trade(p, itub, "venda", 100, "10.30", on="2025-06-10 11:00")  # DT +30.00
    may, june = month(user, "2025-05"), month(user, "2025-06")
    assert (may["tax_after_irrf"], may["darf"]["amount"], may["darf"]["residual_out"]) == (
        D("7.60"),
        D("0.00"),
        D("7.60"),
    )
    assert (june["darf"]["residual_in"], june["darf"]["amount"]) == (D("7.60"), D("13.30"))


def test_g19_fii_loss_only_offsets_fii(p, user):
    hglg = AssetFactory(ticker="HGLG11", asset_type="fii")
    petr = AssetFactory(ticker="PETR4")
    trade(p, hglg, "compra", 100, "100.00", on="2025-01-06")
    trade(p, hglg, "venda", 100, "90.00", on="2025-01-20")  # FII −1,000
    trade(p, petr, "compra", 2000, "10.00", on="2025-02-03")
    trade(p, petr, "venda", 2000, "12.00", on="2025-02-20")  # ações +4,000 on 24,000
    feb = month(user, "2025-02")
    assert feb["baskets"]["fii"]["loss_out"] == D("1000.00")
    assert feb["baskets"]["common"]["tax"] == D("600.00")  # the FII loss does not offset it


def test_g20_crypto_exemption_and_progressive_tax(p, user):
    binance = BrokerFactory(name="Binance", kind="exchange")
    btc = AssetFactory(ticker="BTC", market="GLOBAL", asset_type="cripto", asset_class="cripto")
    trade(p, btc, "compra", 1, "100000.00", broker=binance, on="2025-03-03")
    trade(p, btc, "venda", D("0.3"), "110000.00", broker=binance, on="2025-03-20")  # 33,000 ≤ 35,000
    trade(p, btc, "venda", D("0.4"), "120000.00", broker=binance, on="2025-04-20")  # 48,000: gain 8,000
    mar, apr = month(user, "2025-03"), month(user, "2025-04")
    assert (mar["crypto"]["exempt"], mar["crypto"]["exempt_gain"]) == (True, D("3000.00"))
    assert (apr["crypto"]["tax"], apr["crypto"]["darf"]["amount"]) == (D("1200.00"), D("1200.00"))


def test_g21_bonus_without_assigned_cost_refused(p, user):
    itsa = AssetFactory(ticker="ITSA4")
    trade(p, itsa, "compra", 100, "10.00", on="2025-03-03")
    with time_machine.travel("2025-05-01 12:00 -0300"):
        with pytest.raises(ValidationError) as missing:
            services.event_create(
                asset=itsa, kind="bonificacao", event_date=date(2025, 4, 1), ratio_from=D(10), ratio_to=D(1)
            )
        assert "assigned_cost" in missing.value.message_dict
        with pytest.raises(ValidationError) as unconfirmed:
            services.event_create(
                asset=itsa,
                kind="bonificacao",
                event_date=date(2025, 4, 1),
                ratio_from=D(10),
                ratio_to=D(1),
                assigned_cost=D(0),
            )
        assert "zero_cost_confirmed" in unconfirmed.value.message_dict
        services.event_create(
            asset=itsa,
            kind="bonificacao",
            event_date=date(2025, 4, 1),
            ratio_from=D(10),
            ratio_to=D(1),
            assigned_cost=D(0),
            zero_cost_confirmed=True,
        )
    assert consolidated(user, itsa)["cost_basis"] == D("1000.00")  # 110 shares, the explicit zero recorded


def test_g22_custody_transfer_keeps_the_average(p, user, xp, rico):
    vale = AssetFactory(ticker="VALE3")
    trade(p, vale, "compra", 100, "10.00", broker=xp, on="2025-03-03")
    trade(p, vale, "compra", 100, "20.00", broker=rico, on="2025-03-04")
    with pytest.raises(ValidationError):  # more than XP held
        services.custody_transfer_create(
            owner=user,
            portfolio=p,
            asset=vale,
            from_broker=xp,
            to_broker=rico,
            date=moment("2025-03-05"),
            quantity=D(150),
        )
    services.custody_transfer_create(
        owner=user, portfolio=p, asset=vale, from_broker=xp, to_broker=rico, date=moment("2025-03-05"), quantity=D(100)
    )
    trade(p, vale, "venda", 150, "18.00", broker=rico, on="2025-03-20")
    assert month(user, "2025-03")["operations"][0]["result"] == D("450.00")  # 2,700 − 150 × 15
    assert not Position.objects.get(asset=vale, broker=xp).quantity
    kinds = [e["kind"] for e in selectors.consolidated_ledger(owner_id=user.pk, asset_id=vale.pk)["entries"]]
    assert kinds == ["compra", "compra", "transferencia", "venda"]


def test_g23_foreign_gain_in_brl_and_fx_source_flagged(p, user):
    avenue = BrokerFactory(name="Avenue", country="US", default_currency="USD")
    aapl = AssetFactory(ticker="AAPL", market="US", asset_type="stock", currency="USD")
    trade(p, aapl, "compra", 10, "100.00", broker=avenue, fx_rate="5.00", on="2024-03-01")
    trade(p, aapl, "venda", 10, "150.00", broker=avenue, fx_rate="5.50", on="2024-09-02")
    abroad = selectors.annual_report(owner=user, year=2024)["exterior"]
    assert (abroad["gains"], abroad["tax"]) == (D("3250.00"), D("487.50"))  # 8,250 − 5,000
    assert [row["fx_source"] for row in abroad["fx_not_ptax"]] == ["informado"]


def test_g24_bdr_has_no_exemption(p, user):
    aapl34 = AssetFactory(ticker="AAPL34", asset_type="stock_intl")
    trade(p, aapl34, "compra", 100, "50.00", on="2025-03-03")
    trade(p, aapl34, "venda", 100, "55.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["categories"]["bdr"]["result"] == D("500.00")
    assert m["darf"]["amount"] == D("75.00")


def test_g25_explanation_adds_up_to_the_month(p, user, xp, rico):
    petr, hglg = AssetFactory(ticker="PETR4"), AssetFactory(ticker="HGLG11", asset_type="fii")
    trade(p, petr, "compra", 2000, "10.00", broker=xp, on="2025-03-03")
    trade(p, petr, "venda", 1000, "12.00", broker=xp, on="2025-03-10")
    trade(p, petr, "venda", 1000, "9.50", broker=xp, on="2025-03-12")
    trade(p, hglg, "compra", 10, "100.00", broker=rico, on="2025-03-03")
    trade(p, hglg, "venda", 10, "120.00", broker=rico, on="2025-03-20")
    m, e = month(user, "2025-03"), explain(user, "2025-03")
    assert all(e["checks"].values())
    # ações: +2,000 − 500 = +1,500 on 21,500 of sales → 225.00; FII +200 → 40.00
    assert e["tax_due"] == m["tax_due"] == D("265.00")
    assert e["baskets"]["common"]["sum_of_results"] == m["baskets"]["common"]["result"] == D("1500.00")
    assert e["baskets"]["fii"]["sum_of_results"] == m["baskets"]["fii"]["result"]
    assert e["darf"]["amount"] == m["darf"]["amount"]
    assert [s["average_cost"] for s in e["baskets"]["common"]["sales"]] == [D("10"), D("10")]


def test_every_case_is_documented():
    text = (Path(settings.BASE_DIR) / "docs" / "tax_cases.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### (G\d\d)\b", text, flags=re.M))
    tested = {name[5:8].upper() for name in globals() if re.match(r"test_g\d\d_", name)}
    assert documented == tested
    assert len(tested) >= 25

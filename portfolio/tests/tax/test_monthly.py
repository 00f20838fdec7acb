"""Monthly assessment, hand-computed: every figure below was worked out on paper first."""

from datetime import date

import pytest

from portfolio import services
from portfolio.tax import selectors

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

pytestmark = pytest.mark.django_db


def month(owner, text):
    year, mon = map(int, text.split("-"))
    return selectors.monthly_assessment(owner=owner, month=date(year, mon, 1), today=date(2026, 11, 23))


@pytest.fixture
def p(user):
    return PortfolioFactory(owner=user)


def stock(ticker, **kw):
    return AssetFactory(ticker=ticker, **kw)


def test_sales_under_20k_with_gain_are_exempt(p, user):
    petr = stock("PETR4")
    trade(p, petr, "compra", 1000, "10.00", on="2025-03-03")
    trade(p, petr, "venda", 1000, "19.00", on="2025-03-20")
    m = month(user, "2025-03")
    assert m["exemption"]["acoes_sales"] == D("19000.00")
    assert m["exemption"]["exempt"] is True
    assert m["exemption"]["exempt_gain"] == D("9000.00")
    assert m["baskets"]["common"]["result"] == D("0.00")
    assert m["tax_due"] == D("0.00")
    # 19,000 × 0.005 % = 0.95 ≤ R$ 1.00: nothing withheld.
    assert m["irrf"]["common"] == D("0.00")
    assert m["darf"]["amount"] == D("0.00")
    assert m["operations"][0]["result"] == D("9000.00")


def test_sales_just_over_20k_are_taxed_with_costs_deducted(p, user):
    vale = stock("VALE3")
    trade(p, vale, "compra", 1000, "10.00", brokerage_fee="10.00", on="2025-03-03")  # cost 10,010.00
    trade(p, vale, "venda", 1000, "20.01", brokerage_fee="10.00", on="2025-03-20")  # gross 20,010.00, net 20,000.00
    m = month(user, "2025-03")
    assert m["exemption"]["acoes_sales"] == D("20010.00")
    assert m["exemption"]["exempt"] is False
    assert m["baskets"]["common"]["taxable"] == D("9990.00")
    assert m["tax_due"] == D("1498.50")  # 15 % of 9,990.00
    # 20,010.00 × 0.005 % = 1.0005 → 1.00, not above R$ 1.00: dispensed.
    assert m["irrf"]["common"] == D("0.00")
    assert m["darf"] == {**m["darf"], "code": "6015", "amount": D("1498.50"), "due_date": date(2025, 4, 30)}


def test_day_trade_is_netted_per_broker_and_day_and_taxed_at_20_percent(p, user):
    itub = stock("ITUB4")
    trade(p, itub, "compra", 100, "10.00", brokerage_fee="5.00", on="2025-05-12 10:00")  # 1,005.00
    trade(p, itub, "venda", 100, "10.50", brokerage_fee="5.00", on="2025-05-12 15:00")  # 1,045.00
    m = month(user, "2025-05")
    assert m["categories"]["day_trade"]["result"] == D("40.00")
    assert m["baskets"]["day_trade"]["tax"] == D("8.00")
    assert m["irrf"]["day_trade"] == D("0.40")  # 1 % of the day's gain
    assert m["tax_after_irrf"] == D("7.60")
    # Below R$ 10.00: no DARF, carried.
    assert (m["darf"]["amount"], m["darf"]["residual_out"]) == (D("0.00"), D("7.60"))
    # Day trade never enters the swing exemption nor the position.
    assert m["exemption"]["acoes_sales"] == D("0.00")
    assert m["operations"][0]["day_trade"] is True

    trade(p, itub, "compra", 100, "10.00", on="2025-06-10 10:00")
    trade(p, itub, "venda", 100, "10.30", on="2025-06-10 11:00")  # +30.00
    june = month(user, "2025-06")
    assert june["baskets"]["day_trade"]["tax"] == D("6.00")
    assert june["irrf"]["day_trade"] == D("0.30")
    assert june["darf"]["residual_in"] == D("7.60")
    assert june["darf"]["amount"] == D("13.30")  # 5.70 + 7.60 carried
    assert june["darf"]["due_date"] == date(2025, 7, 31)


def test_partial_day_trade_leaves_the_rest_in_the_position_at_the_days_average(p, user):
    bbas = stock("BBAS3")
    trade(p, bbas, "compra", 200, "20.00", on="2025-07-01 10:00")  # 4,000.00
    trade(p, bbas, "venda", 50, "21.00", on="2025-07-01 11:00")  # day trade of 50: 1,050 − 1,000 = 50.00
    trade(p, bbas, "venda", 150, "19.00", on="2025-08-04")  # 2,850 − 3,000 = −150.00 (swing)
    july, august = month(user, "2025-07"), month(user, "2025-08")
    assert july["categories"]["day_trade"]["result"] == D("50.00")
    assert july["baskets"]["day_trade"]["tax"] == D("10.00")
    assert august["categories"]["acoes"]["result"] == D("-150.00")
    assert august["baskets"]["common"]["loss_out"] == D("150.00")


def test_fii_gain_taxed_at_20_percent_and_loss_carried_in_its_own_basket(p, user):
    hglg = stock("HGLG11", asset_type="fii")
    xpml = stock("XPML11", asset_type="fii")
    trade(p, hglg, "compra", 100, "100.00", on="2025-01-06")
    trade(p, hglg, "venda", 50, "110.00", on="2025-01-20")  # 5,500 − 5,000 = +500
    trade(p, hglg, "venda", 50, "90.00", on="2025-02-10")  # 4,500 − 5,000 = −500
    trade(p, xpml, "compra", 10, "100.00", on="2025-03-05")
    trade(p, xpml, "venda", 10, "130.00", on="2025-03-25")  # +300
    jan, feb, mar = month(user, "2025-01"), month(user, "2025-02"), month(user, "2025-03")
    assert jan["baskets"]["fii"]["tax"] == D("100.00")
    assert jan["exemption"]["acoes_sales"] == D("0.00")  # FII sales never count for the exemption
    assert jan["darf"]["amount"] == D("100.00")
    assert jan["darf"]["due_date"] == date(2025, 2, 28)
    assert feb["baskets"]["fii"]["loss_out"] == D("500.00")
    assert feb["tax_due"] == D("0.00")
    assert mar["baskets"]["fii"] == {
        **mar["baskets"]["fii"],
        "result": D("300.00"),
        "loss_in": D("500.00"),
        "compensated": D("300.00"),
        "taxable": D("0.00"),
        "loss_out": D("200.00"),
        "tax": D("0.00"),
    }


def test_losses_carried_across_months_and_baskets_and_irrf_credits(p, user):
    vale, itub, bbas, petr = stock("VALE3"), stock("ITUB4"), stock("BBAS3"), stock("PETR4")
    # January: common loss of 3,000 with sales of 27,000 (IRRF 1.35 withheld, nothing to deduct it from).
    trade(p, vale, "compra", 3000, "10.00", on="2025-01-06")
    trade(p, vale, "venda", 3000, "9.00", on="2025-01-20")
    # February: a day-trade gain of 40 — the common loss does not offset it.
    trade(p, itub, "compra", 100, "10.00", on="2025-02-10 10:00")
    trade(p, itub, "venda", 100, "10.40", on="2025-02-10 11:00")
    # March: an exempt gain of 500 (sales 1,500) — it does not consume the carried loss.
    trade(p, petr, "compra", 100, "10.00", on="2025-03-10")
    trade(p, petr, "venda", 100, "15.00", on="2025-03-20")
    # April: a taxable common gain of 5,000 (sales 45,000).
    trade(p, bbas, "compra", 2000, "20.00", on="2025-04-07")
    trade(p, bbas, "venda", 2000, "22.50", on="2025-04-22")

    jan, feb, mar, apr = (month(user, f"2025-0{n}") for n in (1, 2, 3, 4))
    assert jan["baskets"]["common"]["loss_out"] == D("3000.00")
    assert jan["irrf"]["common"] == D("1.35")
    assert jan["irrf"]["credit_out"] == D("1.35")

    assert feb["baskets"]["common"]["loss_out"] == D("3000.00")
    assert feb["baskets"]["day_trade"]["taxable"] == D("40.00")
    assert feb["tax_due"] == D("8.00")
    assert feb["irrf"]["used"] == D("1.75")  # 0.40 of the month + 1.35 carried
    assert feb["darf"]["residual_out"] == D("6.25")

    assert mar["exemption"]["exempt_gain"] == D("500.00")
    assert mar["baskets"]["common"]["loss_out"] == D("3000.00")

    assert apr["baskets"]["common"]["compensated"] == D("3000.00")
    assert apr["baskets"]["common"]["taxable"] == D("2000.00")
    assert apr["tax_due"] == D("300.00")
    assert apr["irrf"]["common"] == D("2.25")  # 45,000 × 0.005 %
    assert apr["tax_after_irrf"] == D("297.75")
    assert apr["darf"]["amount"] == D("304.00")  # 297.75 + 6.25 carried since February
    assert apr["darf"]["due_date"] == date(2025, 5, 30)


def test_recorded_irrf_wins_over_the_estimate(p, user):
    vale = stock("VALE3")
    trade(p, vale, "compra", 3000, "10.00", on="2025-01-06")
    trade(p, vale, "venda", 3000, "11.00", withheld_tax="1.70", on="2025-01-20")
    m = month(user, "2025-01")
    assert m["irrf"]["common"] == D("1.70")
    assert m["irrf"]["notes"][0]["source"] == "informado"
    assert m["tax_after_irrf"] == D("448.30")  # 15 % of 3,000 − 1.70


def test_split_between_buy_and_sale_keeps_the_cost(p, user):
    wege = stock("WEGE3")
    trade(p, wege, "compra", 1000, "30.00", on="2025-01-10")  # 30,000.00
    services.event_create(
        asset=wege, kind="split", event_date=date(2025, 2, 3), ratio_from=D(1), ratio_to=D(3)
    )  # 3,000 shares at 10.00
    trade(p, wege, "venda", 3000, "11.00", on="2025-03-10")  # 33,000 − 30,000
    m = month(user, "2025-03")
    assert m["operations"][0]["quantity"] == D("3000")
    assert m["operations"][0]["cost"] == D("30000.00")
    assert m["tax_due"] == D("450.00")
    assert m["irrf"]["common"] == D("1.65")
    assert m["darf"]["amount"] == D("448.35")


def test_average_cost_is_consolidated_across_brokers_and_portfolios(user):
    p1, p2 = PortfolioFactory(owner=user), PortfolioFactory(owner=user)
    xp, rico = BrokerFactory(name="XP"), BrokerFactory(name="Rico")
    taee = stock("TAEE11", asset_type="unit")
    trade(p1, taee, "compra", 1000, "30.00", broker=xp, on="2025-01-10")
    trade(p2, taee, "compra", 1000, "40.00", broker=rico, on="2025-01-15")
    trade(p1, taee, "venda", 1000, "36.00", broker=xp, on="2025-02-10")  # average 35.00 → +1,000
    m = month(user, "2025-02")
    assert m["operations"][0]["cost"] == D("35000.00")
    assert m["tax_due"] == D("150.00")


def test_etf_and_bdr_have_no_exemption(p, user):
    bova = stock("BOVA11", asset_type="etf")
    aapl = stock("AAPL34", asset_type="outro")
    trade(p, bova, "compra", 10, "100.00", on="2025-01-10")
    trade(p, bova, "venda", 10, "110.00", on="2025-01-20")  # +100
    trade(p, aapl, "compra", 10, "50.00", on="2025-01-10")
    trade(p, aapl, "venda", 10, "60.00", on="2025-01-20")  # +100
    m = month(user, "2025-01")
    assert m["categories"]["etf"]["result"] == D("100.00")
    assert m["categories"]["bdr"]["result"] == D("100.00")
    assert m["exemption"]["exempt"] is True  # no ações sold, yet ETF and BDR are taxed
    assert m["tax_due"] == D("30.00")


def test_crypto_exempt_up_to_35k_then_progressive_rates(p, user):
    btc = stock("BTC", asset_type="cripto", market="GLOBAL")
    trade(p, btc, "compra", "1", "200000.00", on="2025-01-10")
    trade(p, btc, "venda", "0.1", "300000.00", on="2025-02-10")  # sales 30,000, gain 10,000: exempt
    trade(p, btc, "venda", "0.2", "300000.00", on="2025-03-10")  # sales 60,000, gain 20,000: 15 %
    feb, mar = month(user, "2025-02"), month(user, "2025-03")
    assert (feb["crypto"]["exempt"], feb["crypto"]["exempt_gain"], feb["crypto"]["tax"]) == (
        True,
        D("10000.00"),
        D("0.00"),
    )
    assert mar["crypto"]["tax"] == D("3000.00")
    assert mar["crypto"]["darf"]["code"] == "4600"
    assert mar["crypto"]["darf"]["amount"] == D("3000.00")
    assert mar["tax_due"] == D("0.00")  # crypto is not in the DARF 6015


def test_due_date_moves_back_across_good_friday():
    from portfolio.tax.engine import darf_due_date

    # February 2024 is due on the last business day of March 2024: 29/03 was Good Friday.
    assert darf_due_date(date(2024, 2, 1)) == date(2024, 3, 28)
    # July 2025 → 31/08/2025 is a Sunday.
    assert darf_due_date(date(2025, 7, 1)) == date(2025, 8, 29)
    # November 2025 → 31/12 has no banking/B3 session.
    assert darf_due_date(date(2025, 11, 1)) == date(2025, 12, 30)


def test_a_changed_past_trade_changes_the_month(p, user, django_capture_on_commit_callbacks):
    vale = stock("VALE3")
    trade(p, vale, "compra", 3000, "10.00", on="2025-01-06")
    sale = trade(p, vale, "venda", 3000, "11.00", on="2025-01-20")
    assert month(user, "2025-01")["tax_due"] == D("450.00")
    with django_capture_on_commit_callbacks(execute=True):  # the cache version moves after commit
        services.transaction_update(tx=sale, changes={"unit_price": D("12.00")})
    assert month(user, "2025-01")["tax_due"] == D("900.00")

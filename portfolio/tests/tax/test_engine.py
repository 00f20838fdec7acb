"""The pure tax engine: categories, brackets, dated rules, events in the consolidated replay."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from portfolio.tax import engine
from portfolio.tax.rules import MissingRule, RuleBook, RuleRow

D = Decimal


@pytest.mark.parametrize(
    ("asset_type", "market", "ticker", "category"),
    [
        ("acao", "BR", "PETR4", "acoes"),
        ("unit", "BR", "TAEE11", "units"),  # issue 11 §2: units are not ações for the exemption
        ("etf", "BR", "IMAB11", "etf"),
        ("acao", "BR", "ROXO34", "bdr"),
        ("outro", "BR", "IVVB39", "bdr"),
        ("stock", "BR", "AAPL", "bdr"),
        ("etf", "BR", "BOVA11", "etf"),
        ("fii", "BR", "HGLG11", "fii"),
        ("cripto", "GLOBAL", "BTC", "cripto"),
        ("stock", "US", "AAPL", "exterior"),
        ("reit", "US", "O", "exterior"),
        ("cdb", "BR", "CDB-X", "renda_fixa"),
        ("outro", "BR", "XYZ", "outro"),
    ],
)
def test_category_of(asset_type, market, ticker, category):
    assert engine.category_of(asset_type=asset_type, market=market, ticker=ticker) == category


def test_progressive_capital_gain_brackets():
    brackets = [(D(5_000_000), D("0.15")), (D(10_000_000), D("0.175")), (D(30_000_000), D("0.2")), (None, D("0.225"))]
    assert engine.progressive_tax(D("1000.00"), brackets) == D("150.00")
    # 5 mi × 15 % + 1 mi × 17.5 % = 750,000 + 175,000
    assert engine.progressive_tax(D("6000000.00"), brackets) == D("925000.00")
    # 750,000 + 875,000 + 4,000,000 + 10 mi × 22.5 % (2,250,000)
    assert engine.progressive_tax(D("40000000.00"), brackets) == D("7875000.00")


def test_rulebook_picks_the_row_in_force():
    book = RuleBook(
        [
            RuleRow("jcp_rate", D("15"), date(1996, 1, 1), date(2025, 12, 31)),
            RuleRow("jcp_rate", D("17.5"), date(2026, 1, 1), None),
        ]
    )
    assert book.get("jcp_rate", date(2025, 12, 31)) == D("15")
    assert book.rate("jcp_rate", date(2026, 1, 1)) == D("0.175")
    with pytest.raises(MissingRule):
        book.get("jcp_rate", date(1990, 1, 1))
    assert book.get("fii_rate", date(2025, 1, 1), default=D("0")) == D("0")


def _trade(n, asset_id, kind, day, qty, price, broker_id=1):
    gross = D(qty) * D(price)
    return engine.Trade(
        id=n,
        asset_id=asset_id,
        broker_id=broker_id,
        kind=kind,
        at=datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=15),
        day=day,
        quantity=D(qty),
        gross=gross,
        net=gross,
    )


def test_bonus_and_ticker_change_carry_the_cost_into_the_sale():
    assets = {
        1: engine.AssetInfo(1, "OLDN3", "acao", "BR"),
        2: engine.AssetInfo(2, "NEWN3", "acao", "BR"),
    }
    trades = [
        _trade(1, 1, "compra", date(2025, 1, 10), 100, "20.00"),  # 2,000.00
        _trade(2, 2, "venda", date(2025, 4, 10), 110, "25.00"),  # 2,750.00
    ]
    events = [
        # bonificação 10 % at R$ 5.00 each: +10 shares, +50.00 of cost → 2,050.00 for 110
        engine.Event(1, 1, "bonificacao", date(2025, 2, 3), D(10), D(1), D("5.00")),
        engine.Event(2, 1, "mudanca_ticker", date(2025, 3, 3), new_asset_id=2),
    ]
    result = engine.replay(assets=assets, trades=trades, events=events, checkpoints=[date(2025, 3, 31)])
    [sale] = result.sales
    assert (sale.asset_id, sale.cost, sale.result) == (2, D("2050.00"), D("700.00"))
    held = result.checkpoints[date(2025, 3, 31)]
    assert set(held) == {2}
    assert held[2].state.quantity == D("110") and held[2].by_broker == {1: D("110")}


def test_day_trade_with_the_sale_first_and_two_brokers():
    assets = {1: engine.AssetInfo(1, "ABCD3", "acao", "BR")}
    trades = [
        _trade(1, 1, "compra", date(2025, 1, 6), 100, "10.00", broker_id=1),
        _trade(2, 1, "venda", date(2025, 1, 7), 100, "12.00", broker_id=1),  # sells the old lot...
        _trade(3, 1, "compra", date(2025, 1, 7), 100, "11.00", broker_id=1),  # ...buys back: a day trade of 100
        _trade(4, 1, "compra", date(2025, 1, 7), 50, "11.00", broker_id=2),  # other broker: swing purchase
    ]
    result = engine.replay(assets=assets, trades=trades, events=[])
    [dt] = result.sales
    assert dt.day_trade and dt.result == D("100.00")  # 1,200 − 1,100
    months = engine.assess_months(
        result.sales,
        RuleBook(
            [
                RuleRow(k, D(v), date(2000, 1, 1), None)
                for k, v in {
                    "common_exemption_sales": "20000",
                    "common_rate": "15",
                    "day_trade_rate": "20",
                    "fii_rate": "20",
                    "irrf_common_rate": "0.005",
                    "irrf_common_minimum": "1",
                    "irrf_day_trade_rate": "1",
                    "darf_minimum": "10",
                    "crypto_exemption_sales": "35000",
                    "gcap_rate_1": "15",
                    "gcap_limit_1": "5000000",
                    "gcap_rate_2": "17.5",
                    "gcap_limit_2": "10000000",
                    "gcap_rate_3": "20",
                    "gcap_limit_3": "30000000",
                    "gcap_rate_4": "22.5",
                }.items()
            ]
        ),
        until=date(2025, 1, 1),
    )
    assert months[-1]["baskets"]["day_trade"]["tax"] == D("20.00")
    assert months[-1]["irrf"]["day_trade"] == D("1.00")
    assert months[-1]["darf"]["amount"] == D("19.00")

"""Pure signal functions against numbers computed by hand (shown in the comments)."""

from decimal import Decimal as D

import pytest

from quotes import buy_signals as signals

MACRO = signals.Macro(
    cost_of_capital=D("15"),
    growth_rate=D("5"),
    terminal_growth_rate=D("3"),
    bazin_yield=D("6"),
    fii_cap_rate=D("9"),
    dcf_years=5,
)


def cents(value):
    return value.quantize(D("0.01"))


def test_bazin_divides_dps_by_required_yield():
    # 2.40 / 0.06 = 40.00
    assert signals.bazin(dps=D("2.40"), required_yield=D("6")).value == D("40")


def test_graham_square_root():
    # √(22.5 × 4 × 20) = √1800 = 42.4264…
    assert cents(signals.graham(eps=D("4"), bvps=D("20")).value) == D("42.43")
    assert signals.graham(eps=D("-1"), bvps=D("20")).value is None


def test_gordon_needs_k_above_g():
    # 2.00 × 1.05 / (0.15 − 0.05) = 21.00
    assert signals.gordon(dps=D("2"), cost_of_capital=D("15"), growth=D("5")).value == D("21")
    left_out = signals.gordon(dps=D("2"), cost_of_capital=D("5"), growth=D("5"))
    assert left_out.value is None and "k deve ser maior que g" in left_out.reason


def test_dcf_five_years_plus_terminal_value():
    # FCF 2.00 growing 5 %: 2.1, 2.205, 2.31525, 2.4310125, 2.552563125, discounted at 10 %:
    # 1.90909 + 1.82231 + 1.73948 + 1.66041 + 1.58494 = 8.71624
    # terminal: 2.552563125 × 1.03 / (0.10 − 0.03) = 37.55914 → / 1.1⁵ = 23.32127
    # ceiling = 32.03751
    value = signals.dcf(
        fcf_per_share=D("2"), cost_of_capital=D("10"), growth=D("5"), terminal_growth=D("3"), years=5
    ).value
    assert cents(value) == D("32.04")


def test_fii_cap_rate():
    # AFFO 9.00 / 0.09 = 100.00
    assert signals.fii_cap_rate(income_per_share=D("9"), cap_rate=D("9")).value == D("100")


def test_methods_without_inputs_are_left_out_with_reason_never_filled():
    items = signals.ceilings(signals.Fundamentals(asset_type="acao", dps=D("2.40")), MACRO, market="BR")
    by_method = {c.method: c for c in items}
    assert by_method["bazin"].value == D("40")
    assert by_method["graham"].value is None and "LPA ou VPA ausente" in by_method["graham"].reason
    assert by_method["dcf"].value is None and "FCL" in by_method["dcf"].reason
    assert by_method["fii_cap_rate"].reason == "só para FII/REIT"


def test_fii_uses_cap_rate_and_not_graham():
    fii = signals.Fundamentals(asset_type="fii", dps=D("1.08"), affo_per_share=D("9"))
    by_method = {c.method: c for c in signals.ceilings(fii, MACRO, market="BR")}
    assert by_method["fii_cap_rate"].value == D("100")
    assert by_method["fii_cap_rate"].formula.startswith("AFFO")
    assert by_method["bazin"].value == D("18")  # 1.08 / 0.06
    assert by_method["graham"].value is None


def test_no_macro_parameters_means_no_macro_methods():
    items = signals.ceilings(
        signals.Fundamentals(asset_type="acao", dps=D("2"), eps=D("4"), bvps=D("20")), None, market="US"
    )
    by_method = {c.method: c for c in items}
    assert by_method["graham"].value is not None  # needs no macro input
    assert "parâmetros macro ausentes para o mercado US" in by_method["bazin"].reason


def test_etf_and_crypto_have_no_ceiling():
    items = signals.ceilings(signals.Fundamentals(asset_type="etf", dps=D("1")), MACRO)
    assert all(c.value is None for c in items)


def test_consolidated_ceiling_is_the_median():
    assert signals.consolidated_ceiling([D("40"), None, D("21"), D("32")]) == D("32")
    assert signals.consolidated_ceiling([D("40"), D("20")]) == D("30")
    assert signals.consolidated_ceiling([None]) is None


def test_margin_of_safety():
    # (40 − 30) / 40 × 100 = 25
    assert signals.margin_of_safety(ceiling=D("40"), price=D("30")) == D("25")
    assert signals.margin_of_safety(ceiling=D("40"), price=D("50")) == D("-25")
    assert signals.margin_of_safety(ceiling=None, price=D("50")) is None


def test_zscore_over_closes():
    # closes 1…30: mean 15.5, sample variance 30·31/12 = 77.5, σ = 8.80341; (30 − 15.5) / σ = 1.64709
    z = signals.zscore([D(i) for i in range(1, 31)])
    assert (z.mean, z.closes) == (D("15.5"), 30)
    assert z.value.quantize(D("0.0001")) == D("1.6471")
    assert signals.zscore([D(i) for i in range(1, 31)], price=D("15.5")).value == 0


def test_zscore_uses_at_most_252_closes_and_needs_30():
    z = signals.zscore([D(1000)] * 100 + [D(i) for i in range(1, 253)])
    assert z.closes == 252 and z.mean == D("126.5")
    with pytest.raises(signals.InsufficientHistory, match="29 fechamentos; o z-score exige pelo menos 30"):
        signals.zscore([D(i) for i in range(1, 30)])
    with pytest.raises(signals.InsufficientHistory, match="desvio padrão zero"):
        signals.zscore([D(10)] * 40)


def test_dividend_yield_is_a_percentage():
    # 2.40 / 30 × 100 = 8 %
    assert signals.dividend_yield(dps=D("2.40"), price=D("30"), registered=D("5")) == (D("8"), "DPA / preço")
    assert signals.dividend_yield(dps=None, price=D("30"), registered=D("5")) == (D("5"), "DY cadastrado")
    assert signals.dividend_yield(dps=None, price=None, registered=None) == (None, "")


def test_buy_score_weights_and_band():
    # margin 25 → 50 + 25·5/3 = 91.667; z 1.64709 → 50 − 41.177 = 8.823; DY 8 → 80; β 0.8 → 70
    # (91.667·40 + 8.823·30 + 80·20 + 70·10) / 100 = 62.3 → AGUARDAR
    score = signals.buy_score(margin=D("25"), z=D("1.647089"), dividend_yield_pct=D("8"), beta=D("0.8"))
    assert (score.score, score.band) == (D("62.3"), "AGUARDAR")
    assert score.components["margin"]["weight"] == 40


def test_buy_score_reweights_missing_components():
    # (91.667·40 + 8.823·30) / 70 = 56.2
    score = signals.buy_score(margin=D("25"), z=D("1.647089"), reasons={"beta": "beta não cadastrado"})
    assert score.score == D("56.2")
    assert score.omitted == {"dividend_yield": "dado ausente", "beta": "beta não cadastrado"}
    assert signals.buy_score(dividend_yield_pct=D("8"), beta=D("1")).score is None


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (D("100"), "COMPRAR"),
        (D("70"), "COMPRAR"),
        (D("69.9"), "AGUARDAR"),
        (D("40"), "AGUARDAR"),
        (D("39.9"), "VENDER"),
    ],
)
def test_bands(score, band):
    assert signals.band(score) == band


def test_subscores_are_clamped():
    assert signals.margin_subscore(D("90")) == 100 and signals.margin_subscore(D("-90")) == 0
    assert signals.zscore_subscore(D("-3")) == 100 and signals.zscore_subscore(D("3")) == 0
    assert signals.dividend_yield_subscore(D("25")) == 100
    assert signals.beta_subscore(D("0.2")) == 100 and signals.beta_subscore(D("2")) == 0

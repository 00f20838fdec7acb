"""Buy signals: ceiling prices, margin of safety, z-score, the 0–100 buy score and its band.

Pure functions over ``Decimal`` (no database, no clock), unit-tested with hand-computed numbers.
Percentages are numbers (6.5 means 6.5 %) everywhere, dividend yield included. A method whose
inputs are missing or meaningless is *left out with the reason*, never filled with a constant.

Weights of the buy score (docs/quotes.md explains each curve):

==============  ======  ==========================================================
component       weight  sub-score 0–100
==============  ======  ==========================================================
margin          40      50 + margin × 5/3, clamped (−30 % → 0, 0 → 50, +30 % → 100)
z-score         30      50 − 25 × z, clamped (z = +2 → 0, 0 → 50, −2 → 100)
dividend yield  20      10 × DY %, clamped (0 % → 0, 10 % or more → 100)
beta            10      100 − 100 × (β − 0.5), clamped (β ≤ 0.5 → 100, 1 → 50, ≥ 1.5 → 0)
==============  ======  ==========================================================

Missing components drop out and the others are re-weighted; without margin and without
z-score there is no score. Bands: ≥ 70 COMPRAR, ≥ 40 AGUARDAR, otherwise VENDER.
"""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from .choices import SignalBand

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
CENT = Decimal("0.01")
GRAHAM_FACTOR = Decimal("22.5")  # Graham's P/L 15 × P/VP 1.5: part of the formula, not a default
MIN_CLOSES, MAX_CLOSES = 30, 252

WEIGHTS = {"margin": Decimal(40), "zscore": Decimal(30), "dividend_yield": Decimal(20), "beta": Decimal(10)}
BUY_AT, WAIT_AT = Decimal(70), Decimal(40)

EQUITY_TYPES = {"acao", "unit", "stock", "stock_intl"}
REAL_ESTATE_TYPES = {"fii", "reit"}


@dataclass(frozen=True)
class Fundamentals:
    asset_type: str
    dps: Decimal | None = None
    eps: Decimal | None = None
    bvps: Decimal | None = None
    fcf_per_share: Decimal | None = None
    ffo_per_share: Decimal | None = None
    affo_per_share: Decimal | None = None
    dividend_yield: Decimal | None = None  # %, as registered
    beta: Decimal | None = None


@dataclass(frozen=True)
class Macro:
    """Percentages per year."""

    cost_of_capital: Decimal
    growth_rate: Decimal
    terminal_growth_rate: Decimal
    bazin_yield: Decimal
    fii_cap_rate: Decimal
    dcf_years: int = 5


@dataclass(frozen=True)
class Ceiling:
    method: str
    value: Decimal | None
    reason: str = ""  # why it was left out (value is None)
    formula: str = ""


@dataclass(frozen=True)
class ZScore:
    value: Decimal
    closes: int
    mean: Decimal
    stdev: Decimal


@dataclass(frozen=True)
class Score:
    score: Decimal | None
    band: str | None
    components: dict = field(default_factory=dict)  # name -> {"value", "subscore", "weight"}
    omitted: dict = field(default_factory=dict)  # name -> reason


class InsufficientHistory(ValueError):
    """Fewer closes than the z-score needs (or no variation at all)."""


def _pct(value):
    return value / HUNDRED


def _omit(method, reason):
    return Ceiling(method=method, value=None, reason=reason)


def _positive(value):
    return value is not None and value > 0


# --- Ceiling prices ----------------------------------------------------------------------


def bazin(*, dps, required_yield) -> Ceiling:
    """Bazin: DPS / required yield (e.g. 6 % → DPS / 0.06)."""
    if not _positive(dps):
        return _omit("bazin", "DPA (dividendos por ação em 12 meses) ausente ou zero")
    if not _positive(required_yield):
        return _omit("bazin", "dividend yield exigido não definido")
    return Ceiling("bazin", dps / _pct(required_yield), formula="DPA / DY exigido")


def graham(*, eps, bvps) -> Ceiling:
    """Graham: √(22.5 × EPS × BVPS); undefined for non-positive earnings or book value."""
    if eps is None or bvps is None:
        return _omit("graham", "LPA ou VPA ausente")
    if eps <= 0 or bvps <= 0:
        return _omit("graham", "LPA ou VPA não positivo: a fórmula de Graham não se aplica")
    with localcontext() as ctx:
        ctx.prec = 28
        value = (GRAHAM_FACTOR * eps * bvps).sqrt()
    return Ceiling("graham", value, formula="√(22,5 × LPA × VPA)")


def gordon(*, dps, cost_of_capital, growth) -> Ceiling:
    """Gordon: DPS × (1 + g) / (k − g); requires k > g."""
    if not _positive(dps):
        return _omit("gordon", "DPA ausente ou zero")
    if cost_of_capital is None or growth is None:
        return _omit("gordon", "k ou g não definidos")
    if cost_of_capital <= growth:
        return _omit("gordon", "k deve ser maior que g")
    k, g = _pct(cost_of_capital), _pct(growth)
    return Ceiling("gordon", dps * (ONE + g) / (k - g), formula="DPA × (1 + g) / (k − g)")


def dcf(*, fcf_per_share, cost_of_capital, growth, terminal_growth, years=5) -> Ceiling:
    """Discounted cash flow per share: FCF growing at g for ``years``, then a Gordon terminal value.

    ceiling = Σₜ FCF·(1+g)ᵗ / (1+k)ᵗ  +  FCF·(1+g)ᴺ·(1+g∞) / (k − g∞) / (1+k)ᴺ
    """
    if not _positive(fcf_per_share):
        return _omit("dcf", "FCL por ação ausente ou não positivo")
    if cost_of_capital is None or growth is None or terminal_growth is None:
        return _omit("dcf", "k, g ou g da perpetuidade não definidos")
    if cost_of_capital <= terminal_growth:
        return _omit("dcf", "k deve ser maior que o crescimento na perpetuidade")
    k, g, gt = _pct(cost_of_capital), _pct(growth), _pct(terminal_growth)
    present = ZERO
    flow = fcf_per_share
    for year in range(1, years + 1):
        flow = flow * (ONE + g)
        present += flow / (ONE + k) ** year
    terminal = flow * (ONE + gt) / (k - gt) / (ONE + k) ** years
    return Ceiling("dcf", present + terminal, formula=f"DCF {years} anos + perpetuidade")


def fii_cap_rate(*, income_per_share, cap_rate, basis="") -> Ceiling:
    """Cap rate: yearly income per share (AFFO, FFO or distributions) / cap rate."""
    if not _positive(income_per_share):
        return _omit("fii_cap_rate", "AFFO, FFO e DPA ausentes")
    if not _positive(cap_rate):
        return _omit("fii_cap_rate", "cap rate não definido")
    return Ceiling("fii_cap_rate", income_per_share / _pct(cap_rate), formula=f"{basis or 'renda'} / cap rate")


def ceilings(fundamentals: Fundamentals, macro: Macro | None, *, market="") -> list:
    """Every method for the asset's type: a value, or left out with the reason."""
    kind = fundamentals.asset_type
    if kind not in EQUITY_TYPES | REAL_ESTATE_TYPES:
        return [_omit(m, f"não se aplica ao tipo {kind}") for m in ("bazin", "graham", "gordon", "dcf", "fii_cap_rate")]
    missing_macro = f"parâmetros macro ausentes para o mercado {market}".strip()
    f = fundamentals
    out = [bazin(dps=f.dps, required_yield=macro.bazin_yield) if macro else _omit("bazin", missing_macro)]
    if kind in EQUITY_TYPES:
        out.append(graham(eps=f.eps, bvps=f.bvps))
    else:
        out.append(_omit("graham", "não se aplica a FII/REIT"))
    out.append(
        gordon(dps=f.dps, cost_of_capital=macro.cost_of_capital, growth=macro.growth_rate)
        if macro
        else _omit("gordon", missing_macro)
    )
    if kind in EQUITY_TYPES:
        out.append(
            dcf(
                fcf_per_share=f.fcf_per_share,
                cost_of_capital=macro.cost_of_capital,
                growth=macro.growth_rate,
                terminal_growth=macro.terminal_growth_rate,
                years=macro.dcf_years,
            )
            if macro
            else _omit("dcf", missing_macro)
        )
        out.append(_omit("fii_cap_rate", "só para FII/REIT"))
    else:
        out.append(_omit("dcf", "não se aplica a FII/REIT (use o cap rate)"))
        income, basis = next(
            ((v, n) for v, n in ((f.affo_per_share, "AFFO"), (f.ffo_per_share, "FFO"), (f.dps, "DPA")) if _positive(v)),
            (None, ""),
        )
        out.append(
            fii_cap_rate(income_per_share=income, cap_rate=macro.fii_cap_rate, basis=basis)
            if macro
            else _omit("fii_cap_rate", missing_macro)
        )
    return out


def consolidated_ceiling(values) -> Decimal | None:
    """Median of the methods that produced a value (robust to one method far off)."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return statistics.median(values)


def margin_of_safety(*, ceiling, price) -> Decimal | None:
    """(ceiling − price) / ceiling × 100."""
    if not _positive(ceiling) or not _positive(price):
        return None
    return (ceiling - price) / ceiling * HUNDRED


# --- History ------------------------------------------------------------------------------


def zscore(closes, *, price=None) -> ZScore:
    """How many standard deviations ``price`` (default: the last close) is from the mean of up to 252 closes."""
    closes = [Decimal(c) for c in closes if c is not None][-MAX_CLOSES:]
    if len(closes) < MIN_CLOSES:
        raise InsufficientHistory(
            f"histórico insuficiente: {len(closes)} fechamentos; o z-score exige pelo menos {MIN_CLOSES}"
        )
    with localcontext() as ctx:
        ctx.prec = 28
        mean = statistics.mean(closes)
        stdev = statistics.stdev(closes)
        if stdev == 0:
            raise InsufficientHistory("fechamentos sem variação: desvio padrão zero")
        current = closes[-1] if price is None else Decimal(price)
        return ZScore(value=(current - mean) / stdev, closes=len(closes), mean=mean, stdev=stdev)


def dividend_yield(*, dps, price, registered=None):
    """``(yield %, basis)``: DPS / price × 100 when both are known, else the registered DY (%)."""
    if _positive(dps) and _positive(price):
        return dps / price * HUNDRED, "DPA / preço"
    if registered is not None and registered >= 0:
        return registered, "DY cadastrado"
    return None, ""


# --- Buy score --------------------------------------------------------------------------------


def _clamp(value):
    return max(ZERO, min(HUNDRED, value))


def margin_subscore(margin):
    return _clamp(Decimal(50) + margin * Decimal(5) / Decimal(3))


def zscore_subscore(z):
    return _clamp(Decimal(50) - Decimal(25) * z)


def dividend_yield_subscore(dy):
    return _clamp(Decimal(10) * dy)


def beta_subscore(beta):
    return _clamp(HUNDRED - HUNDRED * (beta - Decimal("0.5")))


def band(score) -> str | None:
    if score is None:
        return None
    if score >= BUY_AT:
        return SignalBand.COMPRAR.value
    if score >= WAIT_AT:
        return SignalBand.AGUARDAR.value
    return SignalBand.VENDER.value


def buy_score(*, margin=None, z=None, dividend_yield_pct=None, beta=None, reasons=None) -> Score:
    """Weighted 0–100 score of the available components (see the module docstring)."""
    reasons = reasons or {}
    inputs = {
        "margin": (margin, margin_subscore),
        "zscore": (z, zscore_subscore),
        "dividend_yield": (dividend_yield_pct, dividend_yield_subscore),
        "beta": (beta, beta_subscore),
    }
    components, omitted = {}, {}
    for name, (value, curve) in inputs.items():
        if value is None:
            omitted[name] = reasons.get(name) or "dado ausente"
            continue
        components[name] = {"value": value, "subscore": curve(value), "weight": WEIGHTS[name]}
    if "margin" not in components and "zscore" not in components:
        return Score(None, None, components, {**omitted, "score": "sem margem de segurança e sem z-score"})
    total_weight = sum(c["weight"] for c in components.values())
    score = sum(c["subscore"] * c["weight"] for c in components.values()) / total_weight
    score = score.quantize(Decimal("0.1"))
    return Score(score, band(score), components, omitted)

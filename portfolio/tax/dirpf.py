"""The annual report in the shape of the DIRPF (Declaração de Ajuste Anual). Pure: no database.

Codes follow the DIRPF layout in force since the 2024 declaration (ano-calendário 2023):
"Bens e Direitos" by group and code, "Rendimentos Isentos" line 09 (lucros e dividendos) and
20 (ganhos líquidos em ações com vendas até R$ 20.000/mês), "Tributação Exclusiva" line 10 (JCP).
The investor copies these figures; nothing here files anything.
"""

from decimal import Decimal

from . import engine
from .choices import Category

ZERO = engine.ZERO

# (group, code, label) of "Bens e Direitos" per category / asset type.
BENS_CODES = {
    Category.ACOES: ("03", "01", "Ações (inclusive listadas em bolsa)"),
    Category.FII: ("07", "03", "Fundos Imobiliários (FII)"),
    Category.ETF: ("07", "09", "Fundos de Índice (ETF)"),
    Category.BDR: ("04", "04", "Ativos negociados em bolsa no Brasil (BDR)"),
    Category.EXTERIOR: ("03", "01", "Ações/ativos no exterior"),
    Category.RENDA_FIXA: ("04", "02", "Títulos de renda fixa"),
    Category.OUTRO: ("99", "99", "Outros bens e direitos"),
}
CRYPTO_CODES = {
    "BTC": ("08", "01", "Criptoativo Bitcoin (BTC)"),
    "USDT": ("08", "03", "Stablecoins"),
    "USDC": ("08", "03", "Stablecoins"),
}
CRYPTO_DEFAULT = ("08", "02", "Outras criptomoedas (altcoins)")
FOREIGN_TYPE_CODES = {"etf_intl": ("07", "09", "ETF no exterior"), "reit": ("07", "99", "REIT no exterior")}
# Renda fixa by type (DIRPF 2024 layout, group 04): taxable titles vs exempt ones (LCI/LCA, CRI, CRA).
FIXED_INCOME_CODES = {
    "lci_lca": ("04", "02", "Títulos isentos de tributação (LCI, LCA, CRI, CRA)"),
    "cdb": ("04", "01", "Títulos públicos e privados sujeitos à tributação (CDB, RDB, Tesouro Direto...)"),
    "tesouro_direto": ("04", "01", "Títulos públicos e privados sujeitos à tributação (CDB, RDB, Tesouro Direto...)"),
    "debenture": ("04", "01", "Títulos públicos e privados sujeitos à tributação (CDB, RDB, Tesouro Direto...)"),
    "bond": ("04", "01", "Títulos públicos e privados sujeitos à tributação (CDB, RDB, Tesouro Direto...)"),
}
FIAGRO_CODE = ("07", "02", "Fundos de Investimento nas Cadeias Produtivas Agroindustriais (Fiagro)")
UNITS_CODE = ("03", "01", "Ações (inclusive listadas em bolsa) — units")
ETF_FIXED_INCOME_CODE = ("07", "09", "Fundos de Índice (ETF) de renda fixa")
# "Localização (País)" of the DIRPF: the country of the broker holding the asset (ISO-2 → name, code).
COUNTRIES = {"BR": ("105", "Brasil"), "US": ("249", "Estados Unidos")}


def is_fiagro(info: engine.AssetInfo) -> bool:
    return info.asset_type == "fii" and "FIAGRO" in f"{info.name} {info.ticker}".upper()


def bens_code(info: engine.AssetInfo):
    if info.category == Category.CRIPTO:
        return CRYPTO_CODES.get(info.ticker.split("-")[0], CRYPTO_DEFAULT)
    if info.category == Category.EXTERIOR and info.asset_type in FOREIGN_TYPE_CODES:
        return FOREIGN_TYPE_CODES[info.asset_type]
    if info.category == Category.RENDA_FIXA and info.asset_type in FIXED_INCOME_CODES:
        return FIXED_INCOME_CODES[info.asset_type]
    if info.category == Category.FII and is_fiagro(info):
        return FIAGRO_CODE
    if info.category == Category.UNITS:
        return UNITS_CODE
    if info.category == Category.ETF_RENDA_FIXA:
        return ETF_FIXED_INCOME_CODE
    return BENS_CODES.get(info.category, BENS_CODES[Category.OUTRO])


def location(info: engine.AssetInfo, broker: dict) -> dict:
    """The DIRPF "Localização (País)": the broker's country (an asset bought abroad is located there)."""
    country = (broker.get("country") or ("BR" if info.market == "BR" else "")).upper()
    code, name = COUNTRIES.get(country, ("", country or info.market))
    return {"country": country, "country_code": code, "label": f"{code} – {name}" if code else name}


def _split_cost(holding: engine.Holding) -> dict:
    """Cost in BRL per broker: quantity × consolidated average, the last broker taking the rounding."""
    state = holding.state
    brokers = sorted((b, q) for b, q in holding.by_broker.items() if q > 0)
    out, spent = {}, ZERO
    for i, (broker_id, qty) in enumerate(brokers):
        if i == len(brokers) - 1:
            cost = state.cost_basis_brl - spent
        else:
            cost = engine.money(state.cost_basis_brl * qty / state.quantity)
            spent += cost
        out[broker_id] = (qty, cost)
    return out


def bens_e_direitos(*, assets: dict, brokers: dict, now: dict, before: dict) -> list:
    """One line per asset × broker: quantity, cost on 31/12 of the year and of the year before."""
    lines = {}
    for when, holdings in (("current", now), ("previous", before)):
        for asset_id, holding in holdings.items():
            for broker_id, (qty, cost) in _split_cost(holding).items():
                line = lines.setdefault(
                    (asset_id, broker_id),
                    {"quantity": ZERO, "cost": ZERO, "previous_quantity": ZERO, "previous_cost": ZERO},
                )
                if when == "current":
                    line["quantity"], line["cost"] = qty, cost
                else:
                    line["previous_quantity"], line["previous_cost"] = qty, cost
    rows = []
    for (asset_id, broker_id), values in lines.items():
        info = assets[asset_id]
        broker = brokers.get(broker_id, {})
        group, code, label = bens_code(info)
        where = location(info, broker)
        rows.append(
            {
                "group": group,
                "code": code,
                "code_label": label,
                "ticker": info.ticker,
                "name": info.name,
                "category": info.category,
                "cnpj": info.cnpj,
                "location": where["label"],
                "country": where["country"],
                "country_code": where["country_code"],
                "broker": broker.get("name", ""),
                "broker_cnpj": broker.get("cnpj", ""),
                "currency": info.currency,
                "description": _description(info, broker, values["quantity"], values["cost"]),
                **values,
            }
        )
    rows.sort(key=lambda r: (r["group"], r["code"], r["ticker"], r["broker"]))
    return rows


def _description(info, broker, qty, cost) -> str:
    avg = (cost / qty).quantize(Decimal("0.01")) if qty else ZERO
    where = f"custodiadas na {broker.get('name', '')}"
    if broker.get("cnpj"):
        where += f" (CNPJ {broker['cnpj']})"
    return f"{qty.normalize():f} {info.ticker} {info.name} {where}, preço médio R$ {avg}".strip()


def report(*, year, owner, assets, brokers, bens, months, domestic, foreign, sales, bonuses=()) -> dict:
    def named(mapping):
        rows = [
            {"ticker": assets[a].ticker, "name": assets[a].name, "cnpj": assets[a].cnpj, "amount": v}
            for a, v in mapping.items()
            if v
        ]
        return sorted(rows, key=lambda r: r["ticker"])

    exempt_stock_gains = sum((m["exemption"]["exempt_gain"] for m in months), ZERO)
    exempt_crypto_gains = sum((m["crypto"]["exempt_gain"] for m in months), ZERO)
    jcp = sorted(
        (
            {"ticker": assets[a].ticker, "name": assets[a].name, "cnpj": assets[a].cnpj, **v}
            for a, v in domestic["jcp"].items()
        ),
        key=lambda r: r["ticker"],
    )
    monthly = [
        {
            "month": m["month"],
            "acoes_sales": m["exemption"]["acoes_sales"],
            "exempt": m["exemption"]["exempt"],
            "common_result": m["baskets"]["common"]["result"],
            "day_trade_result": m["baskets"]["day_trade"]["result"],
            "fii_result": m["baskets"]["fii"]["result"],
            "common_loss_out": m["baskets"]["common"]["loss_out"],
            "day_trade_loss_out": m["baskets"]["day_trade"]["loss_out"],
            "fii_loss_out": m["baskets"]["fii"]["loss_out"],
            "tax_due": m["tax_due"],
            "irrf": m["irrf"]["common"] + m["irrf"]["day_trade"],
            "darf": m["darf"]["amount"],
            "crypto_sales": m["crypto"]["sales"],
            "crypto_tax": m["crypto"]["tax"],
        }
        for m in months
    ]
    last = months[-1] if months else None
    return {
        "year": year,
        "user": {"id": owner.pk, "username": owner.get_username(), "name": getattr(owner, "full_name", "")},
        "bens_e_direitos": bens,
        "rendimentos_isentos": {
            "dividendos_09": named(domestic["dividends"]),
            "acoes_ate_20mil_20": exempt_stock_gains,
            "fii_rendimentos": named(domestic["fii_income"]),
            "cripto_ate_35mil": exempt_crypto_gains,
            "total_dividendos": sum(domestic["dividends"].values(), ZERO),
            "total_fii": sum(domestic["fii_income"].values(), ZERO),
            "bonificacoes_18": sum((b["cost_brl"] for b in bonuses), ZERO),
        },
        "dividendos_com_retencao": [
            {"ticker": assets[a].ticker, "name": assets[a].name, "cnpj": assets[a].cnpj, **v}
            for a, v in sorted(domestic.get("dividends_withheld", {}).items())
        ],
        "proventos_sem_cambio": domestic.get("missing_fx", []),
        "tributacao_exclusiva": {
            "jcp_10": jcp,
            "total_jcp_liquido": sum((r["net"] for r in jcp), ZERO),
        },
        "outros_rendimentos": named(domestic["others"]),
        "bonificacoes_18": [
            {
                "ticker": assets[b["asset_id"]].ticker,
                "cnpj": assets[b["asset_id"]].cnpj,
                "date": b["date"],
                "quantity": b["quantity"],
                "amount": b["cost_brl"],
            }
            for b in bonuses
        ],
        "retencao_dividendos": domestic["dividend_withholding"],
        "renda_variavel": {
            "months": monthly,
            "losses_at_year_end": (
                {k: v["loss_out"] for k, v in last["baskets"].items()} if last else {"common": ZERO}
            ),
            "irrf_credit_at_year_end": last["irrf"]["credit_out"] if last else ZERO,
            "darf_residual_at_year_end": last["darf"]["residual_out"] if last else ZERO,
        },
        "exterior": {k: v for k, v in (foreign or {}).items() if k != "operations"},
        "operations": len(sales),
    }

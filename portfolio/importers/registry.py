"""Which asset and which broker an imported row means, and what to create when they are new.

Asset type of an unknown B3 ticker, in this order (first that answers wins):

1. the file says so (generic CSV ``asset_type`` column);
2. the curated list ``fixtures/portfolio/b3_tickers.csv`` (FIIs, units, ETFs ending in 11...);
3. the B3 product description (movimentação's "Produto": "... FUNDO DE INVESTIMENTO IMOBILIARIO",
   "... UNT", "ISHARES ... FUNDO DE INDICE", "Tesouro Selic 2029", "CDB ...");
4. the ticker's B3 suffix where it is unambiguous: 3/4/5/6/7/8 → ação, 32–35 → BDR
   (``stock_intl``), 39 → BDR of an ETF (``etf_intl``);
5. otherwise — notably a ``…11`` found nowhere above, which may be an FII, a unit or an ETF —
   ``outro``, created with ``needs_review`` so an operator confirms it. Never a blind guess.
"""

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _

from ..choices import CURRENCY_BY_MARKET, DEFAULT_CLASS_BY_TYPE, AssetType, Market
from ..models import Asset, Broker
from .reading import normalise

DESCRIPTION_RULES = [
    (re.compile(r"\b(fundo de investimento imobiliario|fdo inv imob|fii)\b"), AssetType.FII),
    (re.compile(r"\b(fundo de indice|fdo indice|etf|ishares|index fund)\b"), AssetType.ETF),
    (re.compile(r"\b(unt|unit|units)\b"), AssetType.UNIT),
    (re.compile(r"\btesouro\b"), AssetType.TESOURO_DIRETO),
    (re.compile(r"\bcdb\b"), AssetType.CDB),
    (re.compile(r"\b(lci|lca)\b"), AssetType.LCI_LCA),
    (re.compile(r"\b(debenture|deb)\b"), AssetType.DEBENTURE),
    (re.compile(r"\bbdr\b"), AssetType.STOCK_INTL),
]
SUFFIX_RULES = [
    (re.compile(r"^[A-Z0-9]{4}(3|4|5|6|7|8)$"), AssetType.ACAO),
    (re.compile(r"^[A-Z0-9]{4}3[2-5]$"), AssetType.STOCK_INTL),
    (re.compile(r"^[A-Z0-9]{4}39$"), AssetType.ETF_INTL),
]
FRACTIONAL = re.compile(r"^([A-Z0-9]{4}\d{1,2})F$")
BROKER_NOISE = re.compile(
    r"\b(s a|sa|s/a|ltda|cctvm|ctvm|dtvm|cvm|cv|ccvm|corretora|de|titulos|valores|mobiliarios|distribuidora|"
    r"investimentos|invest|grupo|banco|bank|e|do|da)\b"
)


@dataclass
class AssetDecision:
    asset_type: str
    reason: str
    needs_review: bool = False


def clean_ticker(raw: str) -> str:
    ticker = (raw or "").strip().upper()
    match = FRACTIONAL.match(ticker)
    return match.group(1) if match else ticker


@lru_cache(maxsize=1)
def curated_b3_tickers() -> dict:
    path = settings.FIXTURES_DIR / "portfolio" / "b3_tickers.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        return {row["ticker"].strip().upper(): row for row in csv.DictReader(handle)}


def decide_type(ticker: str, *, market: str, description: str = "", declared: str = "") -> AssetDecision:
    if declared:
        return AssetDecision(declared, _("tipo informado no arquivo"))
    if market != Market.BR:
        return AssetDecision(
            AssetType.OUTRO, _("ativo de fora da B3 sem tipo informado: confirme o tipo"), needs_review=True
        )
    curated = curated_b3_tickers().get(ticker)
    if curated:
        return AssetDecision(curated["asset_type"], _("lista de tickers da B3 (fixtures)"))
    described = normalise(description)
    if described:
        for pattern, asset_type in DESCRIPTION_RULES:
            if pattern.search(described):
                return AssetDecision(asset_type, _("descrição do produto na B3: %(d)s") % {"d": description[:80]})
    for pattern, asset_type in SUFFIX_RULES:
        if pattern.match(ticker):
            return AssetDecision(asset_type, _("sufixo do ticker na B3"))
    if ticker.endswith("11"):
        return AssetDecision(
            AssetType.OUTRO, _("…11 pode ser FII, unit ou ETF e não está na lista: confirme o tipo"), True
        )
    return AssetDecision(AssetType.OUTRO, _("tipo não reconhecido: confirme o tipo"), needs_review=True)


def new_asset(ticker: str, *, market: str, decision: AssetDecision, name: str = "", currency: str = "") -> Asset:
    curated = curated_b3_tickers().get(ticker) if market == Market.BR else None
    return Asset(
        ticker=ticker,
        market=market,
        name=(name or (curated or {}).get("name") or ticker)[:200],
        sector=((curated or {}).get("sector") or "")[:120],
        asset_type=decision.asset_type,
        asset_class=DEFAULT_CLASS_BY_TYPE[AssetType(decision.asset_type)],
        currency=(currency or CURRENCY_BY_MARKET.get(market, "BRL")).upper(),
        needs_review=decision.needs_review,
        review_note=decision.reason[:255] if decision.needs_review else "",
    )


def broker_key(name: str) -> str:
    return re.sub(r"\s+", " ", BROKER_NOISE.sub(" ", normalise(name).replace("/", " "))).strip()


class BrokerMatcher:
    """Find a broker by a B3 institution name ("XP INVESTIMENTOS CCTVM S/A") or create one."""

    def __init__(self):
        self.by_key = {}
        for broker in Broker.objects.all():
            self.by_key.setdefault(broker_key(broker.name), broker)
            self.by_key.setdefault(normalise(broker.name), broker)
        self.created: dict[str, Broker] = {}

    def find(self, name: str) -> Broker | None:
        if not name:
            return None
        for key in (normalise(name), broker_key(name)):
            if key in self.by_key:
                return self.by_key[key]
        key = broker_key(name)
        for known, broker in self.by_key.items():
            if known and key and (key.startswith(known + " ") or known.startswith(key + " ")):
                return broker
        return None

    def find_or_plan(self, name: str) -> Broker:
        broker = self.find(name)
        if broker is not None:
            return broker
        key = broker_key(name) or normalise(name)
        if key not in self.created:
            self.created[key] = Broker(name=_display_name(name), country="BR", default_currency="BRL")
            self.by_key[key] = self.created[key]
        return self.created[key]


LEGAL_WORDS = {"s/a", "s.a.", "sa", "ltda", "cctvm", "ctvm", "dtvm", "cvm", "ccvm"}
CONNECTORS = {"de", "da", "do", "das", "dos", "e"}


def _display_name(raw: str) -> str:
    """ "NU INVEST CORRETORA DE VALORES S.A." → "Nu Invest Corretora de Valores S.A." """
    words = []
    for word in raw.split():
        lower = word.lower()
        if lower in CONNECTORS and words:
            words.append(lower)
        elif lower in LEGAL_WORDS or "." in word or "/" in word or not re.search(r"[aeiou]", lower):
            words.append(word.upper())
        else:
            words.append(word.capitalize())
    return " ".join(words)[:120]

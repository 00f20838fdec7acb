"""The one interface every quote provider implements, the values they return and their errors.

A provider turns a provider-specific HTTP answer into :class:`QuoteData`, :class:`Bar`,
:class:`FxPoint`, :class:`SeriesPoint` or :class:`LookupResult` with ``Decimal`` prices, a
currency and a market time. Anything malformed or empty is an error of that provider
(:class:`BadResponse`), never a zero. A symbol the provider does not know is reported in
``BatchResult.not_found`` so the chain can ask the next provider.
"""

import email.utils
import ipaddress
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# Capabilities.
QUOTE, HISTORY, FX, SERIES, LOOKUP = "quote", "history", "fx", "series", "lookup"

# Markets as stored on ``portfolio.Asset.market``.
BR, US, EU, ASIA, GLOBAL = "BR", "US", "EU", "ASIA", "GLOBAL"

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Instrument:
    """What we ask a provider for: one asset, identified by ticker and market."""

    ticker: str
    market: str
    asset_type: str = ""
    currency: str = "BRL"
    asset_id: int | None = None

    @property
    def key(self):
        return (self.ticker, self.market)

    @property
    def is_crypto(self):
        return self.asset_type == "cripto" or self.market == GLOBAL


@dataclass(frozen=True)
class QuoteData:
    ticker: str
    market: str
    price: Decimal
    currency: str
    market_time: datetime
    source: str
    previous_close: Decimal | None = None
    change: Decimal | None = None
    change_percent: Decimal | None = None
    volume: int | None = None
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None

    @property
    def key(self):
        return (self.ticker, self.market)


@dataclass(frozen=True)
class Bar:
    date: date
    close: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    adjusted_close: Decimal | None = None
    volume: int | None = None


@dataclass(frozen=True)
class FxPoint:
    date: date
    rate: Decimal


@dataclass(frozen=True)
class SeriesPoint:
    date: date
    value: Decimal


@dataclass(frozen=True)
class LookupResult:
    ticker: str
    market: str
    name: str
    asset_type: str
    currency: str
    exchange: str = ""
    source: str = ""


@dataclass
class BatchResult:
    """What a provider answered for a batch of instruments."""

    quotes: dict = field(default_factory=dict)  # key -> QuoteData
    not_found: set = field(default_factory=set)  # keys the provider does not know
    invalid: dict = field(default_factory=dict)  # key -> why that symbol's entry was unusable
    rejected: dict = field(default_factory=dict)  # key -> a valid answer about something else (currency)

    def keep_currency(self, instruments):
        """Reject answers in another currency than the asset's (e.g. a US ADR for an EU listing)."""
        wanted = {i.key: i.currency.upper() for i in instruments}
        for key, quote in list(self.quotes.items()):
            if wanted.get(key) and quote.currency != wanted[key]:
                self.rejected[key] = f"cotado em {quote.currency}, o ativo é em {wanted[key]}"
                del self.quotes[key]
        return self

    def parse(self, instrument, build, *args):
        """Store ``build(*args)`` as ``instrument``'s quote; a :class:`BadResponse` marks the entry invalid."""
        try:
            self.quotes[instrument.key] = build(*args)
        except BadResponse as exc:
            self.invalid[instrument.key] = str(exc)


# --- Errors ------------------------------------------------------------------


class ProviderError(Exception):
    """A provider could not answer. ``outcome`` is the ``Outcome`` value recorded in the attempt log."""

    outcome = "http_error"
    # Counts towards opening the circuit breaker.
    trips_circuit = True

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.status = status


class ProviderTimeout(ProviderError):
    outcome = "timeout"


class ProviderConnectionError(ProviderError):
    outcome = "connection_error"


class ProviderHTTPError(ProviderError):
    outcome = "http_error"


class ProviderRateLimited(ProviderError):
    """HTTP 429. ``retry_after``: seconds the provider asked us to wait (``Retry-After``), if it said.

    It does not count towards the circuit breaker: the chain honours the wait instead
    (``ratelimit.pause``), so the provider is not hammered until the breaker opens.
    """

    outcome = "rate_limited"
    trips_circuit = False

    def __init__(self, message, *, status=None, retry_after=None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ProviderAuthError(ProviderError):
    outcome = "auth_error"


class BadResponse(ProviderError):
    """Malformed, empty or nonsensical answer (garbage, HTML, zero or negative price...)."""

    outcome = "bad_response"


class SymbolNotFound(ProviderError):
    """The whole request was about symbols the provider does not know (not a provider fault)."""

    outcome = "not_found"
    trips_circuit = False


class UnsafeURL(ProviderError):
    """A provider URL that is not on loopback while ``QUOTES_LOOPBACK_ONLY`` is on."""

    outcome = "connection_error"
    trips_circuit = False


# --- Parsing helpers -----------------------------------------------------------


def to_decimal(value, *, what="valor", positive=True, allow_none=False):
    """A JSON number or numeric string as ``Decimal``; ``BadResponse`` for anything else.

    ``positive``: prices must be > 0 (a zero price is a provider error, not a price).
    """
    if value is None or value == "":
        if allow_none:
            return None
        raise BadResponse(f"{what} ausente")
    if isinstance(value, bool):
        raise BadResponse(f"{what} inválido: {value!r}")
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError) as exc:
        raise BadResponse(f"{what} inválido: {str(value)[:40]!r}") from exc
    if not number.is_finite():
        raise BadResponse(f"{what} não finito")
    if positive and number <= 0:
        raise BadResponse(f"{what} não positivo: {number}")
    return number


def optional_decimal(value, *, what="valor", positive=False):
    """Like :func:`to_decimal` but missing/unparseable optional fields become ``None``."""
    try:
        return to_decimal(value, what=what, positive=positive, allow_none=True)
    except BadResponse:
        return None


def optional_int(value):
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def from_epoch(value, *, what="horário"):
    try:
        seconds = int(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise BadResponse(f"{what} inválido") from exc
    if seconds <= 0:
        raise BadResponse(f"{what} ausente")
    return datetime.fromtimestamp(seconds, tz=UTC)


def from_iso(value, *, what="horário", tz=UTC):
    if not isinstance(value, str) or not value:
        raise BadResponse(f"{what} ausente")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadResponse(f"{what} inválido: {value[:40]!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_json(content: bytes):
    """JSON with every non-integer number as ``Decimal`` (no float rounding on the way in)."""
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadResponse("resposta não é JSON válido") from exc


def _reject_constant(name):
    raise ValueError(f"constante JSON não permitida: {name}")


def infer_b3_type(ticker: str, provider_kind: str = "") -> str:
    """B3 asset type from the ticker's suffix and the provider's own classification."""
    provider_kind = provider_kind.lower()
    if provider_kind == "bdr" or ticker[-2:] in ("31", "32", "33", "34", "35", "39"):
        return "outro"
    if ticker.endswith("11") or ticker.endswith("11B"):
        if provider_kind in ("fund", "fii", "reit"):
            return "fii"
        if provider_kind == "etf":
            return "etf"
        return "unit"
    return "acao"


def chunked(items, size):
    size = max(1, int(size))
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- Provider base -----------------------------------------------------------


class Provider:
    """Base of every adapter. Subclasses set ``name``, ``capabilities`` and ``markets``."""

    name = ""
    capabilities = frozenset()
    markets = frozenset()
    requires_key = False
    # Twelve Data bills a batch request one credit per symbol.
    cost_per_symbol = False
    # Whether the daily closes this provider sends are already adjusted for splits (and grupamentos,
    # bonificações) that happened after them. Such closes are stored unadjusted (the price traded on
    # that day) by multiplying them back with the recorded corporate events (``quotes.services.splits``).
    history_split_adjusted = False

    def __init__(self, config=None):
        config = config if config is not None else settings.QUOTES_PROVIDERS.get(self.name, {})
        self.config = config
        self.base_url = (config.get("base_url") or "").rstrip("/")
        self.api_key = config.get("api_key") or ""
        self.timeout = float(config.get("timeout") or settings.QUOTES_HTTP_TIMEOUT)
        self.batch_size = max(1, int(config.get("batch_size") or 1))
        self._client = None

    # -- what it can do ------------------------------------------------------

    def supports(self, capability, market=None, instrument=None):
        """Quotes and history depend on the market; FX, series and lookup only on the capability."""
        if capability not in self.capabilities:
            return False
        if capability not in (QUOTE, HISTORY):
            return True
        if market is None and instrument is not None:
            market = instrument.market
        return market is None or market in self.markets

    @property
    def configured(self):
        return bool(self.api_key) or not self.requires_key

    def request_cost(self, symbols: int) -> int:
        return symbols if self.cost_per_symbol else 1

    # -- operations (override what the provider offers) ---------------------

    def fetch_quotes(self, instruments) -> BatchResult:
        raise NotImplementedError

    def fetch_history(self, instrument, start: date, end: date) -> list:
        raise NotImplementedError

    def fetch_fx(self, base: str, quote: str, start: date, end: date) -> list:
        raise NotImplementedError

    def fetch_series(self, series: str, start: date, end: date) -> list:
        raise NotImplementedError

    def lookup(self, query: str) -> list:
        raise NotImplementedError

    # -- HTTP ------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, settings.QUOTES_HTTP_CONNECT_TIMEOUT)),
                headers={"User-Agent": "Exitus/1.0 (+quotes)", "Accept": "application/json"},
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                follow_redirects=False,
            )
        return self._client

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, url, *, params=None, headers=None, not_found_ok=False):
        """GET ``url`` and return its JSON; map every failure to a :class:`ProviderError`.

        ``not_found_ok``: a 404 returns ``None`` (the caller treats it as unknown symbols).
        """
        check_url_allowed(url)
        started = time.perf_counter()
        try:
            response = self.client.get(url, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"tempo esgotado após {self.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise ProviderConnectionError(f"falha de conexão: {exc.__class__.__name__}") from exc
        finally:
            logger.debug("%s GET %s %.0f ms", self.name, urlsplit(url).path, (time.perf_counter() - started) * 1000)
        status = response.status_code
        if status == 404 and not_found_ok:
            return None
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise ProviderRateLimited("limite de requisições do provedor (429)", status=status, retry_after=retry_after)
        if status in (401, 403):
            raise ProviderAuthError(f"chave recusada ({status})", status=status)
        if status >= 400:
            raise ProviderHTTPError(f"HTTP {status}", status=status)
        if not response.content:
            raise BadResponse("resposta vazia", status=status)
        return parse_json(response.content)


def parse_retry_after(value) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - timezone.now()).total_seconds())


def check_url_allowed(url):
    """With ``QUOTES_LOOPBACK_ONLY`` (tests, benches) only loopback hosts may be contacted."""
    if not settings.QUOTES_LOOPBACK_ONLY:
        return
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise UnsafeURL(f"QUOTES_LOOPBACK_ONLY: host não permitido ({host or 'vazio'})")

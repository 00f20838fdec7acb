"""Twelve Data: ``/quote`` (comma-separated symbols; one credit per symbol), ``/time_series``, search.

One symbol → the quote object itself; several → ``{"AAPL": {...}, "MSFT": {...}}``. Errors come
as ``{"code": 4xx, "message", "status": "error"}``, for the whole call or per symbol, often with
HTTP 200. B3 symbols are asked with ``mic_code=BVMF``; crypto and FX as ``BTC/USD``, ``USD/BRL``.
"""

from datetime import date

from .base import (
    ASIA,
    BR,
    EU,
    FX,
    GLOBAL,
    HISTORY,
    LOOKUP,
    QUOTE,
    US,
    BadResponse,
    BatchResult,
    FxPoint,
    LookupResult,
    Provider,
    ProviderAuthError,
    ProviderHTTPError,
    ProviderRateLimited,
    QuoteData,
    from_epoch,
    infer_b3_type,
    optional_decimal,
    optional_int,
    to_decimal,
)
from .history import bars_from_rows

MARKET_BY_COUNTRY = {"Brazil": BR, "United States": US}
TYPE_MAP = {"Common Stock": "stock", "ETF": "etf_intl", "REIT": "reit", "Digital Currency": "cripto"}


def td_symbol(instrument):
    if instrument.is_crypto:
        return f"{instrument.ticker}/{instrument.currency}"
    return instrument.ticker


class TwelveDataProvider(Provider):
    name = "twelvedata"
    history_split_adjusted = True  # time_series: adjust=splits by default
    capabilities = frozenset({QUOTE, HISTORY, FX, LOOKUP})
    markets = frozenset({BR, US, EU, ASIA, GLOBAL})
    requires_key = True
    cost_per_symbol = True

    def _get(self, path, **params):
        params["apikey"] = self.api_key
        data = self.get_json(f"{self.base_url}{path}", params=params, not_found_ok=True)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise BadResponse("resposta não é um objeto")
        if data.get("status") == "error":
            code = optional_int(data.get("code"))
            message = str(data.get("message") or "")[:120]
            if code == 404 or (code == 400 and "symbol" in message.lower()):
                return None
            if code == 429:
                raise ProviderRateLimited(f"cota esgotada: {message}", status=code)
            if code in (401, 403):
                raise ProviderAuthError(f"chave recusada: {message}", status=code)
            raise ProviderHTTPError(f"erro {code}: {message}", status=code)
        return data

    def fetch_quotes(self, instruments):
        result = BatchResult()
        by_symbol = {td_symbol(i).upper(): i for i in instruments}
        params = {"symbol": ",".join(by_symbol)}
        if all(i.market == BR for i in instruments):
            params["mic_code"] = "BVMF"
        data = self._get("/quote", **params)
        if data is None:
            result.not_found.update(i.key for i in instruments)
            return result
        rows = {next(iter(by_symbol)): data} if len(by_symbol) == 1 else data
        for symbol, instrument in by_symbol.items():
            row = rows.get(symbol) if isinstance(rows, dict) else None
            if not isinstance(row, dict) or row.get("status") == "error":
                result.not_found.add(instrument.key)
                continue
            result.parse(instrument, self._quote, instrument, row)
        return result

    def _quote(self, instrument, row):
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=to_decimal(row.get("close"), what="preço"),
            currency=str(row.get("currency") or instrument.currency).upper()[:3],
            market_time=from_epoch(row.get("timestamp") or row.get("last_quote_at")),
            source=self.name,
            previous_close=optional_decimal(row.get("previous_close"), positive=True),
            change=optional_decimal(row.get("change")),
            change_percent=optional_decimal(row.get("percent_change")),
            volume=optional_int(row.get("volume")),
            open=optional_decimal(row.get("open"), positive=True),
            high=optional_decimal(row.get("high"), positive=True),
            low=optional_decimal(row.get("low"), positive=True),
        )

    def _time_series(self, symbol, start, end, **extra):
        data = self._get(
            "/time_series",
            symbol=symbol,
            interval="1day",
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            outputsize=5000,
            **extra,
        )
        if data is None:
            return []
        values = data.get("values")
        if not isinstance(values, list):
            raise BadResponse("'values' ausente")
        return bars_from_rows(values, start=start, end=end, day=_day)

    def fetch_history(self, instrument, start, end):
        extra = {"mic_code": "BVMF"} if instrument.market == BR else {}
        return self._time_series(td_symbol(instrument), start, end, **extra)

    def fetch_fx(self, base, quote, start, end):
        return [FxPoint(date=bar.date, rate=bar.close) for bar in self._time_series(f"{base}/{quote}", start, end)]

    def lookup(self, query):
        data = self._get("/symbol_search", symbol=query, outputsize=10)
        rows = (data or {}).get("data")
        if not isinstance(rows, list):
            return []
        found = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("symbol"):
                continue
            market = MARKET_BY_COUNTRY.get(str(row.get("country") or ""), EU)
            ticker = str(row["symbol"]).upper()
            kind = str(row.get("instrument_type") or "")
            asset_type = TYPE_MAP.get(kind, "stock_intl")
            if market == BR:
                asset_type = infer_b3_type(ticker, {"ETF": "etf", "REIT": "fund"}.get(kind, ""))
            elif market != US and asset_type == "stock":
                asset_type = "stock_intl"
            found.append(
                LookupResult(
                    ticker=ticker,
                    market=market,
                    name=str(row.get("instrument_name") or ""),
                    asset_type=asset_type,
                    currency=str(row.get("currency") or "USD").upper()[:3],
                    exchange=str(row.get("exchange") or ""),
                    source=self.name,
                )
            )
        return found


def _day(row):
    try:
        return date.fromisoformat(str(row.get("datetime"))[:10])
    except ValueError as exc:
        raise BadResponse("'datetime' inválido") from exc

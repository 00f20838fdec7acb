"""brapi.dev: B3 quotes in batches (``/quote/{tickers}``), history via ``range``/``interval``, crypto, search.

Answers: ``{"results": [{"symbol", "currency", "regularMarketPrice", "regularMarketTime" (ISO),
"regularMarketPreviousClose", ..., "historicalDataPrice": [{"date": epoch, "open", ...,
"adjustedClose"}]}], "requestedAt", "took"}``; unknown symbols → 404 ``{"error": true, "message"}``.
"""

from .base import (
    BR,
    GLOBAL,
    HISTORY,
    LOOKUP,
    QUOTE,
    SAO_PAULO,
    BadResponse,
    BatchResult,
    LookupResult,
    Provider,
    QuoteData,
    from_epoch,
    from_iso,
    infer_b3_type,
    optional_decimal,
    optional_int,
    to_decimal,
)
from .history import bars_from_rows, range_for

# brapi's ``range`` values, shortest first, with the days each covers.
RANGES = [("5d", 5), ("1mo", 31), ("3mo", 93), ("6mo", 186), ("1y", 366), ("2y", 731), ("5y", 1827), ("max", 10**6)]


class BrapiProvider(Provider):
    name = "brapi"
    history_split_adjusted = True  # historicalDataPrice: closes adjusted for splits
    capabilities = frozenset({QUOTE, HISTORY, LOOKUP})
    markets = frozenset({BR, GLOBAL})

    def _params(self, **params):
        if self.api_key:
            params["token"] = self.api_key
        return params

    def fetch_quotes(self, instruments):
        result = BatchResult()
        stocks = [i for i in instruments if not i.is_crypto]
        coins = [i for i in instruments if i.is_crypto]
        if stocks:
            self._stock_quotes(stocks, result)
        for currency in sorted({i.currency for i in coins}):
            self._crypto_quotes([i for i in coins if i.currency == currency], currency, result)
        return result

    def _stock_quotes(self, instruments, result):
        data = self.get_json(
            f"{self.base_url}/quote/{','.join(i.ticker.upper() for i in instruments)}",
            params=self._params(),
            not_found_ok=True,
        )
        self._collect(data, "results", "symbol", instruments, result)

    def _collect(self, data, key, symbol_field, instruments, result):
        """Match answered rows to instruments; unanswered ones are not found (404: all of them)."""
        if data is None:  # brapi answers 404 for the whole request when one symbol is unknown
            result.not_found.update(i.key for i in instruments)
            return
        by_symbol = {i.ticker.upper(): i for i in instruments}
        seen = set()
        for row in _results(data, key):
            instrument = by_symbol.get(str(row.get(symbol_field, "")).upper())
            if instrument is not None:
                seen.add(instrument.ticker.upper())
                result.parse(instrument, self._quote, instrument, row)
        result.not_found.update(i.key for s, i in by_symbol.items() if s not in seen)

    def _quote(self, instrument, row, *, time_field="regularMarketTime"):
        raw_time = row.get(time_field)
        market_time = from_epoch(raw_time) if isinstance(raw_time, int) else from_iso(raw_time)
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=to_decimal(row.get("regularMarketPrice"), what="preço"),
            currency=str(row.get("currency") or instrument.currency).upper(),
            market_time=market_time,
            source=self.name,
            previous_close=optional_decimal(row.get("regularMarketPreviousClose"), positive=True),
            change=optional_decimal(row.get("regularMarketChange")),
            change_percent=optional_decimal(row.get("regularMarketChangePercent")),
            volume=optional_int(row.get("regularMarketVolume")),
            open=optional_decimal(row.get("regularMarketOpen"), positive=True),
            high=optional_decimal(row.get("regularMarketDayHigh"), positive=True),
            low=optional_decimal(row.get("regularMarketDayLow"), positive=True),
        )

    def _crypto_quotes(self, instruments, currency, result):
        data = self.get_json(
            f"{self.base_url}/v2/crypto",
            params=self._params(coin=",".join(i.ticker.upper() for i in instruments), currency=currency),
            not_found_ok=True,
        )
        self._collect(data, "coins", "coin", instruments, result)

    def fetch_history(self, instrument, start, end):
        range_name = range_for(RANGES, start)
        if instrument.is_crypto:
            url = f"{self.base_url}/v2/crypto"
            params = self._params(coin=instrument.ticker, currency=instrument.currency, range=range_name, interval="1d")
            key = "coins"
        else:
            url = f"{self.base_url}/quote/{instrument.ticker}"
            params = self._params(range=range_name, interval="1d")
            key = "results"
        data = self.get_json(url, params=params, not_found_ok=True)
        if data is None:
            return []
        rows = _results(data, key)
        history = rows[0].get("historicalDataPrice") if rows else None
        if not isinstance(history, list):
            raise BadResponse("historicalDataPrice ausente")
        return bars_from_rows(
            history,
            start=start,
            end=end,
            day=lambda row: from_epoch(row.get("date"), what="data").astimezone(SAO_PAULO).date(),
            adjusted="adjustedClose",
        )

    def lookup(self, query):
        data = self.get_json(f"{self.base_url}/quote/list", params=self._params(search=query, limit=10))
        stocks = data.get("stocks") if isinstance(data, dict) else None
        if not isinstance(stocks, list):
            raise BadResponse("lista de ativos ausente")
        found = []
        for row in stocks:
            ticker = str(row.get("stock") or "").upper()
            if not ticker:
                continue
            kind = str(row.get("type") or "").lower()
            found.append(
                LookupResult(
                    ticker=ticker,
                    market=BR,
                    name=str(row.get("name") or ""),
                    asset_type=infer_b3_type(ticker, kind),
                    currency="BRL",
                    exchange="B3",
                    source=self.name,
                )
            )
        return found


def _results(data, key):
    if not isinstance(data, dict):
        raise BadResponse("resposta não é um objeto")
    if data.get("error"):
        raise BadResponse(f"erro do provedor: {str(data.get('message', ''))[:120]}")
    rows = data.get(key)
    if not isinstance(rows, list):
        raise BadResponse(f"campo {key!r} ausente")
    return [row for row in rows if isinstance(row, dict)]

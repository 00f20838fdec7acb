"""Yahoo Finance chart API (no key). B3 symbols carry the ``.SA`` suffix.

Quotes in batches through ``/v7/finance/spark?symbols=A,B&range=1d&interval=1d`` (each result
is a chart ``response`` with ``meta.regularMarketPrice``, ``meta.regularMarketTime`` (epoch),
``meta.chartPreviousClose``, ``meta.currency``); history and FX through
``/v8/finance/chart/{symbol}`` (``timestamp`` + ``indicators.quote[0]`` + ``indicators.adjclose``);
symbol search through ``/v1/finance/search``.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    QuoteData,
    from_epoch,
    infer_b3_type,
    optional_decimal,
    optional_int,
    to_decimal,
)
from .history import bars_from_rows

# Yahoo ``quoteType`` → our asset type (by market).
TYPE_MAP = {
    ("EQUITY", BR): "acao",
    ("ETF", BR): "etf",
    ("MUTUALFUND", BR): "fii",
    ("EQUITY", US): "stock",
    ("ETF", US): "etf_intl",
    ("CRYPTOCURRENCY", GLOBAL): "cripto",
}
EXCHANGE_MARKET = {
    "SAO": BR,
    "NMS": US,
    "NYQ": US,
    "NGM": US,
    "NCM": US,
    "PCX": US,
    "ASE": US,
    "BTS": US,
    "CCC": GLOBAL,
}


def yahoo_symbol(instrument):
    if instrument.market == BR:
        return f"{instrument.ticker}.SA"
    if instrument.is_crypto:
        return f"{instrument.ticker}-{instrument.currency}"
    if instrument.market == US:
        return instrument.ticker.replace(".", "-")
    return instrument.ticker


class YahooProvider(Provider):
    name = "yahoo"
    history_split_adjusted = True  # chart API: OHLC adjusted for splits (adjclose also for dividends)
    capabilities = frozenset({QUOTE, HISTORY, FX, LOOKUP})
    markets = frozenset({BR, US, EU, ASIA, GLOBAL})

    def fetch_quotes(self, instruments):
        result = BatchResult()
        by_symbol = {yahoo_symbol(i).upper(): i for i in instruments}
        data = self.get_json(
            f"{self.base_url}/v7/finance/spark",
            params={"symbols": ",".join(by_symbol), "range": "1d", "interval": "1d"},
            not_found_ok=True,
        )
        if data is None:
            result.not_found.update(i.key for i in instruments)
            return result
        spark = data.get("spark") if isinstance(data, dict) else None
        if not isinstance(spark, dict):
            raise BadResponse("campo 'spark' ausente")
        rows = spark.get("result") or []
        if not isinstance(rows, list):
            raise BadResponse("'spark.result' inválido")
        seen = set()
        for row in rows:
            if not isinstance(row, dict):
                continue
            symbol = str(row.get("symbol", "")).upper()
            instrument = by_symbol.get(symbol)
            if instrument is None:
                continue
            seen.add(symbol)
            responses = row.get("response")
            if not isinstance(responses, list) or not responses or not isinstance(responses[0], dict):
                result.not_found.add(instrument.key)
                continue
            result.parse(instrument, self._quote, instrument, responses[0].get("meta"))
        result.not_found.update(i.key for s, i in by_symbol.items() if s not in seen)
        return result

    def _quote(self, instrument, meta):
        if not isinstance(meta, dict):
            raise BadResponse("'meta' ausente")
        price = to_decimal(meta.get("regularMarketPrice"), what="preço")
        previous = optional_decimal(meta.get("chartPreviousClose") or meta.get("previousClose"), positive=True)
        change = price - previous if previous else None
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=price,
            currency=str(meta.get("currency") or instrument.currency).upper(),
            market_time=from_epoch(meta.get("regularMarketTime")),
            source=self.name,
            previous_close=previous,
            change=change,
            change_percent=(change / previous * 100) if previous else None,
            volume=optional_int(meta.get("regularMarketVolume")),
            high=optional_decimal(meta.get("regularMarketDayHigh"), positive=True),
            low=optional_decimal(meta.get("regularMarketDayLow"), positive=True),
        )

    def _chart(self, symbol, start, end):
        period1 = int(datetime.combine(start, time.min, tzinfo=UTC).timestamp())
        period2 = int(datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC).timestamp())
        data = self.get_json(
            f"{self.base_url}/v8/finance/chart/{symbol}",
            params={"period1": period1, "period2": period2, "interval": "1d", "events": "div,split"},
            not_found_ok=True,
        )
        if data is None:
            return None
        chart = data.get("chart") if isinstance(data, dict) else None
        if not isinstance(chart, dict):
            raise BadResponse("campo 'chart' ausente")
        results = chart.get("result")
        if not results:
            error = chart.get("error") or {}
            if isinstance(error, dict) and error.get("code") == "Not Found":
                return None
            raise BadResponse("'chart.result' vazio")
        body = results[0]
        meta = body.get("meta") or {}
        try:
            zone = ZoneInfo(meta.get("exchangeTimezoneName") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        stamps = body.get("timestamp") or []
        indicators = body.get("indicators") or {}
        quote = (indicators.get("quote") or [{}])[0] or {}
        adjclose = ((indicators.get("adjclose") or [{}])[0] or {}).get("adjclose") or []
        if not isinstance(stamps, list) or not isinstance(quote, dict):
            raise BadResponse("série do gráfico inválida")
        rows = []
        for index, stamp in enumerate(stamps):
            row = {"t": stamp}
            for field in ("open", "high", "low", "close", "volume"):
                values = quote.get(field) or []
                row[field] = values[index] if index < len(values) else None
            row["adjclose"] = adjclose[index] if index < len(adjclose) else None
            rows.append(row)
        return rows, zone

    def fetch_history(self, instrument, start, end):
        chart = self._chart(yahoo_symbol(instrument), start, end)
        if chart is None:
            return []
        rows, zone = chart
        return bars_from_rows(
            rows,
            start=start,
            end=end,
            day=lambda row: from_epoch(row["t"]).astimezone(zone).date(),
            adjusted="adjclose",
        )

    def fetch_fx(self, base, quote, start, end):
        chart = self._chart(f"{base}{quote}=X", start, end)
        if chart is None:
            return []
        rows, zone = chart
        bars = bars_from_rows(rows, start=start, end=end, day=lambda row: from_epoch(row["t"]).astimezone(zone).date())
        return [FxPoint(date=bar.date, rate=bar.close) for bar in bars]

    def lookup(self, query):
        data = self.get_json(
            f"{self.base_url}/v1/finance/search", params={"q": query, "quotesCount": 10, "newsCount": 0}
        )
        rows = data.get("quotes") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BadResponse("lista 'quotes' ausente")
        found = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("symbol"):
                continue
            symbol = str(row["symbol"]).upper()
            market = EXCHANGE_MARKET.get(str(row.get("exchange") or ""), EU)
            ticker, currency = symbol, {BR: "BRL", US: "USD"}.get(market, "EUR")
            if market == BR:
                ticker = symbol.removesuffix(".SA")
            elif market == GLOBAL:
                ticker, _, currency = symbol.partition("-")
            elif market == US:
                ticker = symbol.replace("-", ".")
            quote_type = str(row.get("quoteType") or "").upper()
            asset_type = TYPE_MAP.get((quote_type, market), "stock_intl" if quote_type == "EQUITY" else "outro")
            if market == BR:
                asset_type = infer_b3_type(ticker, {"ETF": "etf", "MUTUALFUND": "fund"}.get(quote_type, ""))
            found.append(
                LookupResult(
                    ticker=ticker,
                    market=market,
                    name=str(row.get("longname") or row.get("shortname") or ""),
                    asset_type=asset_type,
                    currency=currency or "USD",
                    exchange=str(row.get("exchDisp") or row.get("exchange") or ""),
                    source=self.name,
                )
            )
        return found

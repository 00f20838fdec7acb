"""Alpha Vantage: ``GLOBAL_QUOTE`` (one symbol per call), ``TIME_SERIES_DAILY`` and ``FX_DAILY``.

Answers with HTTP 200 in every case: ``{"Global Quote": {"05. price": "...", ...}}`` (``{}``
for an unknown symbol), ``{"Error Message": ...}`` for a bad call and ``{"Note"|"Information":
...}`` when the key's quota is used up (mapped to a 429-like error). B3 symbols end in ``.SAO``.
"""

from datetime import date, datetime, time

from .base import (
    BR,
    EU,
    FX,
    HISTORY,
    NEW_YORK,
    QUOTE,
    SAO_PAULO,
    US,
    BadResponse,
    BatchResult,
    FxPoint,
    Provider,
    ProviderRateLimited,
    QuoteData,
    optional_decimal,
    optional_int,
    to_decimal,
)
from .history import bars_from_rows

CLOSE_TIME = {BR: (SAO_PAULO, time(18, 0)), US: (NEW_YORK, time(16, 0))}


def av_symbol(instrument):
    return f"{instrument.ticker}.SAO" if instrument.market == BR else instrument.ticker


class AlphaVantageProvider(Provider):
    name = "alphavantage"
    capabilities = frozenset({QUOTE, HISTORY, FX})
    markets = frozenset({US, EU, BR})
    requires_key = True

    def _query(self, **params):
        params["apikey"] = self.api_key
        data = self.get_json(f"{self.base_url}/query", params=params)
        if not isinstance(data, dict):
            raise BadResponse("resposta não é um objeto")
        for note in ("Note", "Information"):
            if note in data:
                raise ProviderRateLimited(f"cota esgotada: {str(data[note])[:120]}")
        return data

    def fetch_quotes(self, instruments):
        result = BatchResult()
        for instrument in instruments:
            data = self._query(function="GLOBAL_QUOTE", symbol=av_symbol(instrument))
            if "Error Message" in data:
                result.not_found.add(instrument.key)
                continue
            row = data.get("Global Quote")
            if not isinstance(row, dict):
                raise BadResponse("'Global Quote' ausente")
            if not row:
                result.not_found.add(instrument.key)
                continue
            result.parse(instrument, self._quote, instrument, row)
        return result

    def _quote(self, instrument, row):
        try:
            trading_day = date.fromisoformat(str(row.get("07. latest trading day")))
        except ValueError as exc:
            raise BadResponse("'latest trading day' inválido") from exc
        zone, close = CLOSE_TIME.get(instrument.market, (NEW_YORK, time(16, 0)))
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=to_decimal(row.get("05. price"), what="preço"),
            currency=instrument.currency,
            market_time=datetime.combine(trading_day, close, tzinfo=zone),
            source=self.name,
            previous_close=optional_decimal(row.get("08. previous close"), positive=True),
            change=optional_decimal(row.get("09. change")),
            change_percent=optional_decimal(row.get("10. change percent")),
            volume=optional_int(row.get("06. volume")),
            open=optional_decimal(row.get("02. open"), positive=True),
            high=optional_decimal(row.get("03. high"), positive=True),
            low=optional_decimal(row.get("04. low"), positive=True),
        )

    def fetch_history(self, instrument, start, end):
        size = "compact" if (end - start).days <= 140 else "full"
        data = self._query(function="TIME_SERIES_DAILY", symbol=av_symbol(instrument), outputsize=size)
        if "Error Message" in data:
            return []
        return self._series(data, "Time Series (Daily)", start, end)

    def _series(self, data, key, start, end):
        series = data.get(key)
        if not isinstance(series, dict):
            raise BadResponse(f"{key!r} ausente")
        rows = []
        for day, values in series.items():
            if not isinstance(values, dict):
                raise BadResponse("linha da série inválida")
            rows.append({"day": day, **values})
        return bars_from_rows(
            rows,
            start=start,
            end=end,
            day=_iso_day,
            open="1. open",
            high="2. high",
            low="3. low",
            close="4. close",
            volume="5. volume",
        )

    def fetch_fx(self, base, quote, start, end):
        data = self._query(function="FX_DAILY", from_symbol=base, to_symbol=quote, outputsize="compact")
        if "Error Message" in data:
            return []
        return [
            FxPoint(date=bar.date, rate=bar.close) for bar in self._series(data, "Time Series FX (Daily)", start, end)
        ]


def _iso_day(row):
    try:
        return date.fromisoformat(str(row["day"]))
    except ValueError as exc:
        raise BadResponse("data inválida na série") from exc

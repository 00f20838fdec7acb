"""Finnhub: ``/quote?symbol=`` (one symbol per call), ``/stock/candle`` and ``/search``.

``/quote`` answers ``{"c", "d", "dp", "h", "l", "o", "pc", "t"}``; an unknown symbol comes
back as all zeros (``"c": 0``, ``"t": 0``), which is "not found", never a price of zero.
Candles: ``{"s": "ok"|"no_data", "t": [...], "o", "h", "l", "c", "v"}``. 429 when over quota.
"""

from datetime import UTC, datetime, time, timedelta

from .base import (
    ASIA,
    EU,
    HISTORY,
    LOOKUP,
    NEW_YORK,
    QUOTE,
    US,
    BadResponse,
    BatchResult,
    LookupResult,
    Provider,
    QuoteData,
    from_epoch,
    optional_decimal,
    to_decimal,
)
from .history import bars_from_rows

TYPE_MAP = {"COMMON STOCK": "stock", "ETP": "etf_intl", "REIT": "reit", "ADR": "stock_intl"}


class FinnhubProvider(Provider):
    name = "finnhub"
    capabilities = frozenset({QUOTE, HISTORY, LOOKUP})
    markets = frozenset({US, EU, ASIA})
    requires_key = True

    def _get(self, path, **params):
        data = self.get_json(f"{self.base_url}{path}", params=params, headers={"X-Finnhub-Token": self.api_key})
        if not isinstance(data, dict):
            raise BadResponse("resposta não é um objeto")
        if data.get("error"):
            raise BadResponse(f"erro do provedor: {str(data['error'])[:120]}")
        return data

    def fetch_quotes(self, instruments):
        result = BatchResult()
        for instrument in instruments:
            data = self._get("/quote", symbol=instrument.ticker)
            if not data.get("t") and not data.get("c"):
                result.not_found.add(instrument.key)
                continue
            result.parse(instrument, self._quote, instrument, data)
        return result

    def _quote(self, instrument, data):
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=to_decimal(data.get("c"), what="preço"),
            currency=instrument.currency,
            market_time=from_epoch(data.get("t")),
            source=self.name,
            previous_close=optional_decimal(data.get("pc"), positive=True),
            change=optional_decimal(data.get("d")),
            change_percent=optional_decimal(data.get("dp")),
            open=optional_decimal(data.get("o"), positive=True),
            high=optional_decimal(data.get("h"), positive=True),
            low=optional_decimal(data.get("l"), positive=True),
        )

    def fetch_history(self, instrument, start, end):
        data = self._get(
            "/stock/candle",
            symbol=instrument.ticker,
            resolution="D",
            **{
                "from": int(datetime.combine(start, time.min, tzinfo=UTC).timestamp()),
                "to": int(datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC).timestamp()),
            },
        )
        status = data.get("s")
        if status == "no_data":
            return []
        if status != "ok":
            raise BadResponse(f"status de candles inesperado: {str(status)[:20]!r}")
        stamps = data.get("t")
        if not isinstance(stamps, list):
            raise BadResponse("'t' ausente")
        columns = {name: data.get(name) or [] for name in ("o", "h", "l", "c", "v")}
        rows = [
            {"t": stamp, **{name: (values[i] if i < len(values) else None) for name, values in columns.items()}}
            for i, stamp in enumerate(stamps)
        ]
        return bars_from_rows(
            rows,
            start=start,
            end=end,
            day=lambda row: from_epoch(row["t"]).astimezone(NEW_YORK).date(),
            open="o",
            high="h",
            low="l",
            close="c",
            volume="v",
        )

    def lookup(self, query):
        data = self._get("/search", q=query)
        rows = data.get("result")
        if not isinstance(rows, list):
            raise BadResponse("'result' ausente")
        found = []
        for row in rows[:10]:
            if not isinstance(row, dict) or not row.get("symbol"):
                continue
            symbol = str(row["symbol"]).upper()
            if "." in symbol and not symbol.endswith((".A", ".B")):
                continue  # other exchanges: Finnhub's free tier quotes US listings only
            found.append(
                LookupResult(
                    ticker=symbol,
                    market=US,
                    name=str(row.get("description") or ""),
                    asset_type=TYPE_MAP.get(str(row.get("type") or "").upper(), "stock"),
                    currency="USD",
                    exchange="US",
                    source=self.name,
                )
            )
        return found

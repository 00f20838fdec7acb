"""HG Brasil Finance: ``/finance/stock_price?key=&symbol=A,B`` (B3 only, quotes only).

Answers ``{"by": "symbol", "valid_key": true, "results": {"PETR4": {"symbol", "name",
"currency", "price", "change_percent", "updated_at": "AAAA-MM-DD HH:MM:SS" (São Paulo)}}}``;
an unknown symbol's entry is ``{"error": true, "message": ...}``.
"""

from datetime import datetime
from decimal import Decimal

from .base import (
    BR,
    QUOTE,
    SAO_PAULO,
    BadResponse,
    BatchResult,
    Provider,
    ProviderAuthError,
    QuoteData,
    optional_decimal,
    to_decimal,
)

EIGHT_PLACES = Decimal("0.00000001")


class HGBrasilProvider(Provider):
    name = "hgbrasil"
    capabilities = frozenset({QUOTE})
    markets = frozenset({BR})
    requires_key = True

    def fetch_quotes(self, instruments):
        result = BatchResult()
        by_symbol = {i.ticker.upper(): i for i in instruments}
        data = self.get_json(
            f"{self.base_url}/finance/stock_price", params={"key": self.api_key, "symbol": ",".join(by_symbol)}
        )
        if not isinstance(data, dict):
            raise BadResponse("resposta não é um objeto")
        if data.get("valid_key") is False:
            raise ProviderAuthError("chave HG Brasil inválida")
        rows = data.get("results")
        if not isinstance(rows, dict):
            raise BadResponse("'results' ausente")
        rows = {str(k).upper(): v for k, v in rows.items()}
        for symbol, instrument in by_symbol.items():
            row = rows.get(symbol)
            if not isinstance(row, dict) or row.get("error"):
                result.not_found.add(instrument.key)
                continue
            result.parse(instrument, self._quote, instrument, row)
        return result

    def _quote(self, instrument, row):
        price = to_decimal(row.get("price"), what="preço")
        change_percent = optional_decimal(row.get("change_percent"))
        try:
            updated = datetime.strptime(str(row.get("updated_at")), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SAO_PAULO)
        except ValueError as exc:
            raise BadResponse("'updated_at' inválido") from exc
        # HG gives only the % change; the previous close follows from it (8 places, as stored).
        previous = None
        if change_percent is not None and change_percent > -100:
            previous = (price / (1 + change_percent / 100)).quantize(EIGHT_PLACES)
        return QuoteData(
            ticker=instrument.ticker,
            market=instrument.market,
            price=price,
            currency=str(row.get("currency") or "BRL").upper(),
            market_time=updated,
            source=self.name,
            previous_close=previous,
            change=(price - previous) if previous else None,
            change_percent=change_percent,
        )

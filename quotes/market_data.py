"""The quotes app as portfolio's market-data source (:class:`portfolio.market_data.MarketData`).

Registered in ``QuotesConfig.ready``. Portfolio reads quotes, FX, closes, indicator series and the
data-version stamp only through ``portfolio.market_data``; the SQL on this app's tables lives here.
"""

from datetime import date

import numpy as np
from django.db import connection

from exitus.db import pg_binary_rows
from portfolio.market_data import FxQuote

from . import selectors
from .models import FxRate, IndicatorRate, PriceBar, Quote
from .services.splits import history_readjust

EPOCH = date(1970, 1, 1)

VERSION_SQL = (
    "SELECT (SELECT MAX(id) FROM quotes_pricebar), (SELECT MAX(id) FROM quotes_fxrate),"
    " (SELECT MAX(id) FROM quotes_indicatorrate), (SELECT MAX(fetched_at) FROM quotes_quote)"
)
assert [m._meta.db_table for m in (PriceBar, FxRate, IndicatorRate, Quote)] == [
    "quotes_pricebar",
    "quotes_fxrate",
    "quotes_indicatorrate",
    "quotes_quote",
]
# One row per asset: its bars' day numbers and closes as two arrays (read in binary by psycopg).
CLOSES_SQL = """
SELECT a.id, x.d, x.c FROM unnest(%(ids)s::int[]) AS a(id) CROSS JOIN LATERAL (
    SELECT array_agg(date - DATE '1970-01-01') AS d, array_agg(close::float8) AS c
    FROM quotes_pricebar WHERE asset_id = a.id AND date >= %(start)s AND date <= %(end)s
) AS x WHERE x.d IS NOT NULL
"""


class QuotesMarketData:
    """Reads of the stored market data; no provider is ever called from here."""

    def latest_quotes(self, *, asset_ids):
        return selectors.latest_quotes(asset_ids=asset_ids)

    def fx_rate_on(self, *, currency, on=None, to="BRL"):
        return selectors.fx_rate_on(currency=currency, on=on, to=to)

    def fx_quote_on(self, *, currency, on, to="BRL"):
        row = selectors.fx_rate_row_on(pair=f"{currency}-{to}", on=on)
        return FxQuote(*row) if row is not None else None

    def events_changed(self, *, asset_ids):
        history_readjust(asset_ids=asset_ids)

    def latest_fx_rates(self, *, currencies, to="BRL"):
        return selectors.latest_fx_rates(currencies=currencies, to=to)

    def fx_series(self, *, currency, start, end, to="BRL"):
        rows = FxRate.objects.filter(pair=f"{currency}-{to}", date__gte=start, date__lte=end).order_by("date")
        return list(rows.values_list("date", "rate"))

    def close_series(self, *, asset_ids, start, end):
        if not asset_ids:
            return {}
        if connection.vendor == "postgresql":
            rows = pg_binary_rows(CLOSES_SQL, {"ids": [int(a) for a in asset_ids], "start": start, "end": end})
            out = {}
            for asset_id, days, closes in rows:
                days, closes = np.asarray(days, dtype="int64"), np.asarray(closes, dtype=float)
                if len(days) > 1 and np.any(np.diff(days) < 0):
                    order = np.argsort(days, kind="stable")
                    days, closes = days[order], closes[order]
                out[asset_id] = (days, closes)
            return out
        out: dict = {}
        rows = (
            PriceBar.objects.filter(asset_id__in=list(asset_ids), date__gte=start, date__lte=end)
            .order_by("asset_id", "date")
            .values_list("asset_id", "date", "close")
        )
        for asset_id, day, close in rows:
            days, closes = out.setdefault(asset_id, ([], []))
            days.append((day - EPOCH).days)
            closes.append(float(close))
        return {a: (np.asarray(d, dtype="int64"), np.asarray(c, dtype=float)) for a, (d, c) in out.items()}

    def indicator_series(self, *, series, start=None, end=None):
        rows = IndicatorRate.objects.filter(series=series)
        if start is not None:
            rows = rows.filter(date__gte=start)
        if end is not None:
            rows = rows.filter(date__lte=end)
        return list(rows.values_list("date", "value"))

    def version(self):
        with connection.cursor() as cursor:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
        return "-".join(str(v) for v in row).replace(" ", "_")

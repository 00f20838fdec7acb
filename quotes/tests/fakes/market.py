"""A loopback fake of every quote provider, answering in each provider's real response format.

One threaded ``http.server`` on ``127.0.0.1:0`` serves every provider under its own prefix
(``/brapi``, ``/yahoo``, ``/alphavantage``, ``/finnhub``, ``/twelvedata``, ``/hgbrasil``,
``/bcb``, ``/bcb-olinda``). Bodies are built from the recorded samples in
``fixtures/quotes/responses/`` with the prices of :attr:`FakeMarket.prices`, so the adapters
parse exactly what the real services send. Faults per provider: latency, HTTP status (500,
429, 401...), garbage (HTML), an empty body, a custom body, or a delay longer than the
client's timeout. Used by the tests and by ``bench/bench_quotes.py``; never leaves loopback.
"""

import copy
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "quotes" / "responses"
PROVIDERS = ("brapi", "yahoo", "alphavantage", "finnhub", "twelvedata", "hgbrasil", "bcb")
SGS_SERIES = {"12": "0.055131", "11": "0.055131", "432": "15.00", "433": "0.26"}


@lru_cache(maxsize=64)
def _sample_text(name):
    return (SAMPLES / f"{name}.json").read_text(encoding="utf-8")


def sample(name):
    """A fresh copy of a recorded provider response."""
    return json.loads(_sample_text(name))


@dataclass
class Fault:
    status: int | None = None
    delay: float = 0.0
    garbage: bool = False
    empty: bool = False
    body: object = None
    times: int | None = None  # affect only the next N requests
    headers: dict | None = None  # e.g. {"Retry-After": "30"} with a 429


def _num(value):
    return float(value) if isinstance(value, Decimal) else value


class FakeMarket:
    """``with FakeMarket() as market:`` → ``market.provider_settings()`` for ``settings.QUOTES_PROVIDERS``."""

    def __init__(self, prices=None, *, latency=0.0):
        self.prices = dict(prices or {})  # symbol (our ticker) -> Decimal
        self.previous = {}  # symbol -> previous close (default: price / 1.01)
        self.fx = {"USD-BRL": Decimal("5.40"), "EUR-BRL": Decimal("6.25")}
        self.latency = latency
        self.faults = {}
        self.calls = Counter()
        self.paths = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- lifecycle ------------------------------------------------------------------

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        market = self

        class Handler(FakeHandler):
            pass

        Handler.market = market
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-market", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, provider):
        return f"http://127.0.0.1:{self.port}/{provider}"

    def provider_settings(self, *, rate_limits=None, batch_sizes=None, timeout=2.0, keys=True):
        """A full ``QUOTES_PROVIDERS`` pointing at this server (no rate limits unless given)."""
        rate_limits, batch_sizes = rate_limits or {}, batch_sizes or {}
        defaults = {"brapi": 10, "yahoo": 20, "alphavantage": 1, "finnhub": 1, "twelvedata": 8, "hgbrasil": 5, "bcb": 1}
        config = {
            name: {
                "base_url": self.url(name),
                "api_key": "test-key" if keys else "",
                "timeout": timeout,
                "rate_limit": rate_limits.get(name, ""),
                "batch_size": batch_sizes.get(name, defaults[name]),
            }
            for name in PROVIDERS
        }
        config["bcb"]["olinda_url"] = self.url("bcb-olinda")
        config["offline"] = {"base_url": "", "api_key": "", "timeout": 0, "rate_limit": "", "batch_size": 500}
        return config

    # -- control --------------------------------------------------------------------

    def fault(self, provider, **kwargs):
        self.faults[provider] = Fault(**kwargs)

    def clear(self, provider=None):
        if provider is None:
            self.faults.clear()
        else:
            self.faults.pop(provider, None)

    def count(self, provider):
        with self._lock:
            return self.calls[provider]

    def reset_counts(self):
        with self._lock:
            self.calls.clear()
            self.paths.clear()

    def _take_fault(self, provider):
        with self._lock:
            fault = self.faults.get(provider)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[provider]
            return fault

    def price(self, symbol):
        return self.prices.get(symbol)

    def prev(self, symbol):
        price = self.prices[symbol]
        return self.previous.get(symbol, (price / Decimal("1.01")).quantize(Decimal("0.01")))

    def closes(self, symbol, start, end, *, weekdays=True):
        """Deterministic daily closes ending at the current price (small wiggles, no jumps)."""
        base = self.prices.get(symbol) or self.fx.get(symbol)
        if base is None:
            return []
        days, day = [], start
        while day <= end:
            if not weekdays or day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        out = []
        for index, day in enumerate(days):
            wiggle = Decimal(1) + Decimal("0.002") * Decimal((day.toordinal() % 7) - 3)
            value = base if index == len(days) - 1 else (base * wiggle).quantize(Decimal("0.0001"))
            out.append((day, value))
        return out


class FakeHandler(BaseHTTPRequestHandler):
    market: FakeMarket = None
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        split = urlsplit(self.path)
        parts = split.path.strip("/").split("/", 1)
        provider, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        market = self.market
        key = "bcb" if provider == "bcb-olinda" else provider
        with market._lock:
            market.calls[key] += 1
            market.paths.append((key, split.path))
        if market.latency:
            time.sleep(market.latency)
        fault = market._take_fault(key)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.garbage:
                return self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            if fault.empty:
                return self._send(200, b"", "application/json")
            if fault.body is not None:
                return self._json(fault.status or 200, fault.body)
            if fault.status:
                body = {"error": True, "message": f"fake {fault.status}"}
                return self._json(fault.status, body, headers=fault.headers)
        handler = getattr(self, f"_{provider.replace('-', '_')}", None)
        if handler is None:
            return self._json(404, {"error": "unknown provider"})
        try:
            status, body = handler(rest, query, split)
        except KeyError as exc:
            status, body = 400, {"error": True, "message": f"missing {exc}"}
        return self._json(status, body)

    # -- transport --------------------------------------------------------------------

    def _send(self, status, payload, content_type, headers=None):
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def _json(self, status, body, headers=None):
        return self._send(status, json.dumps(body, default=_num).encode(), "application/json", headers)

    # -- brapi -------------------------------------------------------------------------

    def _brapi(self, rest, query, split):
        m = self.market
        if rest == "quote/list":
            found = [
                row
                for row in sample("brapi_list")["stocks"]
                if query.get("search", "").upper() in row["stock"] or query.get("search", "").upper() in row["name"]
            ]
            return 200, {**sample("brapi_list"), "stocks": found}
        if rest == "v2/crypto":
            template = sample("brapi_crypto")["coins"][0]
            coins = []
            for coin in query["coin"].split(","):
                if m.price(coin) is None:
                    return 404, sample("brapi_not_found") | {"message": f"Não encontramos a moeda {coin}"}
                coins.append(
                    template
                    | {
                        "coin": coin,
                        "currency": query.get("currency", "BRL"),
                        "regularMarketPrice": m.price(coin),
                        "regularMarketTime": int(time.time()),
                    }
                )
            return 200, {"coins": coins}
        symbols = unquote(rest.removeprefix("quote/")).split(",")
        if "range" in query:
            symbol = symbols[0]
            if m.price(symbol) is None:
                return 404, sample("brapi_not_found")
            days = {"5d": 7, "1mo": 31, "3mo": 93, "6mo": 186, "1y": 366, "2y": 731, "5y": 1827}.get(
                query["range"], 3650
            )
            today = datetime.now(UTC).date()
            history = [
                {
                    "date": int(datetime(d.year, d.month, d.day, 13, tzinfo=UTC).timestamp()),
                    "open": c,
                    "high": c,
                    "low": c,
                    "close": c,
                    "volume": 1000,
                    "adjustedClose": c,
                }
                for d, c in m.closes(symbol, today - timedelta(days=days), today)
            ]
            row = copy.deepcopy(sample("brapi_history")["results"][0]) | {
                "symbol": symbol,
                "historicalDataPrice": history,
            }
            return 200, {"results": [row], "requestedAt": datetime.now(UTC).isoformat(), "took": "1ms"}
        if any(m.price(s) is None for s in symbols):
            unknown = next(s for s in symbols if m.price(s) is None)
            return 404, {"error": True, "message": f"Não encontramos a ação {unknown}"}
        template = sample("brapi_quote")["results"][0]
        results = []
        for symbol in symbols:
            price, previous = m.price(symbol), m.prev(symbol)
            results.append(
                template
                | {
                    "symbol": symbol,
                    "regularMarketPrice": price,
                    "regularMarketPreviousClose": previous,
                    "regularMarketChange": price - previous,
                    "regularMarketChangePercent": ((price - previous) / previous * 100).quantize(Decimal("0.0001")),
                    "regularMarketTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                }
            )
        return 200, {"results": results, "requestedAt": datetime.now(UTC).isoformat(), "took": "0ms"}

    # -- Yahoo -------------------------------------------------------------------------

    @staticmethod
    def _from_yahoo(symbol):
        symbol = symbol.upper()
        if symbol.endswith(".SA"):
            return symbol[:-3]
        if "-" in symbol and symbol.rsplit("-", 1)[1] in ("USD", "BRL", "EUR"):
            return symbol.rsplit("-", 1)[0]
        return symbol.replace("-", ".")

    def _yahoo(self, rest, query, split):
        m = self.market
        if rest == "v1/finance/search":
            return 200, sample("yahoo_search")
        if rest == "v7/finance/spark":
            template = sample("yahoo_spark")["spark"]["result"][0]
            results = []
            for symbol in query["symbols"].split(","):
                ticker = self._from_yahoo(symbol)
                if m.price(ticker) is None:
                    continue
                row = copy.deepcopy(template)
                row["symbol"] = symbol
                meta = row["response"][0]["meta"]
                meta.update(
                    symbol=symbol,
                    regularMarketPrice=m.price(ticker),
                    chartPreviousClose=m.prev(ticker),
                    regularMarketTime=int(time.time()),
                    currency="BRL" if symbol.endswith(".SA") else symbol.rsplit("-", 1)[1] if "-" in symbol else "USD",
                )
                results.append(row)
            if not results:
                return 404, {"spark": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}}
            return 200, {"spark": {"result": results, "error": None}}
        if rest.startswith("v8/finance/chart/"):
            symbol = unquote(rest.rsplit("/", 1)[1])
            if symbol.endswith("=X"):
                pair = f"{symbol[:3]}-{symbol[3:6]}"
                key = pair if pair in m.fx else None
            else:
                key = self._from_yahoo(symbol) if m.price(self._from_yahoo(symbol)) is not None else None
            if key is None:
                return 404, sample("yahoo_not_found")
            start = datetime.fromtimestamp(int(query["period1"]), tz=UTC).date()
            end = datetime.fromtimestamp(int(query["period2"]), tz=UTC).date() - timedelta(days=1)
            closes = m.closes(key, start, end)
            body = copy.deepcopy(sample("yahoo_chart"))
            result = body["chart"]["result"][0]
            result["meta"].update(symbol=symbol, exchangeTimezoneName="UTC")
            result["timestamp"] = [
                int(datetime(d.year, d.month, d.day, 14, tzinfo=UTC).timestamp()) for d, _c in closes
            ]
            values = [c for _d, c in closes]
            result["indicators"] = {
                "quote": [
                    {"open": values, "high": values, "low": values, "close": values, "volume": [100] * len(values)}
                ],
                "adjclose": [{"adjclose": values}],
            }
            return 200, body
        return 404, sample("yahoo_not_found")

    # -- Alpha Vantage ------------------------------------------------------------------

    def _alphavantage(self, rest, query, split):
        m = self.market
        if not query.get("apikey"):
            return 200, {"Error Message": "the parameter apikey is invalid or missing."}
        function = query.get("function")
        if function == "GLOBAL_QUOTE":
            ticker = query["symbol"].removesuffix(".SAO")
            if m.price(ticker) is None:
                return 200, {"Global Quote": {}}
            row = sample("alphavantage_global_quote")["Global Quote"] | {
                "01. symbol": query["symbol"],
                "05. price": f"{m.price(ticker):.4f}",
                "08. previous close": f"{m.prev(ticker):.4f}",
                "07. latest trading day": datetime.now(UTC).date().isoformat(),
            }
            return 200, {"Global Quote": row}
        if function in ("TIME_SERIES_DAILY", "FX_DAILY"):
            key = (
                query["symbol"].removesuffix(".SAO")
                if function == "TIME_SERIES_DAILY"
                else (f"{query['from_symbol']}-{query['to_symbol']}")
            )
            today = datetime.now(UTC).date()
            closes = m.closes(key, today - timedelta(days=150), today)
            if not closes:
                return 200, {"Error Message": "Invalid API call."}
            name = "Time Series (Daily)" if function == "TIME_SERIES_DAILY" else "Time Series FX (Daily)"
            series = {
                d.isoformat(): {
                    "1. open": f"{c}",
                    "2. high": f"{c}",
                    "3. low": f"{c}",
                    "4. close": f"{c}",
                    "5. volume": "100",
                }
                for d, c in closes
            }
            return 200, {"Meta Data": {"2. Symbol": key}, name: series}
        return 200, {"Error Message": "Invalid API call."}

    # -- Finnhub -----------------------------------------------------------------------

    def _finnhub(self, rest, query, split):
        m = self.market
        if not self.headers.get("X-Finnhub-Token"):
            return 401, {"error": "Invalid API key"}
        if rest == "quote":
            ticker = query["symbol"]
            if m.price(ticker) is None:
                return 200, sample("finnhub_quote_unknown")
            price, previous = m.price(ticker), m.prev(ticker)
            return 200, sample("finnhub_quote") | {
                "c": price,
                "pc": previous,
                "d": price - previous,
                "t": int(time.time()),
            }
        if rest == "stock/candle":
            start = datetime.fromtimestamp(int(query["from"]), tz=UTC).date()
            end = datetime.fromtimestamp(int(query["to"]), tz=UTC).date() - timedelta(days=1)
            closes = m.closes(query["symbol"], start, end)
            if not closes:
                return 200, {"s": "no_data"}
            values = [c for _d, c in closes]
            stamps = [int(datetime(d.year, d.month, d.day, 17, tzinfo=UTC).timestamp()) for d, _c in closes]
            return 200, {
                "c": values,
                "h": values,
                "l": values,
                "o": values,
                "v": [100] * len(values),
                "t": stamps,
                "s": "ok",
            }
        if rest == "search":
            return 200, sample("finnhub_search")
        return 404, {"error": "not found"}

    # -- Twelve Data ----------------------------------------------------------------------

    def _twelvedata(self, rest, query, split):
        m = self.market
        if rest == "quote":
            symbols = query["symbol"].split(",")
            template = sample("twelvedata_quote")
            rows = {}
            for symbol in symbols:
                ticker = symbol.split("/")[0]
                if m.price(ticker) is None:
                    rows[symbol] = sample("twelvedata_quote_batch")["XXXX"] | {"meta": {"symbol": symbol}}
                    continue
                rows[symbol] = template | {
                    "symbol": symbol,
                    "close": f"{m.price(ticker):.5f}",
                    "previous_close": f"{m.prev(ticker):.5f}",
                    "timestamp": int(time.time()),
                    "currency": "BRL" if query.get("mic_code") == "BVMF" else "USD",
                }
            if len(symbols) == 1:
                row = rows[symbols[0]]
                return (404 if row.get("status") == "error" else 200), row
            return 200, rows
        if rest == "time_series":
            symbol = query["symbol"]
            key = (
                symbol.replace("/", "-") if "/" in symbol and symbol.replace("/", "-") in m.fx else symbol.split("/")[0]
            )
            closes = m.closes(key, date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"]))
            if not closes:
                return 200, sample("twelvedata_quote_batch")["XXXX"]
            values = [
                {
                    "datetime": d.isoformat(),
                    "open": f"{c}",
                    "high": f"{c}",
                    "low": f"{c}",
                    "close": f"{c}",
                    "volume": "100",
                }
                for d, c in reversed(closes)
            ]
            return 200, sample("twelvedata_time_series") | {"values": values}
        if rest == "symbol_search":
            return 200, sample("twelvedata_symbol_search")
        return 404, sample("twelvedata_quote_batch")["XXXX"]

    # -- HG Brasil ------------------------------------------------------------------------

    def _hgbrasil(self, rest, query, split):
        m = self.market
        template = sample("hgbrasil_stock_price")
        results = {}
        for symbol in query["symbol"].split(","):
            if m.price(symbol) is None:
                results[symbol] = template["results"]["XXXX3"]
                continue
            results[symbol] = template["results"]["PETR4"] | {
                "symbol": symbol,
                "price": m.price(symbol),
                "change_percent": 1.0,
                "updated_at": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            }
        return 200, template | {"results": results, "valid_key": bool(query.get("key"))}

    # -- Banco Central ----------------------------------------------------------------------

    def _bcb(self, rest, query, split):
        match = re.match(r"dados/serie/bcdata\.sgs\.(\d+)/dados", rest)
        if not match or match.group(1) not in SGS_SERIES:
            return 404, {"error": "Série não encontrada"}
        start = datetime.strptime(query["dataInicial"], "%d/%m/%Y").date()
        end = datetime.strptime(query["dataFinal"], "%d/%m/%Y").date()
        value, day, out = SGS_SERIES[match.group(1)], start, []
        while day <= end:
            if day.weekday() < 5:
                out.append({"data": day.strftime("%d/%m/%Y"), "valor": value})
            day += timedelta(days=1)
        return 200, out

    def _bcb_olinda(self, rest, query, split):
        raw = unquote(split.query)
        dates = re.findall(r"@data(?:Inicial|FinalCotacao)='(\d{2})-(\d{2})-(\d{4})'", raw)
        currency = re.search(r"@moeda='([A-Z]{3})'", raw)
        base = currency.group(1) if currency else "USD"
        pair = f"{base}-BRL"
        if len(dates) != 2 or pair not in self.market.fx:
            return 200, {"value": []}
        (m1, d1, y1), (m2, d2, y2) = dates
        closes = self.market.closes(pair, date(int(y1), int(m1), int(d1)), date(int(y2), int(m2), int(d2)))
        rows = []
        for day, rate in closes:
            row = {"cotacaoCompra": rate, "cotacaoVenda": rate, "dataHoraCotacao": f"{day.isoformat()} 13:04:25.128"}
            if currency:
                row.update(paridadeCompra=1, paridadeVenda=1, tipoBoletim="Fechamento PTAX")
            rows.append(row)
        return 200, {"@odata.context": "fake", "value": rows}


def _serve_forever(prices, latency, ready):
    market = FakeMarket(prices, latency=latency).start()
    ready.put(market.port)
    threading.Event().wait()


class FakeMarketProcess:
    """The fake market in its own process (benchmarks: the client's threads do not share its GIL).

    Exposes ``url`` / ``provider_settings`` like :class:`FakeMarket`; faults and counters stay
    with the in-process variant.
    """

    def __init__(self, prices, *, latency=0.0):
        self.prices, self.latency = prices, latency
        self.port = None
        self._process = None

    def __enter__(self):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        ready = context.Queue()
        self._process = context.Process(target=_serve_forever, args=(self.prices, self.latency, ready), daemon=True)
        self._process.start()
        self.port = ready.get(timeout=10)
        return self

    def __exit__(self, *exc):
        self._process.terminate()
        self._process.join(timeout=5)

    url = FakeMarket.url
    provider_settings = FakeMarket.provider_settings

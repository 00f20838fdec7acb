"""The provider chain: ask providers in order per market, in batches, in parallel, with fallback.

For each market the chain lists providers (``settings.QUOTES_CHAINS``; the offline provider
alone unless ``QUOTES_MODE=live``). Quotes go level by level: every instrument still without a
price is split into the provider's batch size and the batches run on a bounded thread pool;
what a provider did not answer (unknown symbol, malformed entry, timeout, 5xx, 429, circuit
open, local rate limit) falls to the next provider. Every call — or skipped call — becomes an
:class:`AttemptRecord` with the reason, saved by the services into ``ProviderAttempt``.

Threads only do HTTP: no database access happens off the calling thread.
"""

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from . import circuit, ratelimit
from .choices import Operation, Outcome
from .providers import PROVIDER_CLASSES
from .providers.base import FX, HISTORY, LOOKUP, QUOTE, SERIES, ProviderError, ProviderRateLimited, chunked

logger = logging.getLogger("quotes.chain")


@dataclass
class AttemptRecord:
    provider: str
    operation: str
    market: str
    symbols: list
    outcome: str
    created_at: datetime
    ok_count: int = 0
    http_status: int | None = None
    detail: str = ""
    duration_ms: int = 0

    @property
    def reason(self):
        label = Outcome(self.outcome).label
        return f"{self.provider}: {label}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class QuotesResult:
    quotes: dict = field(default_factory=dict)  # key -> QuoteData
    reasons: dict = field(default_factory=lambda: defaultdict(list))  # key -> why each provider had nothing
    attempts: list = field(default_factory=list)

    def missing(self, instruments):
        return [i for i in instruments if i.key not in self.quotes]


@dataclass
class SeriesAnswer:
    """History, FX or indicator points from the first provider that had them."""

    points: list = field(default_factory=list)
    source: str = ""
    attempts: list = field(default_factory=list)

    @property
    def reasons(self):
        return [a.reason for a in self.attempts if a.outcome != Outcome.OK]


def chain_names(market: str) -> list:
    """Providers asked for ``market`` (or ``FX``/``SERIES``/``LOOKUP``), in order."""
    if settings.QUOTES_MODE != "live":
        return ["offline"]
    return list(settings.QUOTES_CHAINS.get(market, []))


class Chain:
    """One use of the providers: reuses their HTTP connections; close it (``with Chain() as c``)."""

    def __init__(self, *, max_workers=None, disabled=None):
        self._providers = {}
        self.max_workers = max_workers or settings.QUOTES_MAX_WORKERS
        self._executor = None
        if disabled is None:
            from .models import Provider as ProviderRow

            disabled = set(ProviderRow.objects.filter(enabled=False).values_list("name", flat=True))
        self.disabled = set(disabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for provider in self._providers.values():
            provider.close()
        self._providers.clear()

    @property
    def executor(self):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="quotes")
        return self._executor

    def provider(self, name):
        if name not in self._providers:
            cls = PROVIDER_CLASSES.get(name)
            if cls is None:
                logger.error("quotes: provedor desconhecido na cadeia: %s", name)
                return None
            self._providers[name] = cls()
        return self._providers[name]

    # -- one guarded call ----------------------------------------------------------

    def _precheck(self, provider, operation, market, symbols):
        """An attempt record when ``provider`` must be skipped outright, else ``None``."""
        if provider.name in self.disabled:
            return _record(provider.name, operation, market, symbols, Outcome.SKIPPED_DISABLED)
        if not provider.configured:
            return _record(provider.name, operation, market, symbols, Outcome.SKIPPED_NO_KEY, detail="sem chave de API")
        return None

    def _call(self, provider, operation, market, symbols, fn, evaluate=None):
        """Run ``fn()`` behind the circuit breaker and the token bucket; returns ``(value, AttemptRecord)``.

        ``evaluate(value)`` → ``(outcome, ok_count, detail, counts_as_failure)``.
        """
        name = provider.name
        started_at = timezone.now()
        paused = ratelimit.paused_for(name)
        if paused > 0:  # it answered 429: leave it alone for as long as it asked
            detail = f"pausado a pedido do provedor (429): mais {paused:.0f}s"
            return None, _record(name, operation, market, symbols, Outcome.SKIPPED_RATE_LIMIT, detail=detail)
        decision = circuit.allow(name)
        if not decision.allowed:
            detail = "circuito aberto" if decision.state == circuit.OPEN else "teste meio-aberto em andamento"
            return None, _record(name, operation, market, symbols, Outcome.SKIPPED_CIRCUIT, detail=detail)
        reservation = ratelimit.acquire(name, provider.request_cost(len(symbols) or 1))
        if not reservation.allowed:
            if decision.state == circuit.HALF_OPEN:
                circuit.release_trial(name)
            return None, _record(
                name,
                operation,
                market,
                symbols,
                Outcome.SKIPPED_RATE_LIMIT,
                detail=f"próximo token em {reservation.wait:.1f}s",
            )
        started = time.perf_counter()
        try:
            value = fn()
        except ProviderError as exc:
            elapsed = _ms(started)
            detail = str(exc)
            if isinstance(exc, ProviderRateLimited):
                seconds = ratelimit.pause_seconds(name, exc.retry_after)
                ratelimit.pause(name, seconds)
                detail += f" — pausado por {seconds:.0f}s" + (" (Retry-After)" if exc.retry_after is not None else "")
                if decision.state == circuit.HALF_OPEN:
                    circuit.release_trial(name)
            if exc.trips_circuit and circuit.record_failure(name) == circuit.OPEN:
                detail += " — circuito aberto"
            logger.info("cotacoes: %s %s falhou: %s", name, operation, detail)
            return None, _record(
                name,
                operation,
                market,
                symbols,
                exc.outcome,
                http_status=exc.status,
                detail=detail,
                duration_ms=elapsed,
                created_at=started_at,
            )
        except Exception as exc:
            logger.exception("cotacoes: erro inesperado no provedor %s", name)
            circuit.record_failure(name)
            return None, _record(
                name,
                operation,
                market,
                symbols,
                Outcome.BAD_RESPONSE,
                detail=f"erro inesperado: {exc.__class__.__name__}",
                duration_ms=_ms(started),
                created_at=started_at,
            )
        outcome, ok_count, detail, failed = evaluate(value) if evaluate else (Outcome.OK, len(symbols), "", False)
        if failed:
            circuit.record_failure(name)
        else:
            circuit.record_success(name)
        return value, _record(
            name,
            operation,
            market,
            symbols,
            outcome,
            ok_count=ok_count,
            detail=detail,
            duration_ms=_ms(started),
            created_at=started_at,
        )

    # -- quotes --------------------------------------------------------------------

    def quotes(self, instruments) -> QuotesResult:
        result = QuotesResult()
        remaining = defaultdict(dict)  # market -> key -> instrument
        for instrument in instruments:
            remaining[instrument.market][instrument.key] = instrument
        chains = {market: chain_names(market) for market in remaining}
        for level in range(max((len(c) for c in chains.values()), default=0)):
            jobs = {}
            for market, names in chains.items():
                if level >= len(names) or not remaining[market]:
                    continue
                provider = self.provider(names[level])
                if provider is None:
                    continue
                todo = [i for i in remaining[market].values() if provider.supports(QUOTE, instrument=i)]
                symbols = [i.ticker for i in remaining[market].values()]
                skipped = (
                    self._precheck(provider, Operation.QUOTE, market, symbols)
                    if todo
                    else _record(provider.name, Operation.QUOTE, market, symbols, Outcome.SKIPPED_UNSUPPORTED)
                )
                if skipped is not None:
                    result.attempts.append(skipped)
                    for key in remaining[market]:
                        result.reasons[key].append(skipped.reason)
                    continue
                for chunk in chunked(todo, self._batch_size(provider)):
                    jobs[self.executor.submit(self._quote_chunk, provider, market, chunk)] = (market, chunk)
            for future in as_completed(jobs):
                market, chunk = jobs[future]
                batch, attempt = future.result()
                result.attempts.append(attempt)
                if batch is None:
                    for instrument in chunk:
                        result.reasons[instrument.key].append(attempt.reason)
                    continue
                for key, quote in batch.quotes.items():
                    if key in remaining[market]:
                        result.quotes[key] = quote
                        del remaining[market][key]
                for key in batch.not_found:
                    result.reasons[key].append(f"{attempt.provider}: símbolo não encontrado")
                for key, why in batch.invalid.items():
                    result.reasons[key].append(f"{attempt.provider}: resposta inválida ({why})")
                for key, why in batch.rejected.items():
                    result.reasons[key].append(f"{attempt.provider}: {why}")
        return result

    def _batch_size(self, provider):
        size = provider.batch_size
        if provider.cost_per_symbol:
            limit = ratelimit.provider_limit(provider.name)
            if limit is not None:
                size = min(size, max(1, int(limit.capacity)))
        return size

    def _quote_chunk(self, provider, market, chunk):
        def evaluate(batch):
            ok = len(batch.quotes)
            problems = []
            if batch.not_found:
                problems.append("não encontrados: " + ", ".join(sorted(k[0] for k in batch.not_found)))
            if batch.invalid:
                problems.append("inválidos: " + "; ".join(f"{k[0]}: {v}" for k, v in sorted(batch.invalid.items())))
            if batch.rejected:
                problems.append("recusados: " + "; ".join(f"{k[0]}: {v}" for k, v in sorted(batch.rejected.items())))
            detail = " | ".join(problems)[:1000]
            if ok == len(chunk):
                return Outcome.OK, ok, "", False
            if ok:
                return Outcome.PARTIAL, ok, detail, False
            if batch.invalid:
                return Outcome.BAD_RESPONSE, 0, detail, True
            return Outcome.NOT_FOUND, 0, detail, False

        return self._call(
            provider,
            Operation.QUOTE,
            market,
            [i.ticker for i in chunk],
            lambda: provider.fetch_quotes(chunk).keep_currency(chunk),
            evaluate,
        )

    # -- history, FX, series: first provider with data wins --------------------------

    def _first_with_data(self, capability, operation, market, chain_key, symbols, fetch):
        answer = SeriesAnswer()
        for name in chain_names(chain_key):
            provider = self.provider(name)
            if provider is None:
                continue
            if not provider.supports(capability, market=market):
                answer.attempts.append(_record(name, operation, market, symbols, Outcome.SKIPPED_UNSUPPORTED))
                continue
            skipped = self._precheck(provider, operation, market, symbols)
            if skipped is not None:
                answer.attempts.append(skipped)
                continue

            def evaluate(points):
                if points:
                    return Outcome.OK, len(points), f"{len(points)} pontos", False
                return Outcome.NOT_FOUND, 0, "sem dados no período", False

            points, attempt = self._call(provider, operation, market, symbols, lambda p=provider: fetch(p), evaluate)
            answer.attempts.append(attempt)
            if points:
                answer.points, answer.source = points, name
                break
        return answer

    def history(self, instrument, start, end) -> SeriesAnswer:
        return self._first_with_data(
            HISTORY,
            Operation.HISTORY,
            instrument.market,
            instrument.market,
            [instrument.ticker],
            lambda provider: provider.fetch_history(instrument, start, end),
        )

    def histories(self, requests):
        """``[(instrument, start, end)]`` in parallel → yields ``(instrument, SeriesAnswer)`` as they finish."""
        jobs = {self.executor.submit(self.history, i, s, e): i for i, s, e in requests}
        for future in as_completed(jobs):
            yield jobs[future], future.result()

    def fx(self, base, quote, start, end) -> SeriesAnswer:
        return self._first_with_data(
            FX, Operation.FX, "FX", "FX", [f"{base}-{quote}"], lambda p: p.fetch_fx(base, quote, start, end)
        )

    def series(self, series, start, end) -> SeriesAnswer:
        return self._first_with_data(
            SERIES, Operation.SERIES, "SERIES", "SERIES", [series], lambda p: p.fetch_series(series, start, end)
        )

    # -- symbol search ---------------------------------------------------------------

    def lookup(self, query):
        """Ask every lookup provider at once; merge their answers (first in chain order wins a symbol)."""
        names = [n for n in chain_names("LOOKUP") if self.provider(n) is not None]
        attempts, answers = [], {}
        jobs = {}
        for name in names:
            provider = self.provider(name)
            if not provider.supports(LOOKUP):
                continue
            skipped = self._precheck(provider, Operation.LOOKUP, "", [query])
            if skipped is not None:
                attempts.append(skipped)
                continue
            jobs[
                self.executor.submit(
                    self._call,
                    provider,
                    Operation.LOOKUP,
                    "",
                    [query],
                    lambda p=provider: p.lookup(query),
                    _lookup_evaluate,
                )
            ] = name
        for future in as_completed(jobs):
            found, attempt = future.result()
            attempts.append(attempt)
            answers[jobs[future]] = found or []
        merged = {}
        for name in names:
            for item in answers.get(name, []):
                merged.setdefault((item.ticker, item.market), item)
        return list(merged.values()), attempts


def _lookup_evaluate(found):
    if found:
        return Outcome.OK, len(found), f"{len(found)} resultados", False
    return Outcome.NOT_FOUND, 0, "nenhum resultado", False


def _record(provider, operation, market, symbols, outcome, *, created_at=None, **extra):
    return AttemptRecord(
        provider=provider,
        operation=str(operation),
        market=market,
        symbols=list(symbols),
        outcome=str(outcome),
        created_at=created_at or timezone.now(),
        **extra,
    )


def _ms(started):
    return int((time.perf_counter() - started) * 1000)

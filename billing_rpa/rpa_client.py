"""The one HTTP client for the RPA API (see docs/billing_rpa.md for the contract).

Every call has connect/read timeouts from settings. Failures are mapped to:

* :class:`RpaRetryableError` — timeouts, connection errors, 5xx, 429, unparseable
  answers: the same request may succeed later;
* :class:`RpaTerminalError` — 401/403 (wrong token), 404 (unknown carrier or job),
  422/4xx (invalid body): repeating the request will not help.

Messages never contain the request body (it carries the portal password).
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

JOB_STATUSES = ("queued", "running", "completed", "failed")


class RpaError(Exception):
    def __init__(self, message, *, status_code=None):
        super().__init__(message)
        self.status_code = status_code


class RpaRetryableError(RpaError):
    """Transient: try again later (same idempotency key)."""


class RpaTerminalError(RpaError):
    """Permanent for this request."""


class RpaNotFound(RpaTerminalError):
    """404: unknown carrier or job."""


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    status: str
    result: dict | None
    error: str | None
    raw: dict


@dataclass(frozen=True)
class LogEntry:
    seq: int
    timestamp: str
    level: str
    message: str


class RpaClient:
    def __init__(self, *, base_url=None, token=None, connect_timeout=None, read_timeout=None, transport=None):
        self.base_url = (base_url or settings.RPA_API_URL).rstrip("/")
        self.token = settings.RPA_API_TOKEN if token is None else token
        connect = settings.RPA_API_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        read = settings.RPA_API_READ_TIMEOUT if read_timeout is None else read_timeout
        self.timeout = httpx.Timeout(read, connect=connect)
        self._http = httpx.Client(timeout=self.timeout, transport=transport, follow_redirects=False)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- plumbing -----------------------------------------------------------

    def _headers(self):
        if not self.token:
            raise RpaTerminalError("RPA_API_TOKEN não configurado")
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def _request(self, method, path, *, json=None, params=None):
        url = f"{self.base_url}{path}"
        try:
            response = self._http.request(method, url, json=json, params=params, headers=self._headers())
        except httpx.TimeoutException as exc:
            raise RpaRetryableError(f"RPA {method} {path}: tempo esgotado ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise RpaRetryableError(f"RPA {method} {path}: falha de conexão ({exc.__class__.__name__})") from exc
        self._raise_for_status(method, path, response)
        try:
            data = response.json()
        except ValueError as exc:
            raise RpaRetryableError(
                f"RPA {method} {path}: resposta não é JSON", status_code=response.status_code
            ) from exc
        if not isinstance(data, dict):
            raise RpaRetryableError(f"RPA {method} {path}: resposta inesperada", status_code=response.status_code)
        return data

    @staticmethod
    def _raise_for_status(method, path, response):
        code = response.status_code
        if code < 400:
            return
        detail = response.text[:200].replace("\n", " ")
        message = f"RPA {method} {path}: HTTP {code} {detail}".strip()
        if code == 404:
            raise RpaNotFound(message, status_code=code)
        if code in (408, 425, 429) or code >= 500:
            raise RpaRetryableError(message, status_code=code)
        raise RpaTerminalError(message, status_code=code)

    @staticmethod
    def _job_accepted(data, path):
        job_id = data.get("job_id")
        if not job_id or not isinstance(job_id, str | int):
            raise RpaRetryableError(f"RPA POST {path}: resposta sem job_id")
        return str(job_id)

    # --- the contract -------------------------------------------------------

    def health(self) -> dict:
        return self._request("GET", "/health")

    def start_download(self, carrier_code: str, payload: dict) -> str:
        """``POST /executar/{carrier}`` → job id. Same ``idempotency_key`` → same job."""
        path = f"/executar/{carrier_code}"
        return self._job_accepted(self._request("POST", path, json=payload), path)

    def start_sat_upload(self, payload: dict) -> str:
        path = "/executar/sat"
        return self._job_accepted(self._request("POST", path, json=payload), path)

    def job_status(self, job_id: str) -> JobStatus:
        path = f"/jobs/{job_id}/status"
        data = self._request("GET", path)
        status = data.get("status")
        if status not in JOB_STATUSES:
            raise RpaRetryableError(f"RPA GET {path}: status desconhecido {status!r}")
        result = data.get("result")
        if result is not None and not isinstance(result, dict):
            raise RpaRetryableError(f"RPA GET {path}: result inválido")
        error = data.get("error")
        return JobStatus(
            job_id=str(data.get("job_id") or job_id),
            status=status,
            result=result,
            error=None if error is None else str(error),
            raw=data,
        )

    def job_logs(self, job_id: str, after: int = 0) -> list[LogEntry]:
        path = f"/jobs/{job_id}/logs"
        data = self._request("GET", path, params={"after": after})
        entries = []
        for item in data.get("logs") or []:
            try:
                seq = int(item["seq"])
            except (KeyError, TypeError, ValueError):
                continue
            if seq <= after:
                continue
            entries.append(
                LogEntry(
                    seq=seq,
                    timestamp=str(item.get("timestamp") or ""),
                    level=str(item.get("level") or "INFO").upper(),
                    message=str(item.get("message") or ""),
                )
            )
        return sorted(entries, key=lambda e: e.seq)

    def cancel_job(self, job_id: str) -> bool:
        """Best effort, outside the contract: ``POST /jobs/{id}/cancel``. False when unsupported."""
        try:
            self._request("POST", f"/jobs/{job_id}/cancel")
        except RpaNotFound:
            return False
        except RpaTerminalError as exc:
            if exc.status_code == 405:
                return False
            raise
        return True

    def fetch_file(self, url: str, *, max_bytes: int) -> bytes:
        """``GET <url_fatura>``: the invoice bytes, at most ``max_bytes``.

        The bearer token goes only to the RPA API's own origin, never to another host.
        """
        headers = self._headers() if _same_origin(url, self.base_url) else {}
        headers["Accept"] = "application/pdf, */*"
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                self._raise_for_status("GET", urlsplit(url).path, response)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise RpaTerminalError(f"fatura maior que o limite de {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise RpaRetryableError("download da fatura: tempo esgotado") from exc
        except httpx.TransportError as exc:
            raise RpaRetryableError(f"download da fatura: falha de conexão ({exc.__class__.__name__})") from exc


def _same_origin(url_a: str, url_b: str) -> bool:
    a, b = urlsplit(url_a), urlsplit(url_b)
    if not a.scheme:  # relative URL: served by the RPA API itself
        return True
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def resolve_url(url: str, base_url: str) -> str:
    """``url_fatura`` may be relative to the RPA API."""
    if url.startswith(("http://", "https://")):
        return url
    return f"{base_url.rstrip('/')}/{url.lstrip('/')}"


def get_client() -> RpaClient:
    """A client configured from the current settings (callers close it)."""
    return RpaClient()

"""The RPA simulator: ``ThreadingHTTPServer`` serving the contract on loopback.

Jobs advance with wall-clock time (queued → running → completed/failed) and emit log
lines on the way; nothing runs in the background. Faults are switched in
:class:`Faults` (from Python, from ``manage.py rpa_simulator --fault``, or at run time
with ``POST /_sim/faults``).

Usable from tests::

    with RpaSimulator(token="t", timing=Timing(queued_s=0, running_s=0.2)) as sim:
        settings.RPA_API_URL = sim.url
"""

import hashlib
import ipaddress
import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

from .pdf import invoice_pdf

logger = logging.getLogger(__name__)

DEFAULT_CARRIERS = ("VIVO", "OI", "EMBRATEL", "DIGITALNET", "CLARO", "TIM", "ALGAR")
DOWNLOAD_FIELDS = (
    "cnpj",
    "razao",
    "operadora",
    "nome_filtro",
    "unidade",
    "servico",
    "mes_ano",
    "login_portal",
    "senha_portal",
    "cpf",
    "url_portal",
    "configuracao_rpa",
    "idempotency_key",
)
SAT_FIELDS = (
    "cnpj",
    "razao",
    "operadora",
    "nome_filtro",
    "unidade",
    "servico",
    "dados_sat",
    "nome_arquivo",
    "data_vencimento",
    "valor_fatura",
    "url_arquivo",
    "idempotency_key",
)
MONTH_RE = re.compile(r"^(0[1-9]|1[0-2])/\d{4}$")
JOB_PATH = re.compile(r"^/jobs/(?P<job>[\w-]+)/(?P<what>status|logs|cancel)$")
FILE_PATH = re.compile(r"^/files/(?P<job>[\w-]+)\.pdf$")
BUSINESS_ERROR = "NEGOCIO: credenciais recusadas pelo portal da operadora"
SYSTEM_ERROR = "SISTEMA: o portal da operadora não respondeu (erro interno do robô)"


@dataclass
class Faults:
    """What goes wrong. Counters (``http_5xx``, ``system_failures``) count down; -1 means always."""

    slow_ms: int = 0
    http_5xx: int = 0
    unauthorized: bool = False
    business_failure: bool = False
    system_failures: int = 0
    never_finish: bool = False
    non_pdf: bool = False
    garbage: bool = False

    NAMES = {
        "slow": "slow_ms",
        "5xx": "http_5xx",
        "401": "unauthorized",
        "business": "business_failure",
        "system": "system_failures",
        "never-finish": "never_finish",
        "non-pdf": "non_pdf",
        "garbage": "garbage",
    }

    @classmethod
    def from_names(cls, names, *, slow_ms=2000):
        faults = cls()
        for name in names:
            attr = cls.NAMES.get(name)
            if attr is None:
                raise ValueError(f"unknown fault {name!r}; choose from {', '.join(cls.NAMES)}")
            if attr == "slow_ms":
                faults.slow_ms = slow_ms
            elif attr in ("http_5xx", "system_failures"):
                setattr(faults, attr, -1)
            else:
                setattr(faults, attr, True)
        return faults

    def update(self, data: dict):
        for f in fields(self):
            if f.name in data:
                setattr(self, f.name, type(getattr(self, f.name))(data[f.name]))


@dataclass
class Timing:
    queued_s: float = 1.0
    running_s: float = 4.0


@dataclass
class Job:
    job_id: str
    kind: str  # "download" | "sat"
    carrier: str
    payload: dict
    created: float
    outcome: str  # "completed" | "business" | "system" | "never"
    non_pdf: bool = False
    cancelled: bool = False
    sat_check: str | None = None  # None until checked; "" ok; else the error
    pdf: bytes | None = None
    log_script: list = field(default_factory=list)


def _take(counter: int) -> tuple[bool, int]:
    """Consume one unit of a fault counter: (fires?, new value)."""
    if counter < 0:
        return True, counter
    if counter > 0:
        return True, counter - 1
    return False, 0


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RpaSimulator:
    def __init__(
        self,
        *,
        host="127.0.0.1",
        port=0,
        token="dev-rpa-token",  # noqa: S107 - the documented dev token of a loopback simulator
        faults=None,
        timing=None,
        carriers=DEFAULT_CARRIERS,
        verify_sat_file=True,
    ):
        if not _is_loopback(f"http://{host}/"):
            raise ValueError("the RPA simulator only listens on loopback")
        self.token = token
        self.faults = faults or Faults()
        self.timing = timing or Timing()
        self.carriers = {c.upper() for c in carriers}
        self.verify_sat_file = verify_sat_file
        self.jobs: dict[str, Job] = {}
        self.by_key: dict[str, str] = {}
        self.requests: deque[tuple[str, str]] = deque(maxlen=10_000)
        self.lock = threading.RLock()
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.simulator = self
        self._thread = None

    # --- lifecycle ----------------------------------------------------------

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- jobs ---------------------------------------------------------------

    def robot_jobs(self, kind=None) -> list[Job]:
        with self.lock:
            return [job for job in self.jobs.values() if kind is None or job.kind == kind]

    def create_job(self, kind: str, carrier: str, payload: dict) -> Job:
        with self.lock:
            key = str(payload.get("idempotency_key"))
            if key in self.by_key:
                return self.jobs[self.by_key[key]]
            faults = self.faults
            if faults.business_failure:
                outcome = "business"
            else:
                fires, faults.system_failures = _take(faults.system_failures)
                outcome = "system" if fires else ("never" if faults.never_finish else "completed")
            job = Job(
                job_id=uuid.uuid4().hex,
                kind=kind,
                carrier=carrier,
                payload=payload,
                created=time.monotonic(),
                outcome=outcome,
                non_pdf=faults.non_pdf,
            )
            job.log_script = self._log_script(job)
            self.jobs[job.job_id] = job
            self.by_key[key] = job.job_id
            return job

    def _log_script(self, job: Job) -> list[tuple[float, str, str]]:
        q, r = self.timing.queued_s, self.timing.running_s
        p = job.payload
        if job.kind == "download":
            steps = [
                (q, "INFO", f"Robô {job.carrier} iniciado para {p.get('razao')} ({p.get('mes_ano')})"),
                (q + r * 0.2, "INFO", "Abrindo o portal da operadora"),
                (q + r * 0.4, "INFO", f"Login com o usuário {p.get('login_portal') or '-'}"),
                (q + r * 0.6, "INFO", "Localizando a fatura do mês"),
            ]
        else:
            steps = [
                (q, "INFO", f"Robô SAT iniciado para {p.get('razao')}"),
                (q + r * 0.3, "INFO", "Baixando o arquivo da fatura"),
                (q + r * 0.6, "INFO", "Enviando a fatura ao SAT"),
            ]
        end = q + r
        if job.outcome == "completed":
            steps.append(
                (end * 0.999, "INFO", "Fatura baixada" if job.kind == "download" else "Fatura registrada no SAT")
            )
            steps.append((end, "INFO", "Robô concluído com sucesso"))
        elif job.outcome == "business":
            steps.append((end, "ERROR", BUSINESS_ERROR))
        elif job.outcome == "system":
            steps.append((end * 0.999, "WARNING", "Portal lento, tentando de novo"))
            steps.append((end, "ERROR", SYSTEM_ERROR))
        else:
            steps.append((q + r * 0.8, "WARNING", "Portal sem resposta, aguardando"))
        return steps

    def job_state(self, job: Job) -> dict:
        elapsed = time.monotonic() - job.created
        q, r = self.timing.queued_s, self.timing.running_s
        base = {"job_id": job.job_id, "result": None, "error": None}
        if job.cancelled:
            return {**base, "status": "failed", "error": "NEGOCIO: job cancelado pelo operador"}
        if elapsed < q:
            return {**base, "status": "queued"}
        if job.outcome == "never" or elapsed < q + r:
            return {**base, "status": "running"}
        if job.outcome == "business":
            return {**base, "status": "failed", "error": BUSINESS_ERROR}
        if job.outcome == "system":
            return {**base, "status": "failed", "error": SYSTEM_ERROR}
        if job.kind == "sat":
            problem = self._check_sat_file(job)
            if problem:
                return {**base, "status": "failed", "error": problem}
            digest = hashlib.sha256(job.job_id.encode()).hexdigest()[:10].upper()
            return {**base, "status": "completed", "result": {"protocolo": f"SAT-{digest}"}}
        valor, vencimento = self._invoice_values(job.payload)
        return {
            **base,
            "status": "completed",
            "result": {
                "url_fatura": f"{self.url}/files/{job.job_id}.pdf",
                "valor_fatura": f"{valor:.2f}",
                "data_vencimento": vencimento,
            },
        }

    def job_logs(self, job: Job, after: int) -> list[dict]:
        elapsed = time.monotonic() - job.created
        logs = []
        for seq, (offset, level, message) in enumerate(self._script_as_run(job, elapsed), start=1):
            if seq > after and offset <= elapsed:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - (elapsed - offset)))
                logs.append({"seq": seq, "timestamp": f"{stamp}Z", "level": level, "message": message})
        return logs

    def _script_as_run(self, job: Job, elapsed: float) -> list[tuple[float, str, str]]:
        """The log script, except that a SAT job that could not fetch its PDF says so and ends failed
        (the same answer ``job_state`` gives), instead of "concluído com sucesso"."""
        script = job.log_script
        if job.kind != "sat" or job.outcome != "completed" or job.cancelled:
            return script
        end = self.timing.queued_s + self.timing.running_s
        if elapsed < end * 0.999:
            return script
        problem = self._check_sat_file(job)
        if not problem:
            return script
        return [*script[:-2], (end * 0.999, "ERROR", problem), (end, "ERROR", "Robô encerrado com falha")]

    @staticmethod
    def _invoice_values(payload: dict) -> tuple[Decimal, str]:
        digest = int(hashlib.sha256(f"{payload.get('cnpj')}{payload.get('mes_ano')}".encode()).hexdigest()[:8], 16)
        valor = Decimal(50 + digest % 495000) / Decimal(100) + Decimal(50)
        month, year = (int(x) for x in str(payload.get("mes_ano", "01/2000")).split("/"))
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
        return valor.quantize(Decimal("0.01")), date(year, month, 10).isoformat()

    def invoice_bytes(self, job: Job) -> tuple[bytes, str]:
        if job.non_pdf:
            return b"<html><body>Sessao expirada</body></html>", "text/html"
        if job.pdf is None:
            valor, vencimento = self._invoice_values(job.payload)
            job.pdf = invoice_pdf(
                carrier=job.carrier,
                razao=str(job.payload.get("razao", "")),
                cnpj=str(job.payload.get("cnpj", "")),
                mes_ano=str(job.payload.get("mes_ano", "")),
                valor=valor,
                vencimento=vencimento,
            )
        return job.pdf, "application/pdf"

    def _check_sat_file(self, job: Job) -> str:
        if job.sat_check is not None:
            return job.sat_check
        problem = ""
        if self.verify_sat_file:
            url = str(job.payload.get("url_arquivo", ""))
            if not _is_loopback(url):
                problem = "SISTEMA: url_arquivo fora do loopback (o simulador só acessa 127.0.0.1)"
            else:
                try:
                    response = httpx.get(url, timeout=5)
                    if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
                        problem = f"SISTEMA: arquivo indisponível em url_arquivo (HTTP {response.status_code})"
                except httpx.HTTPError as exc:
                    problem = f"SISTEMA: falha ao baixar url_arquivo ({exc.__class__.__name__})"
        job.sat_check = problem
        return problem


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ExitusRpaSimulator/1.0"

    @property
    def sim(self) -> RpaSimulator:
        return self.server.simulator

    def log_message(self, fmt, *args):
        logger.debug("rpa-sim %s", fmt % args)

    def _send(self, status, body, content_type="application/json"):
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout): nothing to answer

    def _read_json(self):
        try:
            data = json.loads(self._body or b"null")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _guard(self) -> bool:
        """Auth and the global faults. True when the request may go on."""
        sim = self.sim
        path = urlsplit(self.path).path
        # Always drain the body, even when refusing: the connection is kept alive.
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""
        with sim.lock:
            sim.requests.append((self.command, path))
        if sim.faults.slow_ms:
            time.sleep(sim.faults.slow_ms / 1000)
        if self.headers.get("Authorization") != f"Bearer {sim.token}" or (
            sim.faults.unauthorized and not path.startswith("/_sim/")
        ):
            self._send(401, {"detail": "token inválido"})
            return False
        if not path.startswith("/_sim/"):
            with sim.lock:
                fires, sim.faults.http_5xx = _take(sim.faults.http_5xx)
            if fires:
                self._send(503, {"detail": "serviço indisponível (simulado)"})
                return False
        return True

    def do_GET(self):
        if not self._guard():
            return
        parts = urlsplit(self.path)
        path, sim = parts.path, self.sim
        if path == "/health":
            return self._send(200, {"status": "ok"})
        if path == "/_sim/faults":
            return self._send(200, asdict(sim.faults))
        match = FILE_PATH.match(path)
        if match:
            job = sim.jobs.get(match["job"])
            if job is None or job.kind != "download":
                return self._send(404, {"detail": "arquivo não encontrado"})
            body, content_type = sim.invoice_bytes(job)
            return self._send(200, body, content_type)
        match = JOB_PATH.match(path)
        if not match or match["what"] == "cancel":
            return self._send(404, {"detail": "não encontrado"})
        job = sim.jobs.get(match["job"])
        if job is None:
            return self._send(404, {"detail": "job desconhecido"})
        if sim.faults.garbage:
            return self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
        if match["what"] == "status":
            return self._send(200, sim.job_state(job))
        try:
            after = int(parse_qs(parts.query).get("after", ["0"])[0])
        except ValueError:
            return self._send(422, {"detail": "after deve ser inteiro"})
        return self._send(200, {"logs": sim.job_logs(job, after)})

    def do_POST(self):
        if not self._guard():
            return
        path, sim = urlsplit(self.path).path, self.sim
        if path == "/_sim/faults":
            data = self._read_json() or {}
            with sim.lock:
                sim.faults.update(data)
            return self._send(200, asdict(sim.faults))
        match = JOB_PATH.match(path)
        if match and match["what"] == "cancel":
            job = sim.jobs.get(match["job"])
            if job is None:
                return self._send(404, {"detail": "job desconhecido"})
            job.cancelled = True
            return self._send(200, sim.job_state(job))
        if not path.startswith("/executar/"):
            return self._send(404, {"detail": "não encontrado"})
        target = path.removeprefix("/executar/")
        kind = "sat" if target == "sat" else "download"
        carrier = target.upper()
        if kind == "download" and carrier not in sim.carriers:
            return self._send(404, {"detail": f"operadora desconhecida: {target}"})
        body = self._read_json()
        errors = self._validate(kind, body)
        if errors:
            return self._send(422, {"detail": errors})
        job = sim.create_job(kind, body.get("operadora", carrier) if kind == "sat" else carrier, body)
        state = sim.job_state(job)
        return self._send(202, {"job_id": job.job_id, "status": state["status"]})

    @staticmethod
    def _validate(kind, body):
        if body is None:
            return ["corpo deve ser um objeto JSON"]
        required = DOWNLOAD_FIELDS if kind == "download" else SAT_FIELDS
        errors = [f"campo obrigatório ausente: {name}" for name in required if name not in body]
        if not str(body.get("idempotency_key") or ""):
            errors.append("idempotency_key vazio")
        if not re.fullmatch(r"\d{14}", str(body.get("cnpj", ""))):
            errors.append("cnpj deve ter 14 dígitos")
        if kind == "download" and not MONTH_RE.match(str(body.get("mes_ano", ""))):
            errors.append("mes_ano deve ser MM/AAAA")
        if kind == "sat":
            # SAT needs both: an empty due date or amount is refused, as the real robot does.
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(body.get("data_vencimento") or "")):
                errors.append("data_vencimento deve ser AAAA-MM-DD")
            if not re.fullmatch(r"\d+\.\d{2}", str(body.get("valor_fatura") or "")):
                errors.append("valor_fatura deve ser um valor com duas casas (ex.: 123.45)")
        return errors

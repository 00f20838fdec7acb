"""Billing fixtures: staff users, a loopback RPA simulator, fast robot timings, a PDF."""

import time

import pytest

from billing_rpa import services
from billing_rpa.choices import ExecutionStatus
from billing_rpa.simulator import Faults, RpaSimulator, Timing
from billing_rpa.simulator.pdf import invoice_pdf

from .factories import BillingClientFactory, CarrierFactory, InvoiceProcessFactory, staff_user

SIM_TOKEN = "test-rpa-token"


def _staff(group_name, **kwargs):
    return staff_user(group_name, **kwargs)


@pytest.fixture
def operador(db):
    return _staff("Operador", username="operador.teste")


@pytest.fixture
def aprovador(db):
    return _staff("Aprovador", username="aprovador.teste")


@pytest.fixture
def aprovador2(db):
    return _staff("Aprovador", username="aprovador.dois")


@pytest.fixture(autouse=True)
def _fast_robots(settings):
    """No waiting between polls or retries in tests (jitter is U(0, base) = 0)."""
    settings.BILLING_RPA_POLL_INTERVAL_SECONDS = 0
    settings.BILLING_RPA_RETRY_BASE_SECONDS = 0
    settings.BILLING_RPA_RETRY_MAX_SECONDS = 0
    settings.RPA_API_READ_TIMEOUT = 2
    settings.RPA_API_CONNECT_TIMEOUT = 1
    settings.BILLING_SSE_POLL_SECONDS = 0.05
    settings.BILLING_SSE_HEARTBEAT_SECONDS = 0.3


@pytest.fixture
def sim(settings):
    simulator = RpaSimulator(token=SIM_TOKEN, timing=Timing(queued_s=0.0, running_s=0.05), verify_sat_file=False)
    simulator.start()
    settings.RPA_API_URL = simulator.url
    settings.RPA_API_TOKEN = SIM_TOKEN
    yield simulator
    simulator.stop()


@pytest.fixture
def faults(sim) -> Faults:
    return sim.faults


@pytest.fixture
def carrier(db):
    return CarrierFactory(code="VIVO", name="Vivo")


@pytest.fixture
def billing_client(carrier):
    return BillingClientFactory(carrier=carrier)


@pytest.fixture
def process(billing_client):
    return InvoiceProcessFactory(client=billing_client, month="03/2025")


@pytest.fixture
def pdf_bytes():
    from decimal import Decimal

    return invoice_pdf(
        carrier="VIVO",
        razao="Teste",
        cnpj="11222333000181",
        mes_ano="03/2025",
        valor=Decimal("10"),
        vencimento="2025-04-10",
    )


def drive(execution_or_process, *, timeout=5.0, kind=None):
    """Run the poller until the latest execution of the process is no longer running."""
    from billing_rpa.models import Execution, InvoiceProcess

    process_id = (
        execution_or_process.pk if isinstance(execution_or_process, InvoiceProcess) else execution_or_process.process_id
    )
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        services.executions_poll_due(budget_seconds=1)
        running = Execution.objects.filter(process_id=process_id, status=ExecutionStatus.EXECUTANDO)
        if kind:
            running = running.filter(kind=kind)
        if not running.exists():
            return
        time.sleep(0.02)
    raise AssertionError("execution still running after timeout")

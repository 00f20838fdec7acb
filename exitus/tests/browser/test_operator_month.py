"""The operator's month, end to end in a real browser: import clients, create the month, bulk
download, watch a log line arrive without a reload, approve as Aprovador from the process page,
send to SAT (the robot fetches the PDF from this server's port), see the overview complete."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD
from billing_rpa.choices import ProcessStatus
from billing_rpa.models import BillingClient, Execution, InvoiceProcess
from billing_rpa.tests.factories import CarrierFactory, make_cnpj, staff_user

from .conftest import gate, login, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# A fixed, past month: the flow does not depend on the day it runs (CI moves the clock).
MONTH = "03/2025"
CLIENTS = 3


def _csv() -> bytes:
    rows = ["razao_social;cnpj;operadora;unidade;servico;login_portal;senha_portal"]
    rows += [
        f"Cliente Navegador {n};{make_cnpj(7100 + n)};VIVO;Unidade {n};MOVEL;login{n};senha{n}" for n in range(CLIENTS)
    ]
    return ("\n".join(rows) + "\n").encode()


def _bulk(page, site, action, query=""):
    """Select every process of the month in the list and run ``action`` on them."""
    page.goto(f"{site}/admin/billing_rpa/invoiceprocess/?month={MONTH.replace('/', '%2F')}{query}")
    page.check("#action-toggle")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def _statuses():
    return sorted(InvoiceProcess.objects.filter(month=MONTH).values_list("status", flat=True))


def test_operator_month_end_to_end(site, robots, robot_driver, page, shots):
    CarrierFactory(code="VIVO", name="Vivo")
    operador = staff_user("Operador", username="operadora.ana")
    aprovador = staff_user("Aprovador", username="aprovador.rui")

    # 1. Import the clients: preview, then confirm without choosing the file again.
    login(page, site, operador.username, DEFAULT_PASSWORD)
    shots("01-home-operador", page)
    page.goto(f"{site}/admin/billing_rpa/billingclient/import-csv/")
    expect(page.locator("#x-carrier-codes")).to_contain_text("VIVO")
    page.set_input_files("#id_file", files=[{"name": "clientes.csv", "mimeType": "text/csv", "buffer": _csv()}])
    page.click("#x-import-form input[type=submit]")
    expect(page.locator("#x-import-counts")).to_contain_text("criado: 3")
    shots("02-import-preview", page)
    assert BillingClient.objects.count() == 0
    page.click("#x-import-confirm input[type=submit]")
    expect(page.locator("ul.messagelist")).to_contain_text("Importação concluída: 3 criado")
    assert BillingClient.objects.count() == CLIENTS
    shots("03-import-done", page)

    # 2. Create the month from the overview.
    page.goto(f"{site}/admin/billing_rpa/invoiceprocess/overview/?month={MONTH}")
    page.click(f"input[value='Criar processos de {MONTH}']")
    expect(page.locator("ul.messagelist")).to_contain_text(f"{MONTH}: 3 processos criados")
    shots("04-month-created", page)

    # 3. Bulk download from the list (the robots are held until the execution page is open).
    _bulk(page, site, "action_download")
    expect(page.locator("ul.messagelist")).to_contain_text("3 downloads enfileirados")
    expect(page.locator("td.field-current_step").first).to_contain_text("Em execução")
    shots("05-downloads-queued", page)

    # 4. The execution page: a log line arrives without a reload, then the status changes.
    execution = Execution.objects.filter(process__month=MONTH).order_by("pk").first()
    page.goto(f"{site}/admin/billing_rpa/execution/{execution.pk}/change/")
    expect(page.locator("#x-log .x-log-empty")).to_be_visible()
    expect(page.locator("#x-status")).to_contain_text("Executando")
    page.evaluate("window.__notReloaded = true")
    robot_driver.running.set()
    expect(page.locator("#x-log .x-log-line").first).to_contain_text("Robô VIVO iniciado", timeout=20_000)
    shots("06-live-log", page)
    expect(page.locator("#x-status")).to_contain_text("Concluído", timeout=20_000)
    expect(page.locator("#x-log")).to_contain_text("Robô concluído com sucesso")
    assert page.evaluate("window.__notReloaded") is True
    assert not page.locator("input[name=_save]").count()
    shots("07-execution-done", page)
    wait_for(
        lambda: _statuses() == [ProcessStatus.AGUARDANDO_APROVACAO] * CLIENTS,
        timeout=60,
        what=lambda: f"downloads: {_statuses()}, driver errors {robot_driver.errors[-3:]}",
    )

    # 5. The Aprovador approves from the process page (PDF previewed inline).
    login(page, site, aprovador.username, DEFAULT_PASSWORD)
    shots("08-home-aprovador", page)
    with gate():
        process = InvoiceProcess.objects.filter(month=MONTH).order_by("pk").first()
    page.goto(f"{site}/admin/billing_rpa/invoiceprocess/{process.pk}/change/")
    expect(page.locator("#x-pdf")).to_be_visible()
    expect(page.locator("#x-process-actions [data-action=download]")).to_have_count(0)
    shots("09-process-to-approve", page)
    page.click("#x-process-actions button[data-action=approve]")
    expect(page.locator("ul.messagelist")).to_contain_text("Fatura aprovada")
    expect(page.locator(".field-status_badge")).to_contain_text("Aguardando envio ao SAT")
    expect(page.locator("#x-process-actions")).to_contain_text("Nenhuma ação disponível")
    shots("10-approved", page)
    _bulk(page, site, "action_approve", "&status=AGUARDANDO_APROVACAO")
    expect(page.locator("ul.messagelist")).to_contain_text("2 faturas aprovadas")

    # 6. The Operador sends to SAT; the SAT robot fetches each PDF from this server's own port.
    login(page, site, operador.username, DEFAULT_PASSWORD)
    _bulk(page, site, "action_send_to_sat")
    expect(page.locator("ul.messagelist")).to_contain_text("3 envios ao SAT enfileirados")
    shots("11-sat-queued", page)
    wait_for(
        lambda: _statuses() == [ProcessStatus.UPLOAD_REALIZADO] * CLIENTS,
        timeout=60,
        what=lambda: f"SAT uploads: {_statuses()}, driver errors {robot_driver.errors[-3:]}",
    )
    assert robot_driver.errors == []
    sat_jobs = robots.robot_jobs("sat")
    assert len(sat_jobs) == CLIENTS and all(job.sat_check == "" for job in sat_jobs)
    assert all(job.payload["url_arquivo"].startswith(site) for job in sat_jobs)

    # 7. The month overview is complete.
    page.goto(f"{site}/admin/billing_rpa/invoiceprocess/overview/?month={MONTH}")
    row = page.locator("#x-overview tr[data-carrier=VIVO]")
    expect(row).to_contain_text("3")
    done = row.locator("td").nth(2 + 3)  # carrier, total, then the four statuses: UPLOAD_REALIZADO
    expect(done).to_have_text("3")
    expect(page.locator("#x-overview")).to_contain_text(re.compile(r"R\$ \d{1,3}(\.\d{3})*,\d{2}"))
    shots("12-overview-complete", page)

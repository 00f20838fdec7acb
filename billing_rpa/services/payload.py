"""The robot payload: the RPA contract's body for an execution, and the invoice's file name."""

from .. import crypto
from ..choices import ExecutionKind
from .clients import REDACTED


def build_payload(execution, *, redacted=False, file_url=None) -> dict:
    """The contract's body for this execution. ``redacted`` hides the password (for storage)."""
    process = execution.process
    client = process.client
    carrier = client.carrier
    common = {
        "cnpj": client.cnpj,
        "razao": client.legal_name,
        "operadora": carrier.code,
        "nome_filtro": client.name_filter,
        "unidade": client.unit,
        "servico": client.service,
    }
    if execution.kind == ExecutionKind.DOWNLOAD_FATURA:
        if redacted:
            password = REDACTED if client.portal_password_encrypted else ""
        else:
            password = crypto.decrypt(client.portal_password_encrypted)
        return {
            **common,
            "mes_ano": process.month,
            "login_portal": client.portal_login,
            "senha_portal": password,
            "cpf": client.cpf,
            "url_portal": carrier.portal_url,
            "configuracao_rpa": carrier.robot_config or {},
            "idempotency_key": str(execution.idempotency_key),
        }
    return {
        **common,
        "dados_sat": client.sat_data,
        "nome_arquivo": process.invoice_filename or invoice_filename(process),
        "data_vencimento": process.due_date.isoformat() if process.due_date else "",
        "valor_fatura": f"{process.amount:.2f}" if process.amount is not None else "",
        "url_arquivo": (file_url or "") if not redacted else "<URL assinada, temporária>",
        "idempotency_key": str(execution.idempotency_key),
    }


def missing_sat_values(process) -> list[str]:
    """What the SAT robot would receive empty: it must never get an empty due date or amount."""
    missing = []
    if process.due_date is None:
        missing.append("data_vencimento")
    if process.amount is None:
        missing.append("valor_fatura")
    if not process.invoice_key:
        missing.append("arquivo")
    return missing


def invoice_filename(process) -> str:
    return f"fatura_{process.client.carrier.code}_{process.client.cnpj}_{process.period:%Y-%m}.pdf"

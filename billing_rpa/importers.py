"""The client CSV import (the seed's ``importar_clientes_csv.py``): upsert on CNPJ × carrier × unit
× service, a report per row, ``dry_run`` to validate without writing. Every write goes through
``services.client_save``.
"""

import csv
import io
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import NO_REQUEST, snapshot

from .models import BillingClient, Carrier
from .services.clients import CLIENT_FIELDS, client_save, client_unique_hash
from .validators import normalize_cnpj

IMPORT_COLUMNS = {
    # CSV header -> model field
    "razao_social": "legal_name",
    "nome_sat": "sat_name",
    "cnpj": "cnpj",
    "operadora": "carrier",
    "filtro": "name_filter",
    "servico": "service",
    "dados_sat": "sat_data",
    "unidade": "unit",
    "login_portal": "portal_login",
    "senha_portal": "portal_password",
    "cpf": "cpf",
    "ativo": "active",
}
IMPORT_REQUIRED = ("razao_social", "cnpj", "operadora")
# The report's words, as operators read them.
IMPORT_STATUS_LABELS = {
    "created": gettext_lazy("criado"),
    "updated": gettext_lazy("atualizado"),
    "unchanged": gettext_lazy("sem alteração"),
    "error": gettext_lazy("erro"),
}
FIELD_COLUMNS = {field_name: column for column, field_name in IMPORT_COLUMNS.items()}
IMPORT_MAX_ROWS = 50_000
TRUE_WORDS = {"1", "true", "sim", "s", "yes", "y", "ativo", "x"}
FALSE_WORDS = {"0", "false", "nao", "não", "n", "no", "inativo"}


def decode_csv(raw) -> str:
    """The file's text (UTF-8, with or without BOM, or Windows-1252)."""
    return _decode(raw)


def _decode(raw) -> str:
    if isinstance(raw, str):
        return raw
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("Não foi possível ler o arquivo (use UTF-8).")]})


def _read_csv(raw) -> tuple[list[str], list[tuple[int, dict]]]:
    text = _decode(raw)
    if not text.strip():
        raise ValidationError({"file": [_("Arquivo vazio.")]})
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [(h or "").strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = headers
    missing = [column for column in IMPORT_REQUIRED if column not in headers]
    if missing:
        raise ValidationError({"file": [_("Colunas obrigatórias ausentes: %(c)s") % {"c": ", ".join(missing)}]})
    rows = []
    for row in reader:
        if len(rows) >= IMPORT_MAX_ROWS:
            raise ValidationError({"file": [_("Arquivo com mais de %(n)d linhas.") % {"n": IMPORT_MAX_ROWS}]})
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return headers, rows


def _parse_bool(value: str, default=True):
    word = (value or "").strip().casefold()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError({"active": [_("Valor inválido para ativo: %(v)s") % {"v": value}]})


def _import_row(values: dict, carriers: dict, headers: list[str], actor, meta) -> tuple[str, BillingClient]:
    errors = {}
    data = {}
    for column, field_name in IMPORT_COLUMNS.items():
        if column in headers and field_name not in ("carrier", "portal_password", "active"):
            data[field_name] = values.get(column, "")
    for column in IMPORT_REQUIRED:
        if not values.get(column):
            errors.setdefault(IMPORT_COLUMNS[column], []).append(_("Campo obrigatório."))
    carrier = carriers.get(values.get("operadora", "").strip().upper())
    if values.get("operadora") and carrier is None:
        errors["carrier"] = [_("Operadora desconhecida: %(c)s") % {"c": values["operadora"]}]
    try:
        data["active"] = _parse_bool(values.get("ativo", ""))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cnpj = normalize_cnpj(values.get("cnpj", ""))
    except ValidationError as exc:
        if "cnpj" not in errors:
            errors["cnpj"] = exc.messages
        cnpj = ""
    if errors:
        raise ValidationError(errors)
    data["carrier"] = carrier
    unique_hash = client_unique_hash(
        cnpj=cnpj, carrier_id=carrier.pk, unit=data.get("unit", ""), service=data.get("service", "")
    )
    existing = BillingClient.objects.filter(unique_hash=unique_hash).first()
    password = values.get("senha_portal") or None  # empty cell keeps the stored password
    if existing is None:
        return "created", client_save(data=data, portal_password=password, actor=actor, meta=meta)
    before = (snapshot(existing, CLIENT_FIELDS), existing.portal_password_encrypted)
    client = client_save(client=existing, data=data, portal_password=password, actor=actor, meta=meta)
    after = (snapshot(client, CLIENT_FIELDS), client.portal_password_encrypted)
    return ("unchanged" if before == after else "updated"), client


def clients_import_csv(*, raw, dry_run=False, actor=None, meta=NO_REQUEST) -> dict:
    """Create or update clients from CSV (upsert on CNPJ × carrier × unit × service).

    Returns a per-row report; rows with errors are skipped, the others applied — unless
    ``dry_run``, which validates everything and writes nothing.
    """
    headers, rows = _read_csv(raw)
    carriers = {carrier.code.upper(): carrier for carrier in Carrier.objects.all()}
    report_rows = []
    counts = Counter({"created": 0, "updated": 0, "unchanged": 0, "error": 0})
    with transaction.atomic():
        for line, values in rows:
            entry = {"line": line, "cnpj": values.get("cnpj", ""), "status": "", "client_id": None, "errors": {}}
            try:
                with transaction.atomic():
                    entry["status"], client = _import_row(values, carriers, headers, actor, meta)
                    entry["client_id"] = client.pk if not dry_run else None
            except ValidationError as exc:
                entry["status"] = "error"
                entry["errors"] = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            counts[entry["status"]] += 1
            report_rows.append(entry)
        if dry_run:
            transaction.set_rollback(True)
    return {"dry_run": dry_run, "total": len(rows), "counts": dict(counts), "rows": report_rows}


def import_template_csv(carrier_codes) -> str:
    """A CSV to fill in: every accepted column, ``;``-separated, and one example row."""
    example = {
        "razao_social": "Exemplo Telecom Ltda",
        "nome_sat": "EXEMPLO TELECOM",
        "cnpj": "11.222.333/0001-81",
        "operadora": (list(carrier_codes) or ["VIVO"])[0],
        "filtro": "",
        "servico": "MOVEL",
        "dados_sat": "",
        "unidade": "Matriz",
        "login_portal": "usuario@exemplo.com.br",
        "senha_portal": "",
        "cpf": "",
        "ativo": "sim",
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(list(IMPORT_COLUMNS))
    writer.writerow([example[column] for column in IMPORT_COLUMNS])
    return buffer.getvalue()

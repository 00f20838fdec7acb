"""Carriers and billing clients: create, update, delete, and the portal-password key rotation.

Portal passwords are encrypted (``crypto``) and never part of an audit row, a log or an answer.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import NO_REQUEST, audit_changes, audit_record

from .. import crypto
from ..models import BillingClient, Carrier
from ..validators import normalize_cnpj, normalize_cpf
from .transitions import InvalidTransition

REDACTED = "***"

CARRIER_FIELDS = ("code", "name", "has_robot", "portal_url", "robot_class", "robot_config", "active")
CLIENT_FIELDS = (
    "legal_name",
    "sat_name",
    "cnpj",
    "carrier",
    "name_filter",
    "service",
    "sat_data",
    "unit",
    "portal_login",
    "cpf",
    "active",
)


@transaction.atomic
def carrier_save(*, carrier=None, data, actor, meta=NO_REQUEST) -> Carrier:
    """Create (``carrier=None``) or update a carrier."""
    creating = carrier is None or carrier.pk is None
    carrier = carrier or Carrier()
    action = "billing.carrier.create" if creating else "billing.carrier.update"
    # Compare with the stored row: the admin hands us an instance its form already changed.
    with audit_changes(
        carrier,
        CARRIER_FIELDS,
        action=action,
        actor=actor,
        meta=meta,
        system=True,
        creating=creating,
        from_database=not creating,
    ):
        for name in CARRIER_FIELDS:
            if name in data:
                setattr(carrier, name, data[name])
        carrier.code = (carrier.code or "").strip().upper()
        carrier.full_clean()
        carrier.save()
    return carrier


def client_unique_hash(*, cnpj, carrier_id, unit, service) -> str:
    key = "|".join([cnpj, str(carrier_id), (unit or "").strip().casefold(), (service or "").strip().casefold()])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _clean_client(client: BillingClient) -> None:
    errors = {}
    try:
        client.cnpj = normalize_cnpj(client.cnpj)
    except ValidationError as exc:
        errors["cnpj"] = exc.messages
    try:
        client.cpf = normalize_cpf(client.cpf)
    except ValidationError as exc:
        errors["cpf"] = exc.messages
    for name in ("legal_name", "sat_name", "name_filter", "service", "unit", "portal_login"):
        setattr(client, name, (getattr(client, name) or "").strip())
    if errors:
        raise ValidationError(errors)
    client.unique_hash = client_unique_hash(
        cnpj=client.cnpj, carrier_id=client.carrier_id, unit=client.unit, service=client.service
    )
    client.full_clean(exclude=["unique_hash"])


@transaction.atomic
def client_save(*, client=None, data, portal_password=None, actor, meta=NO_REQUEST) -> BillingClient:
    """Create (``client=None``) or update a billing client.

    ``portal_password``: ``None`` keeps the stored one, ``""`` clears it, anything else
    replaces it (encrypted). It is never part of an audit row, a log or an answer.
    """
    creating = client is None or client.pk is None
    client = client or BillingClient()
    action = "billing.client.create" if creating else "billing.client.update"
    with audit_changes(
        client,
        CLIENT_FIELDS,
        action=action,
        actor=actor,
        meta=meta,
        system=True,
        creating=creating,
        from_database=not creating,
    ) as extra:
        for name in CLIENT_FIELDS:
            if name in data:
                setattr(client, name, data[name])
        _clean_client(client)
        if portal_password is not None:
            old = crypto.decrypt(client.portal_password_encrypted) if client.portal_password_encrypted else ""
            if portal_password != old:
                client.portal_password_encrypted = crypto.encrypt(portal_password)
                extra["portal_password"] = [REDACTED, REDACTED]
        client.save()
    return client


@transaction.atomic
def client_delete(*, client, actor, meta=NO_REQUEST) -> None:
    if client.processes.exists():
        raise InvalidTransition(
            _("Este cliente já tem processos: desative-o em vez de excluí-lo."), code="client_has_processes"
        )
    audit_record(actor=actor, action="billing.client.delete", target=client, meta=meta)
    client.delete()


def clients_rotate_keys(*, dry_run=False) -> dict:
    """Re-encrypt every stored portal password under the current (first) key."""
    rotated = failed = 0
    with transaction.atomic():
        for client in (
            BillingClient.objects.exclude(portal_password_encrypted="")
            .select_for_update()
            .only("pk", "portal_password_encrypted")
        ):
            try:
                token = crypto.rotate(client.portal_password_encrypted)
            except crypto.CredentialDecryptError:
                failed += 1
                continue
            if not dry_run:
                BillingClient.objects.filter(pk=client.pk).update(portal_password_encrypted=token)
            rotated += 1
    return {"rotated": rotated, "failed": failed}

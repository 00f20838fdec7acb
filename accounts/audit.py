"""Audit trail: every change a person makes is recorded with who, what, from → to and where from.

Services call :func:`audit_record` (or the helpers below) inside their own
``transaction.atomic`` block so the audit row and the change commit (or roll back) together.

Actions are named ``<app>.<entity>.<verb>``: ``accounts.user.update``,
``portfolio.transaction.create``, ``billing.process.approve``, ``quotes.anomaly.reject``,
``scheduling.job.run_now``.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from .models import AuditEvent


@dataclass(frozen=True)
class RequestMeta:
    """Where an action came from. Built from a request by views, passed to services."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request):
        if request is None:
            return cls()
        meta = request.META
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else meta.get("REMOTE_ADDR")
        return cls(ip_address=ip or None, user_agent=meta.get("HTTP_USER_AGENT", "")[:255])


NO_REQUEST = RequestMeta()


def audit_record(*, actor, action, target=None, changes=None, meta=NO_REQUEST):
    """Write one audit row. ``changes`` maps field → ``[from, to]`` (JSON-serialisable)."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_repr=str(actor_obj) if actor_obj else "sistema",
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        changes=changes or {},
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
    )


def diff(before: dict, after: dict) -> dict:
    """Field → [from, to] for the keys whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def _plain(value):
    """A JSON-safe value for the audit trail: ids for rows, ISO text for dates, text for decimals."""
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def snapshot(instance, fields) -> dict:
    """``{field: value}`` of ``instance`` as the audit trail stores it (a relation as its id)."""
    values = {}
    for name in fields:
        try:
            field = instance._meta.get_field(name)
        except Exception:  # noqa: BLE001 - not a model field (a property, a transient attribute)
            field = None
        attribute = field.attname if field is not None and field.is_relation and field.many_to_one else name
        values[name] = _plain(getattr(instance, attribute))
    return values


def _wanted(actor, system: bool) -> bool:
    """Rows are written for a person; ``system=True`` also records unattended writes ("sistema")."""
    return system or actor is not None


def audit_created(instance, fields, *, action, actor, meta=NO_REQUEST, system=False):
    """The audit row of a new ``instance``: every field ``[None, value]``."""
    if _wanted(actor, system):
        changes = {name: [None, value] for name, value in snapshot(instance, fields).items()}
        audit_record(actor=actor, action=action, target=instance, changes=changes, meta=meta)


def audit_deleted(instance, fields, *, action, actor, meta=NO_REQUEST, system=False):
    """The audit row of ``instance`` about to be deleted (call it before ``delete()``)."""
    if _wanted(actor, system):
        changes = {name: [value, None] for name, value in snapshot(instance, fields).items()}
        audit_record(actor=actor, action=action, target=instance, changes=changes, meta=meta)


@contextmanager
def audit_changes(
    instance, fields, *, action, actor, meta=NO_REQUEST, system=False, from_database=False, creating=False
):
    """Record what the block changes in ``fields`` of ``instance`` (nothing changed: no row).

    The values before are read on entry — from the stored row with ``from_database=True``, for
    callers (the admin) that hand over an instance their form already changed; none with
    ``creating=True``. The block may add entries to the yielded dict (e.g.
    ``{"password": ["***", "***"]}``) for what no field shows.
    """
    if creating:
        before = {}
    else:
        stored = type(instance)._default_manager.get(pk=instance.pk) if from_database else instance
        before = snapshot(stored, fields)
    extra: dict = {}
    yield extra
    changes = {**diff(before, snapshot(instance, fields)), **extra}
    if changes and _wanted(actor, system):
        audit_record(actor=actor, action=action, target=instance, changes=changes, meta=meta)

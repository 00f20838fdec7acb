"""Audit trail: every change a person makes is recorded with who, what, from → to and where from.

Services call :func:`audit_record` inside their own ``transaction.atomic`` block so the
audit row and the change commit (or roll back) together.
"""

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

"""Writes on users. Views, admin actions and commands call these; nothing else saves a User."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import NO_REQUEST, audit_record, diff
from .choices import Role
from .groups import staff_group_names
from .models import User

UPDATABLE_FIELDS = ("username", "email", "full_name", "role", "is_active", "is_staff")


def _apply_role_flags(user):
    """ADMIN is a superuser; leaving ADMIN drops admin access unless the user is in a staff group."""
    if user.role == Role.ADMIN:
        user.is_superuser = True
        user.is_staff = True
    elif user.is_superuser:
        user.is_superuser = False
        user.is_staff = bool(user.pk) and user.groups.filter(name__in=staff_group_names()).exists()


def _snapshot(user):
    return {field: getattr(user, field) for field in UPDATABLE_FIELDS}


def _check_unique(field, value, exclude_pk, message):
    """E-mail and username are unique ignoring case; say so on the field, not as a constraint error."""
    clash = User.objects.filter(**{f"{field}__iexact": value})
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({field: message})


def _check_email_free(email, exclude_pk=None):
    _check_unique("email", email, exclude_pk, _("Já existe um usuário com este e-mail."))


def _check_username_free(username, exclude_pk=None):
    _check_unique("username", username, exclude_pk, _("Já existe um usuário com este nome de usuário."))


@transaction.atomic
def user_create(
    *,
    username,
    email,
    password,
    full_name="",
    role=Role.USER,
    is_active=True,
    is_staff=False,
    actor=None,
    meta=NO_REQUEST,
):
    email = (email or "").strip().lower()
    _check_username_free(username.strip())
    _check_email_free(email)
    user = User(
        username=username.strip(),
        email=email,
        full_name=full_name,
        role=role,
        is_active=is_active,
        is_staff=is_staff,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    _apply_role_flags(user)
    user.full_clean(exclude=["password", "last_login"])
    user.save()
    audit_record(
        actor=actor or user,
        action="user.create",
        target=user,
        changes={k: [None, v] for k, v in _snapshot(user).items()},
        meta=meta,
    )
    return user


@transaction.atomic
def user_update(*, user, data, actor, meta=NO_REQUEST):
    """Update the given fields (``password`` included). Caller has checked who may change what."""
    before = _snapshot(user)
    if "email" in data:
        data = {**data, "email": data["email"].strip().lower()}
        _check_email_free(data["email"], exclude_pk=user.pk)
    if "username" in data:
        _check_username_free(data["username"], exclude_pk=user.pk)
    for field in UPDATABLE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
    password = data.get("password")
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    _apply_role_flags(user)
    user.full_clean(exclude=["password", "last_login"])
    user.save()
    changes = diff(before, _snapshot(user))
    if password:
        changes["password"] = ["***", "***"]
    if changes:
        audit_record(actor=actor, action="user.update", target=user, changes=changes, meta=meta)
    return user


@transaction.atomic
def user_set_active(*, users, active, actor, meta=NO_REQUEST):
    """Activate or deactivate many users; returns how many changed."""
    changed = 0
    for user in users.select_for_update():
        if user.is_active == active or (not active and user.pk == actor.pk):
            continue
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            target=user,
            changes={"is_active": [not active, active]},
            meta=meta,
        )
        changed += 1
    return changed


@transaction.atomic
def user_delete(*, user, actor, meta=NO_REQUEST):
    if user.pk == actor.pk:
        raise ValidationError(_("Você não pode excluir o próprio usuário."))
    audit_record(actor=actor, action="user.delete", target=user, changes={"username": [user.username, None]}, meta=meta)
    user.delete()

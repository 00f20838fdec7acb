"""Writes on users. Views, admin actions and commands call these; nothing else saves a User."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import NO_REQUEST, audit_changes, audit_created, audit_record
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
    audit_created(user, UPDATABLE_FIELDS, action="accounts.user.create", actor=actor or user, meta=meta)
    return user


def _is_active_admin(role, active) -> bool:
    return role == Role.ADMIN and bool(active)


def user_check_admin_kept(user, *, role, active, actor, deleting=False) -> None:
    """An ADMIN keeps their own role, and the installation always keeps one active ADMIN.

    The active ADMIN rows are locked (``select_for_update``) before counting, so two ADMINs
    demoting each other at the same moment cannot leave the installation with none.
    """
    losing = _is_active_admin(user.role, user.is_active) and (deleting or not _is_active_admin(role, active))
    if not losing:
        return
    if actor is not None and actor.pk == user.pk and role != Role.ADMIN:
        raise ValidationError({"role": _("Você não pode remover o seu próprio papel de ADMIN.")})
    admins = list(User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).values_list("pk", flat=True))
    if set(admins) <= {user.pk}:
        field = "role" if role != Role.ADMIN else "is_active"
        raise ValidationError({field: _("Este é o último ADMIN ativo: promova outro usuário antes.")})


@transaction.atomic
def user_update(*, user, data, actor, meta=NO_REQUEST):
    """Update the given fields (``password`` included). Caller has checked who may change what."""
    role, active = data.get("role", user.role), data.get("is_active", user.is_active)
    user_check_admin_kept(user, role=role, active=active, actor=actor)
    if "email" in data:
        data = {**data, "email": data["email"].strip().lower()}
        _check_email_free(data["email"], exclude_pk=user.pk)
    if "username" in data:
        _check_username_free(data["username"], exclude_pk=user.pk)
    with audit_changes(
        user, UPDATABLE_FIELDS, action="accounts.user.update", actor=actor, meta=meta, system=True
    ) as extra:
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
            extra["password"] = ["***", "***"]
        _apply_role_flags(user)
        user.full_clean(exclude=["password", "last_login"])
        user.save()
    return user


@transaction.atomic
def user_set_active(*, users, active, actor, meta=NO_REQUEST):
    """Activate or deactivate many users; returns how many changed."""
    changed = 0
    for user in users.select_for_update():
        if user.is_active == active or (not active and user.pk == actor.pk):
            continue
        if not active:
            user_check_admin_kept(user, role=user.role, active=False, actor=actor)
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="accounts.user.activate" if active else "accounts.user.deactivate",
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
    user_check_admin_kept(user, role=user.role, active=user.is_active, actor=actor, deleting=True)
    audit_record(
        actor=actor, action="accounts.user.delete", target=user, changes={"username": [user.username, None]}, meta=meta
    )
    user.delete()

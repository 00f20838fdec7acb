from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from exitus.models import TimeStampedModel

from .choices import Role
from .managers import UserManager


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """A person: investor (USER), viewer (READONLY) or administrator (ADMIN).

    An app's staff are users in the groups that app declares (``groups``); ``is_staff``
    lets them into the admin without making them ADMIN.
    """

    username = models.CharField(
        _("nome de usuário"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": _("Já existe um usuário com este nome de usuário.")},
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    full_name = models.CharField(_("nome completo"), max_length=200, blank=True)
    role = models.CharField(_("papel"), max_length=10, choices=Role.choices, default=Role.USER, db_index=True)
    is_active = models.BooleanField(_("ativo"), default=True, db_index=True)
    is_staff = models.BooleanField(
        _("acesso ao admin"), default=False, help_text=_("Permite entrar no painel administrativo.")
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("usuário")
        verbose_name_plural = _("usuários")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self):
        return self.username

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()

    @property
    def is_admin_role(self):
        return self.role == Role.ADMIN

    @property
    def is_readonly(self):
        return self.role == Role.READONLY

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.username


class AuditEvent(models.Model):
    """One row per state change made by a person: who, what, from → to, when, where from.

    Written by services in the same transaction as the change it records.
    """

    actor = models.ForeignKey(
        User, verbose_name=_("autor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(_("autor (texto)"), max_length=150, blank=True)
    action = models.CharField(_("ação"), max_length=64, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("tipo do objeto"), null=True, blank=True, on_delete=models.SET_NULL
    )
    target_id = models.CharField(_("id do objeto"), max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(_("objeto"), max_length=255, blank=True)
    changes = models.JSONField(_("alterações"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("quando"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("registro de auditoria")
        verbose_name_plural = _("registros de auditoria")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.actor_repr} {self.action} {self.target_repr}"

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exitus.admin_badges import badge

from . import services
from .audit import RequestMeta
from .choices import Role
from .forms import UserChangeForm, UserCreationForm
from .models import AuditEvent, User

ROLE_TONES = {Role.ADMIN: "danger", Role.USER: "info", Role.READONLY: "muted"}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "email", "full_name", "role_badge", "is_active", "is_staff", "last_login", "created_at")
    list_filter = ("role", "is_active", "is_staff", "groups")
    search_fields = ("username", "email", "full_name")
    ordering = ("username",)
    readonly_fields = ("last_login", "created_at", "updated_at")
    actions = ("activate_users", "deactivate_users")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Dados pessoais"), {"fields": ("full_name", "email")}),
        (_("Acesso"), {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Datas"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "full_name", "role", "password1", "password2")}),
    )
    filter_horizontal = ("groups", "user_permissions")

    @admin.display(description=_("papel"), ordering="role")
    def role_badge(self, obj):
        return badge(obj.get_role_display(), ROLE_TONES.get(obj.role, "muted"))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def delete_model(self, request, obj):
        services.user_delete(user=obj, actor=request.user, meta=RequestMeta.from_request(request))

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.pk != request.user.pk)

    @admin.action(description=_("Ativar usuários selecionados"))
    def activate_users(self, request, queryset):
        count = services.user_set_active(
            users=queryset, active=True, actor=request.user, meta=RequestMeta.from_request(request)
        )
        self.message_user(
            request, ngettext("%d usuário ativado.", "%d usuários ativados.", count) % count, messages.SUCCESS
        )

    @admin.action(description=_("Desativar usuários selecionados"))
    def deactivate_users(self, request, queryset):
        try:
            count = services.user_set_active(
                users=queryset, active=False, actor=request.user, meta=RequestMeta.from_request(request)
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request, ngettext("%d usuário desativado.", "%d usuários desativados.", count) % count, messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        # Keep superuser/staff flags consistent with the role, as the API does.
        if obj.role == Role.ADMIN:
            obj.is_superuser = obj.is_staff = True
        super().save_model(request, obj, form, change)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_repr", "action", "target_type", "target_repr", "ip_address")
    list_filter = ("action", "target_type")
    search_fields = ("actor_repr", "target_repr", "action", "target_id")
    date_hierarchy = "created_at"
    list_select_related = ("target_type",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

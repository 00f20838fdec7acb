"""What every billing admin shares: who may see and do what, status tones, times with seconds."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from accounts.audit import RequestMeta
from exitus.admin_badges import badge
from exitus.formats import moment_br

from ..choices import ExecutionStatus, ProcessStatus
from ..selectors import PERM_APPROVE, PERM_OPERATE, PERM_UPLOAD, can_see_billing, user_has_billing_perm

# Status → tone of the project's one palette (exitus.admin_badges).
PROCESS_TONES = {
    ProcessStatus.AGUARDANDO_DOWNLOAD: "warning",
    ProcessStatus.AGUARDANDO_APROVACAO: "info",
    ProcessStatus.AGUARDANDO_ENVIO_SAT: "progress",
    ProcessStatus.UPLOAD_REALIZADO: "success",
}
EXECUTION_TONES = {
    ExecutionStatus.EXECUTANDO: "info",
    ExecutionStatus.CONCLUIDO: "success",
    ExecutionStatus.FALHOU: "danger",
    ExecutionStatus.TENTANDO_NOVAMENTE: "warning",
    ExecutionStatus.CANCELADO: "muted",
    ExecutionStatus.TIMEOUT: "attention",
}


def process_badge(process):
    return badge(process.get_status_display(), PROCESS_TONES.get(process.status, "muted"))


def execution_badge(status, label):
    return badge(label, EXECUTION_TONES.get(status, "muted"))


seconds = moment_br  # a moment in São Paulo time, with seconds


class BillingAdminMixin:
    """Billing staff see everything here; what they may change depends on their group."""

    def has_module_permission(self, request):
        return request.user.is_staff and can_see_billing(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # Permissions named in @admin.action(permissions=[...]).
    def has_operate_permission(self, request):
        return user_has_billing_perm(request.user, PERM_OPERATE)

    def has_approve_permission(self, request):
        return user_has_billing_perm(request.user, PERM_APPROVE)

    def has_upload_permission(self, request):
        return user_has_billing_perm(request.user, PERM_UPLOAD)

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def _run_each(self, request, queryset, call, done_msg):
        """Call a service per object; report how many worked and why the others did not."""
        meta = RequestMeta.from_request(request)
        done, refused = 0, []
        for obj in queryset:
            try:
                call(obj, meta)
                done += 1
            except ValidationError as exc:
                refused.append(f"{obj}: {exc.messages[0]}")
        if done:
            self.message_user(request, done_msg(done), messages.SUCCESS)
        if refused:
            shown = "; ".join(refused[:5]) + (" …" if len(refused) > 5 else "")
            self.message_user(
                request,
                ngettext("%(n)d ignorado: %(why)s", "%(n)d ignorados: %(why)s", len(refused))
                % {"n": len(refused), "why": shown},
                messages.WARNING,
            )


def service_action(service: str, permission: str, description, done: tuple[str, str], *, target: str, select=None):
    """A bulk action that calls ``services.<service>(<target>=row, actor=..., meta=...)`` for each
    selected row (or each row ``select(queryset)`` picks) and reports how many worked (``done``:
    singular and plural, with ``%d``) and why the others did not."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset):
        from .. import services

        call = getattr(services, service)
        modeladmin._run_each(
            request,
            select(queryset) if select else queryset,
            lambda row, meta: call(**{target: row}, actor=request.user, meta=meta),
            lambda n: ngettext(done[0], done[1], n) % n,
        )

    action.__name__ = f"action_{service}"
    return action


# What each bulk action reports (singular, plural).
DONE = {
    "download": ("%d download enfileirado.", "%d downloads enfileirados."),
    "approve": ("%d fatura aprovada.", "%d faturas aprovadas."),
    "send_to_sat": ("%d envio ao SAT enfileirado.", "%d envios ao SAT enfileirados."),
    "cancel": ("%d execução cancelada.", "%d execuções canceladas."),
    "retry": ("%d nova tentativa enfileirada.", "%d novas tentativas enfileiradas."),
}

"""What every portfolio admin shares: saving through the services, read-only derived rows, export and rebuild actions.

Forms save by running the service once while validating (so a refused trade shows its field
errors on the form); ``save_model`` picks up the result. Derived data (positions, receipts,
generated cash) is read-only here.
"""

import logging
from contextlib import contextmanager

from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import router, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import RequestMeta
from exitus.admin_badges import coloured
from exitus.formats import money_br
from exitus.queueing import QueueUnavailable

from .. import exports
from ..tasks import rebuild_positions

logger = logging.getLogger(__name__)


def request_meta(request):
    return RequestMeta.from_request(request)


def stash_upload(content: bytes, *, folder: str, salt: str, **job) -> str:
    """Keep an uploaded file between its preview and the confirmation: stored, named in a signed token
    (with ``job``, the form's choices)."""
    stored = default_storage.save(f"portfolio/{folder}/{get_random_string(16)}.upload", ContentFile(content))
    return signing.dumps({"path": stored, **job}, salt=salt)


@contextmanager
def stashed_upload(token: str, *, salt: str):
    """``(job, content)`` of a :func:`stash_upload` token; the file is deleted afterwards. An expired or
    forged token raises ``signing.BadSignature``."""
    job = signing.loads(token, salt=salt, max_age=3600)
    with default_storage.open(job["path"], "rb") as handle:
        content = handle.read()
    try:
        yield job, content
    finally:
        default_storage.delete(job["path"])


def money_cell(value, currency=""):
    """``R$ 42.325,30`` (pt-BR separators, the currency's symbol), green when positive, red when negative."""
    if value is None:
        return "—"
    tone = "success" if value > 0 else "danger" if value < 0 else "muted"
    return coloured(money_br(value, currency or "BRL"), tone)


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through ``service_save`` / ``service_delete``; service errors land on the form.

    The service runs once per save, during the form's validation, so a refusal shows as field
    errors on the form; ``save_model`` then only picks up what it saved. If the page is shown
    again instead (an inline formset was invalid), :meth:`changeform_view` rolls the write back.
    """

    def service_save(self, request, original, data: dict, change: bool):
        raise NotImplementedError

    def service_delete(self, request, obj):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                data = {name: cleaned[name] for name in self.changed_data if name in cleaned} if change else cleaned
                try:
                    with transaction.atomic():  # a refusal undoes whatever the service began
                        request.service_saved = model_admin.service_save(request, obj, data, change)
                except ValidationError as exc:
                    attach_errors(self, exc)
                return cleaned

        return ServiceForm

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            request.service_saved = request.service_used = None
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.service_saved is not None and not request.service_used:
                transaction.set_rollback(True)  # validated, then not saved: leave nothing behind
        return response

    def save_model(self, request, obj, form, change):
        saved = request.service_saved
        request.service_used = True
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id]))


def attach_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            messages_ = [m for e in errors for m in e.messages]
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, exc.messages)


def export_action(columns, name, fmt):
    def action(modeladmin, request, queryset):
        content, media_type = exports.render(fmt, columns, queryset, title=name)
        response = HttpResponse(content, content_type=media_type)
        response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"'
        return response

    action.__name__ = f"export_{name}_{fmt}"
    action.short_description = _("Exportar selecionados (%(fmt)s)") % {"fmt": fmt.upper()}
    return action


def queue_rebuild(modeladmin, request, pairs):
    """Queue one rebuild per owner × asset; with the broker down, say that nothing was queued.

    An admin action writes nothing first, so the tasks are sent right away (bounded by the broker
    clients' timeouts) and a failure is reported on the page instead of surfacing as a 500.
    """
    owners = {owner for owner, _asset in pairs}
    try:
        for owner_id, asset_id in sorted(pairs):
            rebuild_positions.delay(owner_id=owner_id, asset_id=asset_id)
    except Exception as exc:  # noqa: BLE001 - every broker error means "not queued"
        modeladmin.message_user(request, QueueUnavailable.default_detail, messages.ERROR)
        logger.warning("rebuild not queued: %s", exc.__class__.__name__)
        return
    modeladmin.message_user(
        request,
        ngettext(
            "Reconstrução enfileirada para %(pairs)d par dono × ativo (%(owners)d dono).",
            "Reconstrução enfileirada para %(pairs)d pares dono × ativo (%(owners)d donos).",
            len(pairs),
        )
        % {"pairs": len(pairs), "owners": len(owners)},
        messages.SUCCESS,
    )


class DerivedInline(admin.TabularInline):
    """Derived rows shown under their parent: read-only, never added or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class DerivedAdmin(admin.ModelAdmin):
    """Rows derived from trades: never added, edited or deleted here directly.

    Delete permission stays on so that deleting their source (a trade, a portfolio, a dividend)
    is not blocked by the admin's cascade check; the direct delete view and action are refused.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class PortfolioPageAdmin(admin.ModelAdmin):
    """A read-only list of portfolios whose change page is a report (evolution, income calendar):
    subclasses render it in :meth:`report_view` for a portfolio the user may see."""

    list_display = ("name", "owner", "report_link")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)
    link_text = _("abrir")

    @admin.display(description=_("relatório"))
    def report_link(self, obj):
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, self.link_text)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        portfolio = self.get_object(request, object_id)
        if portfolio is None or not self.has_view_permission(request, portfolio):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return self.report_view(request, portfolio)

    def report_view(self, request, portfolio):
        raise NotImplementedError

"""Corporate events."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CorporateEvent
from .base import ServiceAdmin, request_meta


@admin.register(CorporateEvent)
class CorporateEventAdmin(ServiceAdmin):
    list_display = ("asset", "kind", "event_date", "data_com", "ratio_display", "assigned_cost", "new_asset")
    list_filter = ("kind", "event_date")
    search_fields = ("asset__ticker", "new_asset__ticker", "notes")
    autocomplete_fields = ("asset", "new_asset")
    list_select_related = ("asset", "new_asset")
    date_hierarchy = "event_date"
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("proporção"))
    def ratio_display(self, obj):
        return obj.ratio

    def service_save(self, request, original, data, change):
        if change:
            return services.event_update(event=original, **data, actor=request.user, meta=request_meta(request))
        return services.event_create(**data, actor=request.user, meta=request_meta(request))

    def service_delete(self, request, obj):
        services.event_delete(event=obj, actor=request.user, meta=request_meta(request))

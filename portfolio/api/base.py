"""Where every portfolio endpoint gets its queryset: scoping to the requesting user lives here only.

- :class:`OwnedViewSet` — investor data (portfolios, trades, positions, receipts, cash). A user
  sees only their own rows, so another user's object is a 404; ADMIN sees everyone's. Subclasses
  say *what* to list in :meth:`base_queryset`; they cannot override ``get_queryset`` or
  ``get_object`` (enforced when the class is created).
- :class:`CatalogueViewSet` — global catalogues (brokers, assets, events, dividends): everyone
  authenticated reads, ADMIN writes.

READONLY users are refused every write by the project-wide ``ReadOnlyRoleCannotWrite``.
Numeric lookups only (``lookup_value_regex``): ``assets/lookup/`` (quotes app) must not be
swallowed by ``assets/{pk}/``.
"""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from accounts.audit import RequestMeta
from accounts.permissions import AdminWritesOthersRead, ReadOnlyRoleCannotWrite
from exitus.api.params import id_param

from .. import exports

NUMERIC_ID = r"[0-9]+"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin_role)


def requested_owner_id(request) -> int | None:
    """The user an ADMIN acts for: ``?owner=<id>`` (``?user=<id>`` is kept as an alias).

    ``None`` when none is named or the requester is not an ADMIN (everyone else only ever
    reads their own data: the parameter is ignored for them).
    """
    if not is_admin(request.user):
        return None
    name = "owner" if request.query_params.get("owner", "") != "" else "user"
    return id_param(request, name)


def owner_for(request) -> int:
    """Whose data a request reads: the user's own; ADMIN may name someone (:func:`requested_owner_id`)."""
    return requested_owner_id(request) or request.user.pk


def scope_to_user(queryset: QuerySet, user, owner_field: str = "owner") -> QuerySet:
    """The rows of ``queryset`` that ``user`` may see."""
    if not (user and user.is_authenticated):
        return queryset.none()
    if is_admin(user):
        return queryset
    return queryset.filter(**{owner_field: user})


class _PortfolioViewSet(viewsets.GenericViewSet):
    lookup_value_regex = NUMERIC_ID

    def meta(self) -> RequestMeta:
        return RequestMeta.from_request(self.request)


class OwnedViewSet(_PortfolioViewSet):
    owner_field = "owner"
    permission_classes = [IsAuthenticated, ReadOnlyRoleCannotWrite]
    _sealed = ("get_queryset", "get_object", "queryset")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls._sealed:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} must not define {name}: OwnedViewSet scopes every query; "
                    "implement base_queryset() instead."
                )

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.base_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return queryset.none()
        return scope_to_user(queryset, self.request.user, self.owner_field)


class CatalogueViewSet(_PortfolioViewSet):
    permission_classes = [IsAuthenticated, AdminWritesOthersRead, ReadOnlyRoleCannotWrite]


class ExportMixin:
    """``GET <list>/export/?format=csv|xlsx``: the list's rows, with the list's filters, as a file.

    Content negotiation is bypassed for the export itself (``format`` names the file type, not a
    DRF renderer), so errors such as an invalid filter still come back as JSON.
    """

    export_columns: list = []
    export_name = "export"

    def perform_content_negotiation(self, request, force=False):
        if getattr(self, "action", None) in ("export", None):  # None: a method the route does not serve (405)
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "xlsx"], description="Tipo do arquivo (padrão: csv).")
        ],
        responses={
            (200, exports.CSV_MEDIA_TYPE): OpenApiTypes.BINARY,
            (200, exports.XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request, *args, **kwargs):
        fmt = request.query_params.get("format", "csv").lower()
        if fmt not in ("csv", "xlsx"):
            raise ValidationError({"format": [_("Use csv ou xlsx.")]})
        queryset = self.filter_queryset(self.get_queryset())
        content, media_type = exports.render(
            fmt, self.export_columns, queryset.iterator(chunk_size=2000), title=self.export_name
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content, content_type=media_type)
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}-{stamp}.{fmt}"'
        return response

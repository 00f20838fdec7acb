"""Desk API: thin views over ``portfolio.desk.services`` and ``selectors``; scoping by ``OwnedViewSet``."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ...api.base import OwnedViewSet, requested_owner_id
from .. import services
from ..choices import LikelyCause, LineStatus, ReconciliationKind
from ..filters import ReconciliationFilter, ReconciliationLineFilter
from ..models import Reconciliation
from . import serializers as s

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)


def owner_param():
    return OpenApiParameter("owner", int, description=_("Só ADMIN: id do usuário em nome de quem agir."))


def acting_owner(request, portfolio=None):
    """Whose data a write is for: the portfolio's owner when one is named, else the requester (ADMIN: ``?owner=``)."""
    if portfolio is not None:
        return portfolio.owner
    owner_id = requested_owner_id(request)
    if owner_id is None:
        return request.user
    owner = get_user_model().objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({"owner": [_("Usuário não encontrado.")]})
    return owner


class ReconciliationViewSet(*READ, mixins.DestroyModelMixin, OwnedViewSet):
    """Reconciliation runs: the books against B3's position statement or a broker's cash, as of a date.

    ``import/`` reads a file (a re-run of the same file updates the same run and, when nothing
    changed, writes nothing); ``cash/`` takes typed balances; ``{id}/lines/`` lists every line."""

    filterset_class = ReconciliationFilter
    ordering_fields = ["as_of", "created_at", "differences"]
    ordering = ["-as_of", "-id"]

    def base_queryset(self):
        return Reconciliation.objects.select_related("portfolio")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ReconciliationDetailSerializer
        return s.ReconciliationSerializer

    def perform_destroy(self, instance):
        services.reconciliation_delete(reconciliation=instance, actor=self.request.user, meta=self.meta())

    def _answer(self, run, created):
        run.created = created
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.ReconciliationRunSerializer(run).data, status=code)

    @extend_schema(
        request={"multipart/form-data": s.ReconciliationImportSerializer},
        responses={200: s.ReconciliationRunSerializer, 201: s.ReconciliationRunSerializer},
        parameters=[owner_param()],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
        pagination_class=None,
    )
    def import_file(self, request):
        """Reconcile a B3 position statement (XLSX/CSV, ``kind=posicao``) or a file of cash balances
        (``kind=caixa``: Instituição;Saldo;Moeda) as of ``as_of`` (default: the date in the file name)."""
        serializer = s.ReconciliationImportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        reconcile = (
            services.reconcile_positions
            if data["kind"] == ReconciliationKind.POSITIONS
            else services.reconcile_cash_file
        )
        run, created = reconcile(
            owner=acting_owner(request, data["portfolio"]),
            content=upload.read(),
            file_name=upload.name,
            as_of=data["as_of"],
            portfolio=data["portfolio"],
            actor=request.user,
            meta=self.meta(),
        )
        return self._answer(run, created)

    @extend_schema(
        request=s.CashReconciliationSerializer,
        responses={200: s.ReconciliationRunSerializer, 201: s.ReconciliationRunSerializer},
        parameters=[owner_param()],
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def cash(self, request):
        """Typed balances of brokers as of a date, compared with the cash movements up to that day."""
        serializer = s.CashReconciliationSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run, created = services.reconcile_cash(
            owner=acting_owner(request, data["portfolio"]),
            as_of=data["as_of"],
            balances=data["balances"],
            portfolio=data["portfolio"],
            actor=request.user,
            meta=self.meta(),
        )
        return self._answer(run, created)

    @extend_schema(
        responses=s.ReconciliationLineSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, many=True, enum=LineStatus.values),
            OpenApiParameter("cause", str, many=True, enum=LikelyCause.values[1:]),
            OpenApiParameter("broker", int),
            OpenApiParameter("ticker", str),
        ],
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def lines(self, request, pk=None):
        """Every line of the run (``status``, ``cause``, ``broker``, ``ticker`` filters)."""
        run = self.get_object()
        found = ReconciliationLineFilter(request.query_params, queryset=run.lines.select_related("broker", "asset"))
        if not found.is_valid():
            raise ValidationError(found.errors)
        queryset = found.qs.order_by("status", "institution", "ticker", "id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.ReconciliationLineSerializer(page, many=True).data)

"""Desk API: thin views over ``portfolio.desk.services`` and ``selectors``; scoping by ``OwnedViewSet``."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from exitus.api.params import id_param

from ...api.base import OwnedViewSet, owner_for, requested_owner_id
from ...filters import visible_portfolios
from .. import selectors, services
from ..choices import LikelyCause, LineStatus, ReconciliationKind
from ..filters import (
    AlertFilter,
    BrokerageNoteFilter,
    NotificationFilter,
    ReconciliationFilter,
    ReconciliationLineFilter,
)
from ..models import Alert, BrokerageNote, Notification, Reconciliation
from . import serializers as s

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
CRUD = (*READ, mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin)


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


@extend_schema_view(
    create=extend_schema(
        request=s.AlertWriteSerializer, responses={201: s.AlertSerializer}, parameters=[owner_param()]
    ),
    update=extend_schema(request=s.AlertUpdateSerializer, responses=s.AlertSerializer),
    partial_update=extend_schema(request=s.AlertUpdateSerializer, responses=s.AlertSerializer),
)
class AlertViewSet(*CRUD, OwnedViewSet):
    """The user's alerts. Each fires once per crossing (in-app notification and e-mail) and re-arms
    when its condition clears; ``snooze``/``unsnooze`` quiet one for a while."""

    serializer_class = s.AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "kind", "last_fired_at"]
    ordering = ["kind", "id"]

    def base_queryset(self):
        return Alert.objects.select_related("asset", "portfolio")

    def create(self, request, *args, **kwargs):
        serializer = s.AlertWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        alert = services.alert_create(
            owner=acting_owner(request, data.get("portfolio")), **data, actor=request.user, meta=self.meta()
        )
        return Response(s.AlertSerializer(alert).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        alert = self.get_object()
        serializer = s.AlertUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        alert = services.alert_update(alert=alert, **serializer.validated_data, actor=request.user, meta=self.meta())
        return Response(s.AlertSerializer(alert).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.alert_delete(alert=instance, actor=self.request.user, meta=self.meta())

    @extend_schema(request=s.SnoozeSerializer, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def snooze(self, request, pk=None):
        """Quiet the alert until ``until`` (or for ``hours``): it is not evaluated meanwhile."""
        alert = self.get_object()
        serializer = s.SnoozeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        until = serializer.validated_data["until"] or timezone.now() + timedelta(
            hours=serializer.validated_data["hours"]
        )
        alert = services.alert_snooze(alert=alert, until=until, actor=request.user, meta=self.meta())
        return Response(s.AlertSerializer(alert).data)

    @extend_schema(request=None, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def unsnooze(self, request, pk=None):
        alert = services.alert_unsnooze(alert=self.get_object(), actor=request.user, meta=self.meta())
        return Response(s.AlertSerializer(alert).data)


class NotificationViewSet(*READ, mixins.DestroyModelMixin, OwnedViewSet):
    """In-app notifications (newest first; ``unread=true`` for the unread ones). ``{id}/read/`` marks one,
    ``read-all/`` marks all (or the ``ids`` given)."""

    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return Notification.objects.all()

    def perform_destroy(self, instance):
        services.notification_delete(notification=instance)

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notifications_mark_read(owner_id=notification.owner_id, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(request=s.ReadAllSerializer, responses=s.CountSerializer, parameters=[owner_param()])
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None, pagination_class=None)
    def read_all(self, request):
        serializer = s.ReadAllSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = acting_owner(request)
        updated = services.notifications_mark_read(owner_id=owner.pk, ids=serializer.validated_data.get("ids"))
        return Response({"updated": updated})


class IncomeCalendarView(APIView):
    """Proventos to receive per month for the next 12 months (per asset and per portfolio), and paid vs
    expected in the last 12 months; net of withholding (JCP at the dated table's rate), in BRL (foreign
    receipts without a known FX rate are listed in ``missing_fx``, never converted at 1.0)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: s.IncomeCalendarSerializer, 404: None},
        parameters=[
            OpenApiParameter("portfolio", int, description=_("Uma carteira (padrão: todas)."), required=False),
            owner_param(),
        ],
    )
    def get(self, request):
        owner_id = owner_for(request)
        portfolio_id = id_param(request, "portfolio")
        if portfolio_id is not None:
            portfolio = visible_portfolios(request).filter(pk=portfolio_id).first()
            if portfolio is None:
                raise NotFound(_("Carteira não encontrada."))
            owner_id = portfolio.owner_id
        data = selectors.income_calendar(owner_id=owner_id, portfolio_id=portfolio_id)
        return Response(s.IncomeCalendarSerializer(data).data)


class BrokerageNoteViewSet(*READ, mixins.DestroyModelMixin, OwnedViewSet):
    """Brokerage notes imported from SINACOR PDFs, with the trades each created or whose fees it filled in.
    Deleting a note undoes it (its trades are deleted; the fees it filled in are put back)."""

    serializer_class = s.BrokerageNoteSerializer
    filterset_class = BrokerageNoteFilter
    ordering_fields = ["trade_date", "created_at"]
    ordering = ["-trade_date", "-id"]

    def base_queryset(self):
        return BrokerageNote.objects.select_related("portfolio", "broker").prefetch_related("trades")

    def perform_destroy(self, instance):
        services.brokerage_note_delete(note=instance, actor=self.request.user, meta=self.meta())

    @extend_schema(
        request={"multipart/form-data": s.NoteImportSerializer},
        responses={200: s.NoteImportResultSerializer, 201: s.NoteImportResultSerializer},
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
        """Import the notes of a PDF: ``dry_run`` (the default) previews every note (trades, fees per trade,
        what would be filled or created, errors); otherwise each note is imported on its own — one with an
        error is reported and skipped. A note imported before is reported as ``duplicate``. 201 when
        something was written."""
        serializer = s.NoteImportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        if upload.size > settings.PORTFOLIO_IMPORT_MAX_BYTES:
            raise ValidationError({"file": [_("Arquivo grande demais.")]})
        report = services.notes_import(
            content=upload.read(),
            file_name=upload.name,
            portfolio=data["portfolio"],
            broker=data["broker"],
            dry_run=data["dry_run"],
            password=data["password"],
            actor=request.user,
            meta=self.meta(),
        )
        summary = report.summary()
        written = not report.dry_run and (summary["new"] > 0)
        return Response(report.as_dict(), status=status.HTTP_201_CREATED if written else status.HTTP_200_OK)

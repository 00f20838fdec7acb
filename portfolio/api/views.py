"""Portfolio API. Thin: parse input, call a service or a selector, shape the output.

Scoping (who sees what) is in ``base.py``; rules are in ``portfolio.services``.
"""

from django.db.models import Count
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from exitus.api.params import MAX_ID, int_param, parse_int

from .. import exports, importers, market_data, selectors, services
from ..filters import (
    AssetFilter,
    BrokerFilter,
    CashMovementFilter,
    CorporateEventFilter,
    CustodyTransferFilter,
    DividendFilter,
    DividendReceiptFilter,
    FractionSaleFilter,
    OpeningPositionFilter,
    PortfolioFilter,
    PositionFilter,
    TransactionFilter,
)
from ..models import (
    Asset,
    Broker,
    CashMovement,
    CorporateEvent,
    CustodyTransfer,
    Dividend,
    DividendReceipt,
    FractionSale,
    OpeningPosition,
    Portfolio,
    Position,
    Transaction,
)
from ..tax import selectors as tax_selectors
from ..tax.api.views import json_response
from . import serializers as s
from .base import CatalogueViewSet, ExportMixin, OwnedViewSet, owner_for

CRUD = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)
READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)


class ServiceWritesMixin:
    """Create/update/delete through service functions (``save_service(instance, data)``, ``delete_service``)."""

    def save_service(self, instance, data):
        raise NotImplementedError

    def delete_service(self, instance):
        raise NotImplementedError

    def perform_create(self, serializer):
        serializer.instance = self.save_service(None, serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.save_service(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        self.delete_service(instance)


def owner_param():
    return OpenApiParameter("owner", int, description=_("Só ADMIN: id do usuário cujos dados mostrar."))


# --- catalogues ----------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(summary="Corretoras"))
class BrokerViewSet(ServiceWritesMixin, *CRUD, CatalogueViewSet):
    """Brokers and crypto exchanges (global: ADMIN edits). Cash balances are per user: ``{id}/balance/``."""

    queryset = Broker.objects.all()
    serializer_class = s.BrokerSerializer
    filterset_class = BrokerFilter
    ordering_fields = ["name", "country", "created_at"]
    ordering = ["name"]

    def save_service(self, instance, data):
        return services.broker_save(broker=instance, data=data, actor=self.request.user, meta=self.meta())

    def delete_service(self, instance):
        services.broker_delete(broker=instance, actor=self.request.user, meta=self.meta())

    @extend_schema(responses=s.BalanceSerializer(many=True), parameters=[owner_param()])
    @action(detail=True, methods=["get"], pagination_class=None)
    def balance(self, request, pk=None):
        """The requesting user's cash at this broker, per currency (derived from cash movements)."""
        broker = self.get_object()
        rows = selectors.cash_balances(owner_id=owner_for(request), broker_id=broker.pk)
        return Response(s.BalanceSerializer(rows, many=True).data)


class AssetViewSet(ServiceWritesMixin, *CRUD, CatalogueViewSet):
    """Assets (global: ADMIN edits). Search by ticker/name; filter by type, class, market, delisted."""

    queryset = Asset.objects.all()
    serializer_class = s.AssetSerializer
    filterset_class = AssetFilter
    ordering_fields = ["ticker", "name", "asset_type", "market", "created_at"]
    ordering = ["ticker"]

    def save_service(self, instance, data):
        return services.asset_save(asset=instance, data=data, actor=self.request.user, meta=self.meta())

    def delete_service(self, instance):
        services.asset_delete(asset=instance, actor=self.request.user, meta=self.meta())


class CorporateEventViewSet(ServiceWritesMixin, *CRUD, CatalogueViewSet):
    """Corporate events (global: ADMIN records). Positions of every holder are replayed from the event date."""

    queryset = CorporateEvent.objects.select_related("asset", "new_asset")
    serializer_class = s.CorporateEventSerializer
    filterset_class = CorporateEventFilter
    ordering_fields = ["event_date", "created_at"]
    ordering = ["-event_date", "-id"]

    def save_service(self, instance, data):
        if instance is None:
            return services.event_create(**data, actor=self.request.user, meta=self.meta())
        return services.event_update(event=instance, **data, actor=self.request.user, meta=self.meta())

    def delete_service(self, instance):
        services.event_delete(event=instance, actor=self.request.user, meta=self.meta())


class DividendViewSet(ServiceWritesMixin, *CRUD, CatalogueViewSet):
    """Proventos announced per share (global: ADMIN records). Receipts per holder are computed."""

    queryset = Dividend.objects.select_related("asset").annotate(receipts_count=Count("receipts"))
    serializer_class = s.DividendSerializer
    filterset_class = DividendFilter
    ordering_fields = ["data_com", "payment_date", "created_at"]
    ordering = ["-data_com", "-id"]

    def save_service(self, instance, data):
        if instance is None:
            return services.dividend_create(**data, actor=self.request.user, meta=self.meta())
        return services.dividend_update(dividend=instance, **data, actor=self.request.user, meta=self.meta())

    def delete_service(self, instance):
        services.dividend_delete(dividend=instance, actor=self.request.user, meta=self.meta())


# --- investor data -------------------------------------------------------------------------


class PortfolioViewSet(ServiceWritesMixin, *CRUD, OwnedViewSet):
    """The user's portfolios (ADMIN: everyone's). ``{id}/dashboard/`` values one portfolio."""

    serializer_class = s.PortfolioSerializer
    filterset_class = PortfolioFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def base_queryset(self):
        return Portfolio.objects.all()

    def save_service(self, instance, data):
        return services.portfolio_save(
            portfolio=instance, owner=self.request.user, data=data, actor=self.request.user, meta=self.meta()
        )

    def delete_service(self, instance):
        services.portfolio_delete(portfolio=instance, actor=self.request.user, meta=self.meta())

    @extend_schema(
        responses=s.DashboardSerializer,
        parameters=[OpenApiParameter("top", int, description=_("Quantas maiores posições (padrão 10, máx. 50)."))],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def dashboard(self, request, pk=None):
        """One portfolio, valued in BRL at the latest quotes and FX."""
        portfolio = self.get_object()
        data = selectors.dashboard(owner_id=portfolio.owner_id, portfolio=portfolio, top=top_param(request))
        return Response(data)


def top_param(request) -> int:
    return int_param(request, "top", default=10, minimum=1, maximum=50)


class DashboardView(APIView):
    """All of the user's portfolios together (ADMIN: ``?owner=`` for someone else's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=s.DashboardSerializer,
        parameters=[owner_param(), OpenApiParameter("top", int, description=_("Quantas maiores posições."))],
    )
    def get(self, request):
        return Response(selectors.dashboard(owner_id=owner_for(request), top=top_param(request)))


@extend_schema_view(
    create=extend_schema(request=s.TransactionWriteSerializer, responses={201: s.TransactionSerializer}),
    update=extend_schema(request=s.TransactionUpdateSerializer, responses=s.TransactionSerializer),
    partial_update=extend_schema(request=s.TransactionUpdateSerializer, responses=s.TransactionSerializer),
)
class TransactionViewSet(ExportMixin, *CRUD, OwnedViewSet):
    """Trades. Recording one updates its position incrementally; edits and deletions replay that asset."""

    serializer_class = s.TransactionSerializer
    filterset_class = TransactionFilter
    ordering_fields = ["trade_date", "created_at", "quantity", "net_amount"]
    ordering = ["-trade_date", "-id"]
    export_columns = exports.TRANSACTION_COLUMNS
    export_name = "transacoes"

    def base_queryset(self):
        return Transaction.objects.select_related("portfolio", "broker", "asset")

    def create(self, request, *args, **kwargs):
        serializer = s.TransactionWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        tx = services.transaction_create(
            data=services.TradeInput(**serializer.validated_data), actor=request.user, meta=self.meta()
        )
        return Response(s.TransactionSerializer(tx).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        tx = self.get_object()
        serializer = s.TransactionUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        tx = services.transaction_update(tx=tx, changes=serializer.validated_data, actor=request.user, meta=self.meta())
        return Response(s.TransactionSerializer(tx).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.transaction_delete(tx=instance, actor=self.request.user, meta=self.meta())

    @extend_schema(
        request={"multipart/form-data": s.ImportRequestSerializer},
        responses={200: s.ImportResultSerializer, 201: s.ImportResultSerializer, 400: s.ImportResultSerializer},
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
        """Import a B3 negociação/movimentação file (XLSX/CSV) or a generic CSV.

        ``dry_run`` (the default) answers with the preview: every row's status and error, the
        assets and brokers that would be created. Without it the rows are imported all or nothing:
        any error → 400 with the same report and nothing written. Re-importing creates nothing.
        """
        serializer = s.ImportRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        report = importers.run(
            content=upload.read(),
            file_name=upload.name,
            portfolio=data["portfolio"],
            source=data["source"],
            default_broker=data["broker"],
            dry_run=data["dry_run"],
            fill_b3_fees=data["fill_b3_fees"],
            actor=request.user,
            meta=self.meta(),
        )
        body = report.as_dict()
        code = status.HTTP_400_BAD_REQUEST if report.errors and not data["dry_run"] else status.HTTP_200_OK
        if not data["dry_run"] and not report.errors:
            code = status.HTTP_201_CREATED
        return Response(body, status=code)


class PositionViewSet(ExportMixin, *READ, OwnedViewSet):
    """The custody view: positions per portfolio × broker × asset (derived: read-only), with the latest
    quote. The taxpayer's preço médio (per CPF, what the income tax uses) is ``consolidated/``."""

    serializer_class = s.PositionSerializer
    filterset_class = PositionFilter
    ordering_fields = ["asset__ticker", "quantity", "cost_basis", "last_trade_date"]
    ordering = ["portfolio_id", "asset__ticker", "id"]
    export_columns = exports.POSITION_COLUMNS
    export_name = "posicoes"

    def base_queryset(self):
        return Position.objects.select_related("asset", "broker", "portfolio")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("quotes", {})
        return context

    def _with_quotes(self, positions):
        context = self.get_serializer_context()
        context["quotes"] = market_data.latest_quotes(asset_ids={p.asset_id for p in positions})
        return s.PositionSerializer(positions, many=True, context=context).data

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self._with_quotes(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._with_quotes([self.get_object()])[0])

    @extend_schema(responses=s.ConsolidatedPositionSerializer(many=True))
    @action(detail=False, methods=["get"])
    def consolidated(self, request):
        """One row per asset of the taxpayer (all portfolios and brokers) at the Receita's preço médio:
        the quantity, average cost, cost basis and realized P&L the tax engine uses. Filters ``asset``,
        ``ticker`` and ``open`` apply; portfolio and broker do not (that is the custody view)."""
        self.filter_queryset(self.get_queryset())  # validates the filters (400 on a bad one)
        rows = tax_selectors.consolidated_positions(owner_id=owner_for(request))
        rows = _filter_consolidated(rows, request.query_params)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ConsolidatedPositionSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("asset_id", int, OpenApiParameter.PATH)],
        responses={200: s.ConsolidatedLedgerSerializer, 404: None},
    )
    @action(detail=False, methods=["get"], url_path=r"consolidated/(?P<asset_id>[0-9]+)/ledger")
    def ledger(self, request, asset_id=None):
        """Every opening balance, trade, corporate event, transfer and leilão de frações that built the
        consolidated position, in order, each with the running quantity, average cost, cost basis and
        realized P&L after it. No history of this asset for the user → 404."""
        owner_id = owner_for(request)
        asset = parse_int(asset_id, name="asset_id", minimum=1, maximum=MAX_ID)

        def render():
            found = tax_selectors.consolidated_ledger(owner_id=owner_id, asset_id=asset)
            return s.ConsolidatedLedgerSerializer(found).data if found is not None else None

        raw = tax_selectors.cached_json(owner_id, f"ledger:{asset}", render)
        if raw is None:
            raise NotFound(_("Sem histórico deste ativo."))
        return json_response(request, raw)


def _filter_consolidated(rows, params) -> list:
    assets = {int(a) for a in params.getlist("asset") if a.isdigit()}
    tickers = {t.strip().upper() for t in params.getlist("ticker") if t.strip()}
    if assets:
        rows = [r for r in rows if r["asset_id"] in assets]
    if tickers:
        rows = [r for r in rows if r["ticker"] in tickers]
    if params.get("open") in ("true", "1", "True"):
        rows = [r for r in rows if r["quantity"] > 0]
    elif params.get("open") in ("false", "0", "False"):
        rows = [r for r in rows if r["quantity"] == 0]
    return rows


class DividendReceiptViewSet(ExportMixin, *READ, OwnedViewSet):
    """What the user received of each provento (computed from holdings on the data com)."""

    serializer_class = s.DividendReceiptSerializer
    filterset_class = DividendReceiptFilter
    ordering_fields = ["dividend__data_com", "dividend__payment_date", "net_amount"]
    ordering = ["-dividend__data_com", "-id"]
    export_columns = exports.RECEIPT_COLUMNS
    export_name = "proventos"

    def base_queryset(self):
        return DividendReceipt.objects.select_related("dividend__asset", "position__portfolio", "position__broker")


@extend_schema_view(
    create=extend_schema(request=s.CashMovementWriteSerializer, responses={201: s.CashMovementSerializer}),
    update=extend_schema(request=s.CashMovementUpdateSerializer, responses=s.CashMovementSerializer),
    partial_update=extend_schema(request=s.CashMovementUpdateSerializer, responses=s.CashMovementSerializer),
)
class CashMovementViewSet(*CRUD, OwnedViewSet):
    """Cash movements. Deposits, withdrawals, transfers, fees, taxes and adjustments are typed;
    trade settlements and dividend credits are created by their trade/provento and read-only here."""

    serializer_class = s.CashMovementSerializer
    filterset_class = CashMovementFilter
    ordering_fields = ["date", "amount", "created_at"]
    ordering = ["-date", "-id"]

    def base_queryset(self):
        return CashMovement.objects.select_related("broker")

    def create(self, request, *args, **kwargs):
        serializer = s.CashMovementWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        movement = services.cash_movement_create(
            owner=request.user, **serializer.validated_data, actor=request.user, meta=self.meta()
        )
        return Response(s.CashMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        movement = self.get_object()
        serializer = s.CashMovementUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        movement = services.cash_movement_update(
            movement=movement, **serializer.validated_data, actor=request.user, meta=self.meta()
        )
        return Response(s.CashMovementSerializer(movement).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.cash_movement_delete(movement=instance, actor=self.request.user, meta=self.meta())


class _ServiceWrites:
    """create/update/destroy through a service; the owner is the portfolio's (ADMIN may act for anyone)."""

    write_serializer = update_serializer = None
    services_create = services_update = services_delete = None
    instance_name = "item"

    def create(self, request, *args, **kwargs):
        serializer = self.write_serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = type(self).services_create(owner=data["portfolio"].owner, **data, actor=request.user, meta=self.meta())
        return Response(self.serializer_class(item).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        item = self.get_object()
        serializer = self.update_serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        item = type(self).services_update(
            **{self.instance_name: item}, **serializer.validated_data, actor=request.user, meta=self.meta()
        )
        return Response(self.serializer_class(item).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        type(self).services_delete(**{self.instance_name: instance}, actor=self.request.user, meta=self.meta())


@extend_schema_view(
    create=extend_schema(request=s.OpeningPositionWriteSerializer, responses={201: s.OpeningPositionSerializer}),
    update=extend_schema(request=s.OpeningPositionUpdateSerializer, responses=s.OpeningPositionSerializer),
    partial_update=extend_schema(request=s.OpeningPositionUpdateSerializer, responses=s.OpeningPositionSerializer),
)
class OpeningPositionViewSet(_ServiceWrites, ExportMixin, *CRUD, OwnedViewSet):
    """Opening balances: positions brought from elsewhere as of a date (quantity and average cost).
    Positions, tax and performance start from them; each enters the ledger explanations."""

    serializer_class = s.OpeningPositionSerializer
    write_serializer = s.OpeningPositionWriteSerializer
    update_serializer = s.OpeningPositionUpdateSerializer
    services_create = staticmethod(services.opening_position_create)
    services_update = staticmethod(services.opening_position_update)
    services_delete = staticmethod(services.opening_position_delete)
    instance_name = "opening"
    filterset_class = OpeningPositionFilter
    ordering_fields = ["as_of", "created_at"]
    ordering = ["as_of", "id"]
    export_columns = exports.OPENING_COLUMNS
    export_name = "saldos-iniciais"

    def base_queryset(self):
        return OpeningPosition.objects.select_related("asset", "broker", "portfolio")


@extend_schema_view(
    create=extend_schema(request=s.CustodyTransferWriteSerializer, responses={201: s.CustodyTransferSerializer}),
    update=extend_schema(request=s.CustodyTransferUpdateSerializer, responses=s.CustodyTransferSerializer),
    partial_update=extend_schema(request=s.CustodyTransferUpdateSerializer, responses=s.CustodyTransferSerializer),
)
class CustodyTransferViewSet(_ServiceWrites, *CRUD, OwnedViewSet):
    """Custody transfers between brokers (portabilidade): neither a sale nor a purchase — the taxpayer's
    preço médio is kept; validated against what the source broker held on that date."""

    serializer_class = s.CustodyTransferSerializer
    write_serializer = s.CustodyTransferWriteSerializer
    update_serializer = s.CustodyTransferUpdateSerializer
    services_create = staticmethod(services.custody_transfer_create)
    services_update = staticmethod(services.custody_transfer_update)
    services_delete = staticmethod(services.custody_transfer_delete)
    filterset_class = CustodyTransferFilter
    ordering_fields = ["date", "created_at"]
    ordering = ["-date", "-id"]

    def base_queryset(self):
        return CustodyTransfer.objects.select_related("asset", "from_broker", "to_broker", "portfolio")


@extend_schema_view(
    create=extend_schema(request=s.FractionSaleWriteSerializer, responses={201: s.FractionSaleSerializer}),
)
class FractionSaleViewSet(
    _ServiceWrites,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    OwnedViewSet,
):
    """Leilões de frações: the cash of the fraction a grupamento/bonificação left; it leaves the
    position with a realized result, assessed like a sale. To correct one, delete and record again."""

    serializer_class = s.FractionSaleSerializer
    write_serializer = s.FractionSaleWriteSerializer
    services_create = staticmethod(services.fraction_sale_create)
    services_delete = staticmethod(services.fraction_sale_delete)
    filterset_class = FractionSaleFilter
    ordering_fields = ["date", "created_at"]
    ordering = ["-date", "-id"]

    def base_queryset(self):
        return FractionSale.objects.select_related("asset", "broker", "portfolio")

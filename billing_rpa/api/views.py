"""The billing API: thin views over ``services`` (writes) and ``selectors`` (reads)."""

from django.core import signing
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import RequestMeta
from accounts.permissions import ReadOnlyRoleCannotWrite
from exitus.api.params import int_param
from exitus.streaming import streams_over_asgi

from .. import importers, selectors, services, storage
from ..filters import BillingClientFilter, CarrierFilter, ExecutionFilter, InvoiceProcessFilter
from ..models import InvoiceProcess
from ..selectors import PERM_APPROVE, PERM_OPERATE, PERM_UPLOAD
from ..validators import MONTH_RE
from . import serializers as s
from .permissions import BillingPermission
from .streams import EventStreamRenderer, log_events, parse_last_event_id


def _meta(request):
    return RequestMeta.from_request(request)


CONFLICT = OpenApiResponse(s.BillingErrorSerializer, description=_("O estado atual não permite a ação."))
FORBIDDEN = OpenApiResponse(s.BillingErrorSerializer, description=_("Sem permissão."))


class BillingViewSet(viewsets.GenericViewSet):
    """Base of every billing viewset: billing staff only, querysets scoped by selectors."""

    permission_classes = [IsAuthenticated, ReadOnlyRoleCannotWrite, BillingPermission]
    action_perms: dict = {}
    selector = None

    def get_queryset(self):
        return type(self).selector(viewer=self.request.user)


class CarrierViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    BillingViewSet,
):
    """Operadoras. Billing staff read; ADMIN writes."""

    serializer_class = s.CarrierSerializer
    filterset_class = CarrierFilter
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]
    selector = staticmethod(selectors.carrier_list)

    def perform_create(self, serializer):
        serializer.instance = services.carrier_save(
            data=serializer.validated_data, actor=self.request.user, meta=_meta(self.request)
        )

    def perform_update(self, serializer):
        serializer.instance = services.carrier_save(
            carrier=serializer.instance,
            data=serializer.validated_data,
            actor=self.request.user,
            meta=_meta(self.request),
        )


@extend_schema_view(
    create=extend_schema(request=s.BillingClientWriteSerializer, responses={201: s.BillingClientSerializer}),
    update=extend_schema(request=s.BillingClientWriteSerializer, responses=s.BillingClientSerializer),
    partial_update=extend_schema(request=s.BillingClientWriteSerializer, responses=s.BillingClientSerializer),
)
class BillingClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    BillingViewSet,
):
    """Clientes de faturamento. The portal password is write-only and never returned."""

    serializer_class = s.BillingClientSerializer
    filterset_class = BillingClientFilter
    ordering_fields = ["legal_name", "cnpj", "created_at"]
    ordering = ["legal_name", "id"]
    selector = staticmethod(selectors.client_list)
    action_perms = {
        "create": PERM_OPERATE,
        "update": PERM_OPERATE,
        "partial_update": PERM_OPERATE,
        "import_csv": PERM_OPERATE,
    }

    def _save(self, request, client=None, partial=False):
        serializer = s.BillingClientWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        password = data.pop("portal_password", None)
        client = services.client_save(
            client=client, data=data, portal_password=password, actor=request.user, meta=_meta(request)
        )
        return s.BillingClientSerializer(client).data

    def create(self, request, *args, **kwargs):
        return Response(self._save(request), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        return Response(self._save(request, client=self.get_object(), partial=partial))

    def perform_destroy(self, instance):
        services.client_delete(client=instance, actor=self.request.user, meta=_meta(self.request))

    @extend_schema(
        request={"multipart/form-data": s.ClientImportSerializer},
        responses={200: s.ClientImportReportSerializer},
        description=_("Importa clientes de um CSV; relatório por linha. `dry_run` valida sem gravar."),
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request):
        serializer = s.ClientImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError({"file": [_("Arquivo CSV grande demais (máximo 20 MB).")]})
        report = importers.clients_import_csv(
            raw=upload.read(),
            dry_run=serializer.validated_data["dry_run"],
            actor=request.user,
            meta=_meta(request),
        )
        return Response(s.ClientImportReportSerializer(report).data)


@extend_schema_view(
    create=extend_schema(request=s.InvoiceProcessCreateSerializer, responses={201: s.InvoiceProcessSerializer})
)
class InvoiceProcessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, BillingViewSet):
    """Processos de fatura (one per client and month) and the actions that move them."""

    serializer_class = s.InvoiceProcessSerializer
    filterset_class = InvoiceProcessFilter
    ordering_fields = ["period", "status", "due_date", "amount", "created_at"]
    ordering = ["-period", "client__legal_name", "id"]
    selector = staticmethod(selectors.process_list)
    action_perms = {
        "create": PERM_OPERATE,
        "create_month": PERM_OPERATE,
        "download": PERM_OPERATE,
        "send_to_sat": PERM_OPERATE,
        "upload_invoice": PERM_UPLOAD,
        "approve": PERM_APPROVE,
        "reject": PERM_APPROVE,
    }

    def _reload(self, process):
        return s.InvoiceProcessSerializer(self.get_queryset().get(pk=process.pk)).data

    def create(self, request, *args, **kwargs):
        serializer = s.InvoiceProcessCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        process = services.process_create(**serializer.validated_data, actor=request.user, meta=_meta(request))
        return Response(self._reload(process), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CreateMonthSerializer, responses={200: s.CreateMonthResultSerializer})
    @action(detail=False, methods=["post"], url_path="create-month")
    def create_month(self, request):
        serializer = s.CreateMonthSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.process_create_month(
            month=serializer.validated_data.get("month") or None, actor=request.user, meta=_meta(request)
        )
        return Response(s.CreateMonthResultSerializer(result).data)

    @extend_schema(request=None, responses={202: s.ExecutionSerializer, 409: CONFLICT, 403: FORBIDDEN})
    @action(detail=True, methods=["post"])
    def download(self, request, pk=None):
        execution = services.process_request_download(
            process=self.get_object(), actor=request.user, meta=_meta(request)
        )
        return Response(s.ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request={"multipart/form-data": s.UploadInvoiceSerializer},
        responses={201: s.ExecutionSerializer, 409: CONFLICT, 503: OpenApiResponse(s.BillingErrorSerializer)},
    )
    @action(detail=True, methods=["post"], url_path="upload-invoice", parser_classes=[MultiPartParser, FormParser])
    def upload_invoice(self, request, pk=None):
        process = self.get_object()
        serializer = s.UploadInvoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        from django.conf import settings

        if upload.size > settings.BILLING_INVOICE_MAX_BYTES:
            limit_mb = settings.BILLING_INVOICE_MAX_BYTES / 1024 / 1024
            raise ValidationError({"file": [_("Arquivo maior que o limite de %(mb).1f MB.") % {"mb": limit_mb}]})
        execution = services.process_upload_invoice(
            process=process,
            content=upload.read(),
            filename=upload.name,
            due_date=serializer.validated_data["due_date"],
            amount=serializer.validated_data["amount"],
            actor=request.user,
            meta=_meta(request),
        )
        return Response(s.ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.InvoiceProcessSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        process = services.process_approve(process=self.get_object(), actor=request.user, meta=_meta(request))
        return Response(self._reload(process))

    @extend_schema(request=s.RejectSerializer, responses={200: s.InvoiceProcessSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = s.RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        process = services.process_reject(
            process=self.get_object(),
            reason=serializer.validated_data["reason"],
            actor=request.user,
            meta=_meta(request),
        )
        return Response(self._reload(process))

    @extend_schema(request=None, responses={202: s.ExecutionSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="send-to-sat")
    def send_to_sat(self, request, pk=None):
        execution = services.process_request_sat_upload(
            process=self.get_object(), actor=request.user, meta=_meta(request)
        )
        return Response(s.ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("O PDF da fatura.")),
            404: OpenApiResponse(s.BillingErrorSerializer),
            503: OpenApiResponse(s.BillingErrorSerializer),
        }
    )
    @action(detail=True, methods=["get"])
    def invoice(self, request, pk=None):
        process = self.get_object()
        if not process.invoice_key:
            raise NotFound(_("Este processo ainda não tem fatura."))
        try:
            handle = storage.open_invoice(process.invoice_key)
        except FileNotFoundError as exc:
            raise NotFound(_("Arquivo da fatura não encontrado no armazenamento.")) from exc
        filename = process.invoice_filename or services.invoice_filename(process)
        return FileResponse(handle, content_type="application/pdf", as_attachment=True, filename=filename)


LAST_EVENT_ID = OpenApiParameter(
    "last_event_id", OpenApiTypes.INT, description=_("Retomar após esta sequência (ou cabeçalho Last-Event-ID).")
)


class ExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BillingViewSet):
    """Execuções (one per attempt of a step), their logs and live log stream."""

    serializer_class = s.ExecutionSerializer
    filterset_class = ExecutionFilter
    ordering_fields = ["created_at", "started_at", "finished_at", "status"]
    ordering = ["-created_at", "-id"]
    selector = staticmethod(selectors.execution_list)
    action_perms = {"cancel": PERM_OPERATE, "retry": PERM_OPERATE}

    @extend_schema(request=None, responses={200: s.ExecutionSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        execution = services.execution_cancel(execution=self.get_object(), actor=request.user, meta=_meta(request))
        return Response(s.ExecutionSerializer(execution).data)

    @extend_schema(request=None, responses={202: s.ExecutionSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        execution = services.execution_retry(execution=self.get_object(), actor=request.user, meta=_meta(request))
        return Response(s.ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description=_("Somente linhas com sequência maior.")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("Máximo de linhas (até 1000).")),
        ],
        responses=s.ExecutionLogsSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def logs(self, request, pk=None):
        execution = self.get_object()
        after = max(int_param(request, "after", default=0), 0)
        limit = min(max(int_param(request, "limit", default=1000), 1), 1000)
        lines = list(selectors.execution_log_lines(execution=execution, after=after, limit=limit))
        data = {
            "execution": execution.pk,
            "status": execution.status,
            "finished": not execution.is_running,
            "last_seq": lines[-1].seq if lines else after,
            "logs": lines,
        }
        return Response(s.ExecutionLogsSerializer(data).data)

    @extend_schema(
        parameters=[
            LAST_EVENT_ID,
            OpenApiParameter("Last-Event-ID", OpenApiTypes.INT, location=OpenApiParameter.HEADER, required=False),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description=_(
                    "Eventos SSE: `log` (id = sequência, data = linha em JSON), comentários de heartbeat e `end` "
                    "quando a execução termina."
                ),
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="logs/stream",
        renderer_classes=[EventStreamRenderer, JSONRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    @streams_over_asgi
    def logs_stream(self, request, pk=None):
        execution = self.get_object()
        response = StreamingHttpResponse(
            log_events(execution.pk, parse_last_event_id(request)), content_type="text/event-stream; charset=utf-8"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class ReportViewSet(BillingViewSet):
    """Relatórios de faturamento."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    serializer_class = s.MonthlyReportSerializer

    def get_queryset(self):
        return InvoiceProcess.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="MM/AAAA"),
            OpenApiParameter("export", OpenApiTypes.STR, enum=["csv"], description=_("`csv` para baixar em CSV.")),
        ],
        responses={
            (200, "application/json"): s.MonthlyReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("O relatório em CSV (;).")),
            400: OpenApiResponse(s.BillingErrorSerializer),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def monthly(self, request):
        month = request.query_params.get("month", "")
        if not MONTH_RE.match(month):
            raise ValidationError({"month": [_("Mês inválido (use MM/AAAA).")]})
        report = selectors.monthly_report(month)
        if request.query_params.get("export") == "csv":
            response = HttpResponse(selectors.monthly_report_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="faturas-{month.replace("/", "-")}.csv"'
            return response
        return Response(s.MonthlyReportSerializer(report).data)


class InvoiceFileView(APIView):
    """The time-limited link a robot GETs the invoice from (filesystem storage; S3 uses presigned URLs)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        auth=[],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            403: OpenApiResponse(s.BillingErrorSerializer, description=_("Link expirado ou inválido.")),
            404: OpenApiResponse(s.BillingErrorSerializer),
        },
    )
    def get(self, request, token):
        try:
            data = storage.read_file_token(token)
        except signing.BadSignature:
            return Response({"detail": _("Link expirado ou inválido.")}, status=status.HTTP_403_FORBIDDEN)
        except Exception as exc:
            raise NotFound() from exc
        process = InvoiceProcess.objects.filter(pk=data.get("p"), invoice_key=data.get("k")).first()
        if process is None:
            raise NotFound(_("Fatura não encontrada."))
        try:
            handle = storage.open_invoice(process.invoice_key)
        except FileNotFoundError as exc:
            raise NotFound(_("Fatura não encontrada.")) from exc
        return FileResponse(handle, content_type="application/pdf", filename=process.invoice_filename or "fatura.pdf")

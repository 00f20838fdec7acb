"""Tax endpoints. Thin: validate, pick whose data, call the selectors/services, serialize."""

from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.audit import RequestMeta

from ...analytics.api.common import USER_PARAM, target_user
from ...analytics.api.views import AnalyticsView
from .. import reports, selectors, services
from ..jsonable import to_json
from ..rules import MissingRule
from . import serializers as s


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _missing_rule(exc: MissingRule):
    return ValidationError({"detail": str(exc)})


class MonthlyView(AnalyticsView):
    """The month's assessment: categories, baskets, losses carried, IRRF, DARF 6015/4600, filing."""

    @extend_schema(
        parameters=[OpenApiParameter("month", str, required=True, description="AAAA-MM"), USER_PARAM],
        responses=s.MonthlyAssessmentSerializer,
        summary="Apuração mensal de IR (renda variável)",
    )
    def get(self, request):
        month = _validated(s.MonthQuerySerializer, request.query_params)["month"]
        try:
            payload = selectors.monthly_assessment(owner=target_user(request), month=month)
        except MissingRule as exc:
            raise _missing_rule(exc) from exc
        return Response(to_json(payload))


def _filing(request, serializer_class, service):
    data = _validated(serializer_class, request.data)
    try:
        row = service(owner=target_user(request), actor=request.user, meta=RequestMeta.from_request(request), **data)
    except MissingRule as exc:
        raise _missing_rule(exc) from exc
    return Response(s.StoredAssessmentSerializer(row).data)


class FileMonthView(AnalyticsView):
    """Mark a month as filed/paid: its figures are kept and later changes show as differences."""

    @extend_schema(
        request=s.FileMonthSerializer,
        parameters=[USER_PARAM],
        responses={200: s.StoredAssessmentSerializer},
        summary="Marcar mês como declarado",
    )
    def post(self, request):
        return _filing(request, s.FileMonthSerializer, services.month_file)


class UnfileMonthView(AnalyticsView):
    """Undo the filing mark (the month follows the current figures again)."""

    @extend_schema(
        request=s.UnfileMonthSerializer,
        parameters=[USER_PARAM],
        responses={200: s.StoredAssessmentSerializer},
        summary="Desmarcar mês declarado",
    )
    def post(self, request):
        return _filing(request, s.UnfileMonthSerializer, services.month_unfile)


class DarfView(AnalyticsView):
    """Every DARF of a year (6015 renda variável, 4600 criptoativos): amount, due date, status, late fees."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=True), USER_PARAM],
        responses=s.DarfYearSerializer,
        summary="DARFs do ano",
    )
    def get(self, request):
        year = _validated(s.YearQuerySerializer, request.query_params)["year"]
        try:
            rows = selectors.darf_year(owner=target_user(request), year=year)
        except MissingRule as exc:
            raise _missing_rule(exc) from exc
        total = sum((r["amount"] for r in rows), Decimal("0.00"))
        return Response(to_json({"year": year, "darfs": rows, "total": total}))


class AnnualView(AnalyticsView):
    """The DIRPF figures of a year, as JSON or as a CSV/XLSX/PDF file (``?format=``)."""

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()  # ``format`` names the file type here, not a DRF renderer
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx", "pdf"]),
            USER_PARAM,
        ],
        responses={
            (200, "application/json"): s.AnnualReportSerializer,
            (200, reports.CSV_MEDIA_TYPE): OpenApiTypes.BINARY,
            (200, reports.XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
            (200, reports.PDF_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        summary="Informe anual para a DIRPF",
    )
    def get(self, request):
        query = _validated(s.AnnualQuerySerializer, request.query_params)
        owner = target_user(request)
        try:
            report = selectors.annual_report(owner=owner, year=query["year"])
        except MissingRule as exc:
            raise _missing_rule(exc) from exc
        fmt = query["format"]
        if fmt == "json":
            return Response(to_json(report))
        content, media_type = reports.render(fmt, report)
        response = HttpResponse(content, content_type=media_type)
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="ir-{query["year"]}-{owner.pk}-{stamp}.{fmt}"'
        return response


class RulesView(AnalyticsView):
    """The rules in force on a date (the dated table ADMIN edits in the admin)."""

    @extend_schema(
        parameters=[OpenApiParameter("on", str, description=_("Data AAAA-MM-DD (padrão: hoje)."))],
        responses=s.RuleSerializer(many=True),
        summary="Regras tributárias vigentes",
    )
    def get(self, request):
        on = _validated(s.RulesQuerySerializer, request.query_params).get("on") or timezone.localdate()
        return Response(s.RuleSerializer(selectors.rules_in_force(on=on), many=True).data)

"""Tax endpoints. Thin: validate, pick whose data, call the selectors/services, serialize."""

import json
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.audit import RequestMeta

from ...analytics.api.common import USER_PARAM, target_user
from ...analytics.api.views import AnalyticsView
from .. import reports, selectors, services
from ..jsonable import to_json
from ..models import TaxOpeningBalance
from ..rules import MissingRule
from . import serializers as s


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _missing_rule(exc: MissingRule):
    return ValidationError({"detail": str(exc)})


def json_response(request, raw: bytes):
    """Cached JSON bytes as they are; the browsable API still gets its page."""
    if getattr(request.accepted_renderer, "format", "") == "api":
        return Response(json.loads(raw))
    return HttpResponse(raw, content_type="application/json")


def _month_response(request, selector):
    month = _validated(s.MonthQuerySerializer, request.query_params)["month"]
    try:
        payload = selector(owner=target_user(request), month=month)
    except MissingRule as exc:
        raise _missing_rule(exc) from exc
    return Response(to_json(payload))


class MonthlyView(AnalyticsView):
    """The month's assessment: categories, baskets, losses carried, IRRF, DARF 6015/4600, filing."""

    @extend_schema(
        parameters=[OpenApiParameter("month", str, required=True, description="AAAA-MM"), USER_PARAM],
        responses=s.MonthlyAssessmentSerializer,
        summary="Apuração mensal de IR (renda variável)",
    )
    def get(self, request):
        return _month_response(request, selectors.monthly_assessment)


def _filing(request, serializer_class, service):
    data = _validated(serializer_class, request.data)
    try:
        row = service(owner=target_user(request), actor=request.user, meta=RequestMeta.from_request(request), **data)
    except MissingRule as exc:
        raise _missing_rule(exc) from exc
    return Response(s.StoredAssessmentSerializer(row).data)


class MonthlyExplainView(AnalyticsView):
    """How the month's figures were reached: per basket each sale (date, asset, broker, quantity, value,
    fees, average cost used, gain), the exemption test, losses in and out, the rule rows applied, the
    IRRF lines and the DARF arithmetic. Its figures are those of ``tax/monthly/``, to the cent."""

    @extend_schema(
        parameters=[OpenApiParameter("month", str, required=True, description="AAAA-MM"), USER_PARAM],
        responses=s.MonthlyExplanationSerializer,
        summary="Explicação da apuração mensal",
    )
    def get(self, request):
        month = _validated(s.MonthQuerySerializer, request.query_params)["month"]
        owner = target_user(request)
        try:
            raw = selectors.cached_json(
                owner.pk,
                f"explain:{month:%Y%m}",
                lambda: to_json(selectors.monthly_explanation(owner=owner, month=month)),
            )
        except MissingRule as exc:
            raise _missing_rule(exc) from exc
        return json_response(request, raw)


class TaxOpeningView(AnalyticsView):
    """The user's tax opening balance: GET it (404 if none), PUT to set it, DELETE to remove it."""

    @extend_schema(parameters=[USER_PARAM], responses={200: s.TaxOpeningSerializer, 404: None})
    def get(self, request):
        row = TaxOpeningBalance.objects.filter(owner=target_user(request)).first()
        if row is None:
            raise NotFound(_("Sem saldo inicial de IR."))
        return Response(s.TaxOpeningSerializer(row).data)

    @extend_schema(request=s.TaxOpeningSerializer, parameters=[USER_PARAM], responses={200: s.TaxOpeningSerializer})
    def put(self, request):
        data = _validated(s.TaxOpeningSerializer, request.data)
        row = services.tax_opening_save(
            owner=target_user(request), actor=request.user, meta=RequestMeta.from_request(request), **data
        )
        return Response(s.TaxOpeningSerializer(row).data)

    @extend_schema(parameters=[USER_PARAM], responses={204: None})
    def delete(self, request):
        services.tax_opening_delete(
            owner=target_user(request), actor=request.user, meta=RequestMeta.from_request(request)
        )
        return Response(status=204)


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

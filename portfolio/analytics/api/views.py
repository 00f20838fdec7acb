"""Performance endpoints. Thin: validate the query, pick the scope, call the selectors."""

import json

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadOnlyRoleCannotWrite

from .. import selectors
from . import serializers as s
from .common import USER_PARAM, portfolio_for, target_user

PERF_PARAMS = [
    OpenApiParameter("period", str, enum=list(selectors.PERIODS), description=_("Período (padrão: max).")),
    OpenApiParameter("start", str, description=_("Início AAAA-MM-DD (substitui o período).")),
    OpenApiParameter("end", str, description=_("Fim AAAA-MM-DD (padrão: hoje).")),
    OpenApiParameter(
        "benchmark", str, description=_("Referências separadas por vírgula: CDI, IPCA, IPCA+6, IBOV, IFIX, SP500.")
    ),
]


def _query(request) -> dict:
    query = s.PerformanceQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return {
        "period": data["period"],
        "start": data.get("start"),
        "end": data.get("end"),
        "benchmarks": tuple(data["benchmark"]),
    }


def _json(raw: bytes) -> HttpResponse:
    """Pre-rendered (cached) JSON: sent as is, without DRF re-rendering it."""
    return HttpResponse(raw, content_type="application/json")


class AnalyticsView(APIView):
    permission_classes = [IsAuthenticated, ReadOnlyRoleCannotWrite]


class PortfolioPerformanceView(AnalyticsView):
    """Performance of one portfolio: TWR, XIRR, P&L, dividends, risk and benchmarks, per asset too."""

    @extend_schema(parameters=PERF_PARAMS, responses=s.PerformanceSerializer, summary="Desempenho da carteira")
    def get(self, request, pk):
        portfolio = portfolio_for(request, pk)
        scope = selectors.Scope(owner_id=portfolio.owner_id, portfolio_id=portfolio.pk)
        return _json(selectors.performance_json(scope=scope, **_query(request)))


class UserPerformanceView(AnalyticsView):
    """All of the user's portfolios together (with the cash not assigned to any), then each one."""

    @extend_schema(
        parameters=[*PERF_PARAMS, USER_PARAM],
        responses=s.UserPerformanceSerializer,
        summary="Desempenho de todas as carteiras",
    )
    def get(self, request):
        user = target_user(request)
        query = _query(request)
        total = selectors.performance_json(scope=selectors.Scope(owner_id=user.pk), **query)
        parts = [
            b'{"portfolio":%d,"name":%s,"performance":%s}'
            % (
                p.pk,
                json.dumps(p.name, ensure_ascii=False).encode(),
                selectors.performance_json(scope=selectors.Scope(owner_id=user.pk, portfolio_id=p.pk), **query),
            )
            for p in selectors.portfolios_of(owner=user)
        ]
        return _json(b'{"user":%d,"total":%s,"portfolios":[%s]}' % (user.pk, total, b",".join(parts)))


class PortfolioHistoryView(AnalyticsView):
    """Month-end patrimony of a portfolio (the snapshots the month-end job and the backfill store)."""

    @extend_schema(
        parameters=[OpenApiParameter("since", str, description=_("Primeiro mês AAAA-MM."))],
        responses=s.PatrimonyHistorySerializer,
        summary="Evolução patrimonial mensal",
    )
    def get(self, request, pk):
        portfolio = portfolio_for(request, pk)
        since = request.query_params.get("since")
        query = s.HistoryQuerySerializer(data={"since": since} if since else {})
        query.is_valid(raise_exception=True)
        rows = selectors.snapshots_for(portfolio=portfolio, since=query.validated_data.get("since"))
        return Response({"portfolio": portfolio.pk, "months": s.PatrimonySnapshotSerializer(rows, many=True).data})

"""``/api/v1/``: a browsable index of the API's sections; ``/``: to the admin; ReDoc that stays local."""

from collections import OrderedDict

from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# (label, URL name in the v1 namespace): the entry points a newcomer looks for first.
SECTIONS = (
    ("auth-token", "auth-token"),
    ("auth-me", "auth-me"),
    ("users", "user-list"),
    ("dashboard", "portfolio-dashboard"),
    ("brokers", "broker-list"),
    ("assets", "asset-list"),
    ("portfolios", "portfolio-list"),
    ("transactions", "transaction-list"),
    ("positions", "position-list"),
    ("dividends", "dividend-list"),
    ("cash-movements", "cash-movement-list"),
    ("performance", "performance"),
    ("tax-monthly", "tax-monthly"),
    ("quotes", "quote-list"),
    ("fx", "fx"),
    ("signals-ranking", "signal-ranking"),
    ("billing-carriers", "billing-carrier-list"),
    ("billing-clients", "billing-client-list"),
    ("billing-processes", "billing-process-list"),
    ("billing-executions", "billing-execution-list"),
    ("billing-report-monthly", "billing-report-monthly"),
)


class ApiRootView(APIView):
    """Exitus API v1: links to each section (most need a JWT; see /api/docs/ and /api/redoc/)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        auth=[],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Links to the API's sections.")},
    )
    def get(self, request, format=None):
        links = OrderedDict()
        for label, name in SECTIONS:
            try:
                links[label] = request.build_absolute_uri(reverse(f"v1:{name}"))
            except NoReverseMatch:
                continue
        links["schema"] = request.build_absolute_uri(reverse("schema"))
        links["docs"] = request.build_absolute_uri(reverse("swagger-ui"))
        links["redoc"] = request.build_absolute_uri(reverse("redoc"))
        return Response(links)


class LocalRedocView(SpectacularRedocView):
    """ReDoc with zero requests off the machine: no web fonts (system fonts), and a Content Security
    Policy that keeps the bundle's "powered by" logo (an image on a CDN) from ever being fetched."""

    template_name = "exitus/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
        )
        return response

"""``/api/v1/``: a browsable index of the API's sections; ``/``: to the admin; ReDoc that stays local."""

import functools
from collections import OrderedDict
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
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


REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# The bundle's "API docs by Redocly" footer loads this image from a CDN on every page view.
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"


@functools.cache
def _redoc_bundle() -> bytes:
    path = finders.find(REDOC_BUNDLE)
    if path is None:
        raise Http404("ReDoc bundle not installed")
    return Path(path).read_bytes().replace(REDOC_LOGO_URL.encode(), BLANK_SVG.encode())


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
@authentication_classes([])
def redoc_bundle(request):
    """The sidecar's ReDoc bundle with its CDN logo replaced by an inline blank image."""
    response = HttpResponse(_redoc_bundle(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


class LocalRedocView(SpectacularRedocView):
    """ReDoc with zero requests off the machine: no web fonts (system fonts), the bundle served
    without its CDN logo (``redoc_bundle``), and a Content Security Policy as a second guard."""

    template_name = "exitus/redoc.html"

    def _redoc_standalone(self):
        return reverse("redoc-bundle")

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
        )
        return response

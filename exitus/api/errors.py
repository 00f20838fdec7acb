"""Errors become HTTP answers in one place, and API clients always get JSON.

* :func:`exception_handler` (DRF's ``EXCEPTION_HANDLER``): a service's Django
  ``ValidationError`` → 400 with field messages, :class:`exitus.errors.Conflict` → 409,
  :class:`exitus.errors.Unavailable` and an unreachable database → 503.
* :func:`bad_request`, :func:`not_found`, :func:`server_error`: Django's error views for
  what happens outside a DRF view (an unmatched URL, an oversized body). Under ``/api/`` they
  answer JSON; elsewhere (the admin) Django's own pages.
"""

import logging
import sys

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from exitus.errors import Conflict, Unavailable

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/",)
UNREACHABLE = (OperationalError, InterfaceError)  # the database cannot be reached (or went away)


def to_drf_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"detail": exc.messages[0] if len(exc.messages) == 1 else exc.messages}


class ConflictError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class UnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


def _translate(exc):
    if isinstance(exc, Conflict):  # before ValidationError: a state conflict may subclass both
        detail = exc.messages[0] if isinstance(exc, DjangoValidationError) else str(exc)
        return ConflictError(detail or exc.default_detail)
    if isinstance(exc, Unavailable):
        logger.warning("unavailable: %s", exc.__class__.__name__)
        return UnavailableError(exc.default_detail)
    if isinstance(exc, DjangoValidationError):
        return ValidationError(to_drf_detail(exc))
    if isinstance(exc, UNREACHABLE):
        logger.error("database unavailable: %s", exc.__class__.__name__)
        return UnavailableError(_("Banco de dados indisponível; tente novamente em instantes."))
    return exc


def exception_handler(exc, context):
    response = drf_exception_handler(_translate(exc), context)
    if response is not None and response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response.headers.setdefault("Retry-After", "5")
    return response


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def json_error(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception=None, template_name="400.html"):
    if is_api(request):
        return json_error(400, _("Requisição inválida (corpo grande demais ou malformado)."))
    return defaults.bad_request(request, exception, template_name)


def not_found(request, exception=None, template_name="404.html"):
    if is_api(request):
        return json_error(404, _("Não encontrado."))
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    """Django calls this inside its ``except`` block, so the exception is still at hand: an
    unreachable database (raised in a middleware, a session or the admin) is a 503, not a 500."""
    if isinstance(sys.exc_info()[1], UNREACHABLE):
        logger.error("database unavailable: %s", sys.exc_info()[1].__class__.__name__)
        detail = _("Banco de dados indisponível; tente novamente em instantes.")
        if is_api(request):
            response = json_error(503, detail)
        else:
            response = HttpResponse(f"<h1>503</h1><p>{detail}</p>", status=503)
        response["Retry-After"] = "5"
        return response
    if is_api(request):
        return json_error(500, _("Erro interno."))
    return defaults.server_error(request, template_name)

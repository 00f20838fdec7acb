"""Request guards that apply to every URL."""

from django.http import HttpResponseBadRequest

from exitus.api.errors import is_api, json_error


class RejectNulMiddleware:
    """A NUL byte in the path or the query is a 400 before any view runs.

    PostgreSQL cannot store or compare text containing NUL: a ticker path such as
    ``/quotes/PETR4%00/`` would reach a query and fail with a 500. DRF's fields already refuse
    NUL in bodies; this covers the URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            message = "Caractere NUL não é aceito no endereço."
            return json_error(400, message) if is_api(request) else HttpResponseBadRequest(message)
        return self.get_response(request)

"""Domain errors any app may raise; the API maps them to HTTP in one place (``exitus.api.errors``).

Services raise ``django.core.exceptions.ValidationError`` for bad input (400), :class:`Conflict`
when the request is valid but the current state forbids it (409), and :class:`Unavailable`
when a part the request needs is down (503). They never import DRF.
"""


class Conflict(Exception):
    """The request is well formed but the current state forbids it (HTTP 409)."""


class Unavailable(Exception):
    """A part this request needs (database, broker, storage, a provider) is unreachable (HTTP 503)."""

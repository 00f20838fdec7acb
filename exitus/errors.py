"""Domain errors any app may raise; the API maps them to HTTP in one place (``exitus.api.errors``).

Services raise ``django.core.exceptions.ValidationError`` for bad input (400), :class:`Conflict`
when the request is valid but the current state forbids it (409), and :class:`Unavailable`
when a part the request needs is down (503). They never import DRF.
"""


class Conflict(Exception):
    """The request is well formed but the current state forbids it (HTTP 409).

    The message is shown to the user (for a ``ValidationError`` subclass, its first message).
    """

    default_detail = "O estado atual não permite esta ação."


class Unavailable(Exception):
    """A part this request needs (database, broker, storage, a provider) is unreachable (HTTP 503).

    The user sees :attr:`default_detail`, never the exception's text (it may name hosts or keys).
    """

    default_detail = "Serviço temporariamente indisponível; nada foi alterado. Tente novamente."

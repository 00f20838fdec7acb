"""The OpenAPI schema documents the error answers every operation can give.

drf-spectacular documents the success response only. A client (or a schema-driven fuzz run)
must know that a bad query answers 400 with field messages, a missing token 401, a denied
role 403, an unknown or foreign id 404, a throttled login 429 and an unreachable database
503, and what those bodies look like. Responses a view declares itself are kept as declared.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "..."}``: the body of every non-validation error."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "ApiError"


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: ``{"field": ["message", ...], ...}``, or ``{"detail": "..."}`` for a whole-request error."""

    detail = serializers.CharField(required=False)

    class Meta:
        ref_name = "ValidationError"


ERRORS = {
    "400": (ValidationErrorSerializer, "Entrada inválida: mensagens por campo."),
    "401": (ErrorSerializer, "Sem credenciais válidas."),
    "403": (ErrorSerializer, "Sem permissão para esta operação."),
    "404": (ErrorSerializer, "Não encontrado (ou de outro usuário)."),
    "409": (ErrorSerializer, "Conflito com o estado atual."),
    "429": (ErrorSerializer, "Muitas requisições; tente novamente depois."),
    "503": (ErrorSerializer, "Serviço temporariamente indisponível."),
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses or code == "400":  # a 400 always carries field messages
                serializer, description = ERRORS[code]
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(serializer, description=description), code, direction=direction
                )
        return responses

    def _error_codes(self):
        permissions = self.view.get_permissions()
        public = not permissions or any(isinstance(permission, AllowAny) for permission in permissions)
        # Any input may be refused, any id or page may not exist, a bad token is always a 401.
        codes = ["400", "401", "404", "503"]
        if not public:
            codes.append("403")
        if self.method in WRITES:
            codes.append("409")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

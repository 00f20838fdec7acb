"""Request parsers that refuse hostile bodies with a 400 instead of a 500.

Python's ``json`` module recurses once per nesting level: ``[[[[...]]]]`` 100,000 levels deep
raises ``RecursionError`` inside DRF's parser, which it does not catch. Real payloads nest a
few levels; :data:`MAX_DEPTH` is generous.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


def _too_deep(text: str) -> bool:
    """Whether brackets nest deeper than :data:`MAX_DEPTH` (outside strings), without recursion."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            raise ParseError(_("JSON inválido: corpo vazio."))
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise ParseError(_("Corpo da requisição grande demais (máximo %(n)s bytes).") % {"n": limit})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(_("JSON inválido: codificação não reconhecida.")) from exc
        if _too_deep(text):
            raise ParseError(_("JSON aninhado demais (máximo %(n)s níveis).") % {"n": MAX_DEPTH})
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ParseError(_("JSON inválido: %(error)s") % {"error": exc}) from exc


def _refuse_constant(name):
    raise ValueError(f"{name} não é um número JSON válido")

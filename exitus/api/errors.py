"""Turn Django ``ValidationError`` raised by services into DRF's field-level 400."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError


def to_drf_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"detail": exc.messages[0] if len(exc.messages) == 1 else exc.messages}


@contextmanager
def as_drf_error():
    """Re-raise a service's ``django.core.exceptions.ValidationError`` as a DRF 400."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError(to_drf_detail(exc)) from exc

"""Invoice files in the project's storage (filesystem by default, S3 via django-storages).

Keys are ``invoices/<client_id>/<YYYY-MM>/<process uuid>/<sha256[:16]>.pdf``: unique per
process and content, never the uploaded filename. Any storage failure becomes
:class:`StorageUnavailable` so callers can answer clearly and leave the process unchanged.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError
from django.urls import reverse

from exitus.errors import Unavailable

logger = logging.getLogger(__name__)

FILE_TOKEN_SALT = "billing_rpa.invoice-file"
PDF_MAGIC = b"%PDF-"


class StorageUnavailable(Unavailable):
    """The storage backend could not be reached or refused the operation (the API answers 503)."""

    default_detail = "Armazenamento de arquivos indisponível no momento; nada foi alterado. Tente novamente."


@dataclass(frozen=True)
class StoredInvoice:
    key: str
    sha256: str
    size: int


def _storage():
    return storages["default"]


def looks_like_pdf(content: bytes) -> bool:
    """A PDF by content: the ``%PDF-`` header in the first KiB and an ``%%EOF`` marker near the end."""
    head = content[:1024]
    return PDF_MAGIC in head and head.lstrip().startswith(PDF_MAGIC) and b"%%EOF" in content[-2048:]


def invoice_key(process, sha256: str) -> str:
    return f"invoices/{process.client_id}/{process.period:%Y-%m}/{process.uuid}/{sha256[:16]}.pdf"


def save_invoice(process, content: bytes) -> StoredInvoice:
    """Write the PDF under its process-unique key (idempotent for the same bytes)."""
    sha256 = hashlib.sha256(content).hexdigest()
    key = invoice_key(process, sha256)
    storage = _storage()
    try:
        if not storage.exists(key):
            saved = storage.save(key, ContentFile(content))
            if saved != key:  # a concurrent writer got there first; keep one copy
                storage.delete(saved)
    except Exception as exc:
        logger.warning("invoice storage write failed: %s", exc.__class__.__name__)
        raise StorageUnavailable(str(exc.__class__.__name__)) from exc
    return StoredInvoice(key=key, sha256=sha256, size=len(content))


def discard_unreferenced(key: str) -> None:
    """Remove a file just written whose database write did not happen (failed, or lost a race).

    The key is per process and per content, so a file the process already points at (the same
    bytes stored again) is kept.
    """
    from .models import InvoiceProcess  # the models module imports this one

    try:
        referenced = InvoiceProcess.objects.filter(invoice_key=key).exists()
    except DatabaseError as exc:  # cannot tell: keeping a file is safer than losing a referenced one
        logger.warning("invoice orphan check failed: %s", exc.__class__.__name__)
        return
    if not referenced:
        delete_invoice(key)


def delete_invoice(key: str) -> None:
    """Best effort: an orphan file is harmless, a crash here is not."""
    try:
        _storage().delete(key)
    except Exception as exc:  # noqa: BLE001
        logger.warning("invoice storage delete failed: %s", exc.__class__.__name__)


def open_invoice(key: str):
    try:
        return _storage().open(key, "rb")
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise StorageUnavailable(str(exc.__class__.__name__)) from exc


def is_s3(storage=None) -> bool:
    storage = storage or _storage()
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def robot_file_url(process) -> str:
    """A time-limited URL the robot can GET the invoice from, without our credentials.

    S3: a presigned URL. Filesystem: a signed link to our own view (``BILLING_PUBLIC_BASE_URL``).
    """
    max_age = settings.BILLING_FILE_URL_MAX_AGE
    storage = _storage()
    if is_s3(storage):
        try:
            return storage.url(process.invoice_key, expire=max_age)
        except Exception as exc:
            raise StorageUnavailable(str(exc.__class__.__name__)) from exc
    token = signing.dumps({"p": process.pk, "k": process.invoice_key}, salt=FILE_TOKEN_SALT, compress=True)
    path = reverse("v1:billing-invoice-file", kwargs={"token": token})
    return f"{settings.BILLING_PUBLIC_BASE_URL.rstrip('/')}{path}"


def read_file_token(token: str) -> dict:
    """The ``{"p": process id, "k": key}`` in a signed link; ``signing.BadSignature`` when expired or forged."""
    return signing.loads(token, salt=FILE_TOKEN_SALT, max_age=settings.BILLING_FILE_URL_MAX_AGE)

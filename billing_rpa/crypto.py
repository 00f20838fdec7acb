"""Portal passwords at rest: Fernet tokens under a MultiFernet of keys from ``BILLING_FERNET_KEYS``.

The first key encrypts; every key decrypts, so keys can be rotated: add a new key in
front, run ``manage.py rotate_billing_keys``, then drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class CredentialDecryptError(Exception):
    """A stored password cannot be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = [k for k in settings.BILLING_FERNET_KEYS if k]
    if not keys:
        raise ImproperlyConfigured("BILLING_FERNET_KEYS must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("BILLING_FERNET_KEYS holds an invalid Fernet key.") from exc


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "BILLING_FERNET_KEYS":
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise CredentialDecryptError("portal password cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the current (first) key."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise CredentialDecryptError("portal password cannot be decrypted with the configured keys") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")

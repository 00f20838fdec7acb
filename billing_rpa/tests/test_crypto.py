import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from billing_rpa import crypto, services
from billing_rpa.models import BillingClient

from .factories import BillingClientFactory


def test_roundtrip_and_ciphertext_differs():
    token = crypto.encrypt("s3nha do portal")
    assert token != "s3nha do portal" and "s3nha" not in token
    assert crypto.decrypt(token) == "s3nha do portal"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_no_keys_is_improperly_configured(settings):
    settings.BILLING_FERNET_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_invalid_key_is_improperly_configured(settings):
    settings.BILLING_FERNET_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_wrong_key_cannot_decrypt(settings):
    token = crypto.encrypt("segredo")
    settings.BILLING_FERNET_KEYS = [crypto.generate_key()]
    with pytest.raises(crypto.CredentialDecryptError):
        crypto.decrypt(token)


def test_rotation_command_reencrypts_under_new_key(settings, db, capsys):
    client = BillingClientFactory(password="antiga-senha")
    old_key = settings.BILLING_FERNET_KEYS[0]
    new_key = crypto.generate_key()
    settings.BILLING_FERNET_KEYS = [new_key, old_key]
    call_command("rotate_billing_keys", "--dry-run")
    client.refresh_from_db()
    before = client.portal_password_encrypted
    call_command("rotate_billing_keys")
    client.refresh_from_db()
    assert client.portal_password_encrypted != before
    settings.BILLING_FERNET_KEYS = [new_key]  # the old key can go now
    assert crypto.decrypt(client.portal_password_encrypted) == "antiga-senha"
    assert "1 senhas recifradas" in capsys.readouterr().out


def test_rotation_reports_undecryptable(settings, db):
    BillingClientFactory(password="x")
    settings.BILLING_FERNET_KEYS = [crypto.generate_key()]
    assert services.clients_rotate_keys() == {"rotated": 0, "failed": 1}


def test_generate_prints_a_key(capsys):
    call_command("rotate_billing_keys", "--generate")
    assert len(capsys.readouterr().out.strip()) == 44


def test_password_never_stored_in_clear(db):
    client = BillingClientFactory(password="minha-senha-123")
    raw = BillingClient.objects.filter(pk=client.pk).values()[0]
    assert all("minha-senha-123" not in str(value) for value in raw.values())

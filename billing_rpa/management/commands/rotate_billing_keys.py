"""``manage.py rotate_billing_keys [--dry-run]``: re-encrypt portal passwords under the first key.

Rotation: put the new key first in BILLING_FERNET_KEYS (keep the old ones after it), run
this command, then remove the old keys. ``--generate`` prints a fresh key.
"""

from django.core.management.base import BaseCommand, CommandError

from billing_rpa import crypto, services


class Command(BaseCommand):
    help = "Recifra as senhas de portal com a chave atual (primeira de BILLING_FERNET_KEYS)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--generate", action="store_true", help="Só imprime uma chave Fernet nova.")

    def handle(self, *args, dry_run, generate, **options):
        if generate:
            self.stdout.write(crypto.generate_key())
            return
        result = services.clients_rotate_keys(dry_run=dry_run)
        prefix = "[dry-run] " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{result['rotated']} senhas recifradas."))
        if result["failed"]:
            raise CommandError(f"{result['failed']} senhas não puderam ser decifradas com as chaves configuradas.")

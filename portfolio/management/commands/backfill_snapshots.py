"""``manage.py backfill_snapshots [--since YYYY-MM] [--until YYYY-MM] [--user ID] [--dry-run]``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from exitus.months import parse_month
from portfolio.analytics import services


def _month(text):
    try:
        return parse_month(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "Cria ou atualiza as fotografias patrimoniais de fim de mês a partir do histórico (idempotente)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Primeiro mês (AAAA-MM); padrão: o início do histórico.")
        parser.add_argument("--until", help="Último mês (AAAA-MM); padrão: o último mês completo.")
        parser.add_argument("--user", type=int, help="Só este usuário (id).")
        parser.add_argument("--dry-run", action="store_true", help="Mostra o que mudaria, sem gravar.")

    def handle(self, *args, **options):
        since = _month(options["since"]) if options["since"] else date(1900, 1, 1)
        until = _month(options["until"]) if options["until"] else None

        def progress(done, total):
            self.stdout.write(f"\r{done}/{total} carteiras/usuários", ending="")
            self.stdout.flush()

        counts = services.month_end_snapshots(
            month=until, owner_id=options["user"], since=since, dry_run=options["dry_run"], progress=progress
        )
        self.stdout.write("")
        prefix = "[dry-run] " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{counts['created']} criadas, {counts['updated']} atualizadas, "
                f"{counts['unchanged']} sem mudança ({counts['scopes']} escopos, até {counts['month']})."
            )
        )

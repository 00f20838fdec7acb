"""``manage.py import_billing_clients FILE.csv [--dry-run]``: the seed's CSV import, with a per-row report."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing_rpa import importers


class Command(BaseCommand):
    help = "Importa clientes de faturamento de um CSV (idempotente; --dry-run só valida)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Valida e mostra o relatório sem gravar.")

    def handle(self, *args, file, dry_run, **options):
        if not file.is_file():
            raise CommandError(f"Arquivo não encontrado: {file}")
        try:
            report = importers.clients_import_csv(raw=file.read_bytes(), dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for row in report["rows"]:
            if row["status"] == "error":
                errors = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in row["errors"].items())
                self.stdout.write(self.style.ERROR(f"linha {row['line']} ({row['cnpj']}): {errors}"))
            elif options["verbosity"] > 1:
                self.stdout.write(f"linha {row['line']} ({row['cnpj']}): {row['status']}")
        counts = report["counts"]
        summary = ", ".join(f"{value} {key}" for key, value in counts.items())
        prefix = "[dry-run] " if dry_run else ""
        style = self.style.WARNING if counts.get("error") else self.style.SUCCESS
        self.stdout.write(style(f"{prefix}{report['total']} linhas: {summary}"))

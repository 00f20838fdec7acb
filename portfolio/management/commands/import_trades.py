"""Import a B3 negociação/movimentação file or a generic CSV into a portfolio (dry run by default)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portfolio import importers
from portfolio.models import Broker, Portfolio


class Command(BaseCommand):
    help = "Importa operações (B3 negociação/movimentação XLSX/CSV ou CSV genérico). Sem --commit, só simula."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--portfolio", required=True, type=int, help="id da carteira")
        parser.add_argument("--source", default="auto", choices=importers.SOURCES)
        parser.add_argument("--broker", help="corretora padrão (nome) para linhas sem instituição")
        parser.add_argument("--commit", action="store_true", help="importa de fato (padrão: simulação)")
        parser.add_argument("--fill-b3-fees", action="store_true")

    def handle(self, *args, file, portfolio, source, broker=None, commit=False, fill_b3_fees=False, **options):
        try:
            target = Portfolio.objects.get(pk=portfolio)
        except Portfolio.DoesNotExist as exc:
            raise CommandError(f"Carteira {portfolio} não existe.") from exc
        default_broker = None
        if broker:
            default_broker = Broker.objects.filter(name__iexact=broker).first()
            if default_broker is None:
                raise CommandError(f"Corretora não encontrada: {broker}")
        try:
            report = importers.run(
                content=file.read_bytes(),
                file_name=file.name,
                portfolio=target,
                source=source,
                default_broker=default_broker,
                dry_run=not commit,
                fill_b3_fees=fill_b3_fees,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        summary = report.summary()
        self.stdout.write(
            f"{report.source}: {summary['rows']} linhas — {summary['new']} novas, {summary['duplicate']} repetidas, "
            f"{summary['ignored']} ignoradas, {summary['error']} com erro."
        )
        for asset in report.new_assets:
            flag = " [REVISAR]" if asset["needs_review"] else ""
            self.stdout.write(f"  novo ativo {asset['ticker']} ({asset['asset_type']}): {asset['reason']}{flag}")
        for name in report.new_brokers:
            self.stdout.write(f"  nova corretora: {name}")
        for error in report.errors[:50]:
            self.stdout.write(self.style.ERROR(f"  linha {error['row']} [{error['field']}]: {error['message']}"))
        if report.errors:
            raise CommandError(f"{len(report.errors)} erro(s): nada foi importado.")
        if commit:
            self.stdout.write(self.style.SUCCESS(f"{report.created} operações importadas."))
        else:
            self.stdout.write(self.style.WARNING("Simulação: use --commit para importar."))

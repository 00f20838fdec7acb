"""``manage.py backfill_prices [--ticker T ...] [--days N] [--include-delisted] [--dry-run]``.

Fills only the gaps of each asset's daily history (a second run asks no provider for an
asset without gaps), with a progress bar and the seed's summary line.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from quotes import services
from quotes.choices import is_quotable
from quotes.selectors import assets_to_update


class Command(BaseCommand):
    help = "Preenche as lacunas do histórico diário de preços (idempotente)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--ticker",
            action="append",
            dest="tickers",
            metavar="T",
            help="Ticker (repetível); TICKER:MERCADO fixa o mercado.",
        )
        parser.add_argument("--days", type=int, default=None, help="Janela em dias (padrão: QUOTES_BACKFILL_DAYS).")
        parser.add_argument(
            "--include-delisted", action="store_true", help="Inclui ativos deslistados (até a data de deslistagem)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Só mostra as lacunas, sem consultar provedores.")

    def handle(self, *args, tickers=None, days=None, include_delisted=False, dry_run=False, **options):
        days = days or settings.QUOTES_BACKFILL_DAYS
        if days < 1:
            raise CommandError("--days deve ser positivo.")
        assets, unknown = assets_to_update(tickers=tickers, include_delisted=include_delisted)
        for token in unknown:
            self.stderr.write(f"[ERRO] {token}: ativo não cadastrado")
        skipped = [a for a in assets if not is_quotable(a)]
        for asset in skipped:
            self.stdout.write(f"[INFO] {asset.ticker}: {asset.get_asset_type_display()} não tem cotação de mercado")
        assets = [a for a in assets if is_quotable(a)]
        self.stdout.write(f"[INFO] Iniciando população de histórico de preços ({len(assets)} ativos, {days} dias)...")
        if dry_run:
            for asset, start, end, missing in services.backfill_plan(assets=assets, days=days):
                self.stdout.write(
                    f"[DRY-RUN] {asset.ticker}: {len(missing)} pregões sem barra "
                    f"entre {start:%d/%m/%Y} e {end:%d/%m/%Y}"
                )
            return
        bar = tqdm(
            total=len(assets),
            desc="Histórico",
            unit="ativo",
            file=sys.stderr,
            disable=not assets or options.get("verbosity", 1) < 1,
        )

        def progress(item):
            if item.ok:
                line = f"[OK] {item.ticker}: {item.message}"
                if item.anomalies:
                    line += f" — {item.anomalies} anomalia(s) retida(s) para revisão"
            else:
                line = f"[ERRO] {item.ticker}: {item.message}"
            with bar.external_write_mode():
                self.stdout.write(line)
            bar.update(1)

        try:
            summary = services.prices_backfill(assets=assets, days=days, on_progress=progress)
        finally:
            bar.close()
        failed = summary["failed"] + len(unknown)
        processed = summary["assets"] + len(unknown)
        self.stdout.write(
            f"[INFO] Resumo: {processed} ativos processados, {summary['ok']} sucesso, {failed} falhas "
            f"({summary['inserted']} registros inseridos, {summary['anomalies']} anomalias)"
        )
        if failed and summary["ok"] == 0 and processed:
            raise CommandError("Nenhum ativo pôde ser preenchido.")

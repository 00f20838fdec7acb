"""Replay positions from their trades and events (operators' tool; agrees with the incremental path)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from portfolio import services
from portfolio.models import Asset, Position


class _DryRun(Exception):
    pass


def _state() -> dict:
    rows = Position.objects.values_list(
        "pk", "quantity", "average_cost", "cost_basis", "cost_basis_brl", "realized_pnl", "realized_pnl_brl"
    )
    return {row[0]: row[1:] for row in rows}


class Command(BaseCommand):
    help = "Reconstrói as posições a partir das operações e eventos (opcionalmente de um dono e/ou ativo)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="id ou nome de usuário")
        parser.add_argument("--asset", help="id ou ticker")
        parser.add_argument("--dry-run", action="store_true", help="só mostra quantas posições mudariam")

    def handle(self, *args, owner=None, asset=None, dry_run=False, **options):
        owner_id = self._resolve(User, owner, "username") if owner else None
        asset_id = self._resolve(Asset, asset, "ticker") if asset else None
        before = _state()

        def progress(done, total):
            if done == total or done % 50 == 0:
                self.stdout.write(f"  {done}/{total} pares dono × ativo")

        try:
            with transaction.atomic():
                pairs = services.rebuild(owner_id=owner_id, asset_id=asset_id, progress=progress)
                after = _state()
                changed = sum(1 for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            self.stdout.write(self.style.WARNING(f"Simulação: {pairs} pares, {changed} posições mudariam."))
            return
        self.stdout.write(self.style.SUCCESS(f"{pairs} pares reconstruídos; {changed} posições mudaram."))

    def _resolve(self, model, value, field):
        query = {"pk": int(value)} if str(value).isdigit() else {f"{field}__iexact": value}
        found = list(model.objects.filter(**query).values_list("pk", flat=True)[:2])
        if len(found) != 1:
            raise CommandError(f"{model._meta.verbose_name} não encontrado (ou ambíguo): {value}")
        return found[0]

"""Load the demo data of every app (users, brokers, assets, trades, carriers, schedules...).

Each app contributes a ``demo`` module with ``load(stdout=...)``; they run in the
order of ``LOCAL_APPS``. Idempotent: running it twice creates nothing the second time.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import app_demo_modules


class Command(BaseCommand):
    help = "Carrega os dados de demonstração (idempotente)."

    def handle(self, *args, **options):
        if not settings.ALLOW_DEMO_SEED:
            raise CommandError("ALLOW_DEMO_SEED está desligado neste ambiente: dados de demonstração recusados.")
        started = time.perf_counter()
        with transaction.atomic():  # all or nothing: a refusal half-way (live quotes) leaves no demo data
            for app, module in app_demo_modules():
                counts = module.load(stdout=self.stdout) or {}
                summary = ", ".join(f"{value} {key}" for key, value in counts.items()) or "nada novo"
                self.stdout.write(f"{app}: {summary} criados")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Dados de demonstração prontos em {elapsed:.1f}s."))

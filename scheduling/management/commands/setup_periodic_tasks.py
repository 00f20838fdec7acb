from django.core.management.base import BaseCommand
from django.utils import translation

from scheduling.services import periodic_tasks_setup


class Command(BaseCommand):
    help = "Cria os agendamentos padrão do catálogo (idempotente; preserva o que operadores mudaram)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="restaura horário, parâmetros e ativação padrão dos agendamentos"
        )

    def handle(self, *args, reset=False, **options):
        with translation.override("pt-br"):
            counts = periodic_tasks_setup(reset=reset)
        self.stdout.write(
            self.style.SUCCESS(
                f"Agendamentos: {counts['created']} criados, {counts['reset']} restaurados, "
                f"{counts['kept']} mantidos como estavam."
            )
        )

from django.core.management.base import BaseCommand

from scheduling.backup import backup_create


class Command(BaseCommand):
    help = "Faz um backup lógico do banco agora, no armazenamento configurado."

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=None, help="quantos backups manter (padrão: BACKUP_KEEP)")

    def handle(self, *args, keep=None, **options):
        result = backup_create(keep=keep)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup salvo em {result['key']} ({result['bytes']} bytes); {result['pruned']} antigos removidos."
            )
        )

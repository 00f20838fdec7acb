from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scheduling.backup import backup_restore, list_backups


class Command(BaseCommand):
    help = "Restaura um backup do armazenamento num banco vazio (manage.py restore_backup CHAVE)."

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", help="chave do backup no armazenamento (omita para listar)")
        parser.add_argument("--force", action="store_true", help="restaura mesmo se o banco já tiver dados")

    def handle(self, *args, key=None, force=False, **options):
        if not key:
            backups = list_backups()
            if not backups:
                self.stdout.write("Nenhum backup encontrado.")
            for name in backups:
                self.stdout.write(name)
            return
        try:
            result = backup_restore(key, force=force)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup {result['key']} restaurado ({result['format']})."))

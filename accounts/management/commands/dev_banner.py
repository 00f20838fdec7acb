"""Print where the development stack listens and who can log in (used by ``make run``)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import app_demo_modules


class Command(BaseCommand):
    help = "Mostra as URLs e as credenciais de demonstração do ambiente de desenvolvimento."

    def handle(self, *args, **options):
        # make run passes HOST and PORT (the same the web server listens on).
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        lines = [
            "",
            "Exitus está subindo (Ctrl-C para parar tudo):",
            f"  Admin:     {base}/admin/",
            f"  API:       {base}/api/v1/   (docs: {base}/api/docs/)",
            f"  Saúde:     {base}/health/",
            f"  Broker:    {settings.CELERY_BROKER_URL}",
            f"  Banco:     {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
            "",
            "Credenciais de demonstração (somente desenvolvimento):",
        ]
        for _app, module in app_demo_modules():
            for username, password, what in getattr(module, "demo_logins", list)():
                lines.append(f"  {username:<14} {password:<10} {what}")
        self.stdout.write("\n".join(lines) + "\n")

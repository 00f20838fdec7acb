"""``manage.py rpa_simulator [--port 8765] [--fault slow --fault 5xx ...]``: the RPA API on loopback."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing_rpa.simulator import Faults, RpaSimulator, Timing


class Command(BaseCommand):
    help = "Serve um simulador da API RPA em 127.0.0.1 (faturas em PDF reais, falhas configuráveis)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Somente loopback (127.0.0.1, localhost, ::1).")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default=None, help="Token aceito (padrão: RPA_API_TOKEN).")
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            choices=sorted(Faults.NAMES),
            help="Falha a simular (repita para combinar).",
        )
        parser.add_argument("--slow-ms", type=int, default=2000, help="Atraso de cada resposta com --fault slow.")
        parser.add_argument("--queued-seconds", type=float, default=1.0, help="Tempo de um job na fila.")
        parser.add_argument("--running-seconds", type=float, default=4.0, help="Tempo de execução de um job.")
        parser.add_argument(
            "--no-verify-sat-file", action="store_true", help="Não baixar url_arquivo nos envios ao SAT."
        )

    def handle(self, *args, **options):
        token = options["token"] or settings.RPA_API_TOKEN
        if not token:
            raise CommandError("Defina --token ou RPA_API_TOKEN.")
        try:
            simulator = RpaSimulator(
                host=options["host"],
                port=options["port"],
                token=token,
                faults=Faults.from_names(options["fault"], slow_ms=options["slow_ms"]),
                timing=Timing(queued_s=options["queued_seconds"], running_s=options["running_seconds"]),
                verify_sat_file=not options["no_verify_sat_file"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        faults = ", ".join(options["fault"]) or "nenhuma"
        self.stdout.write(self.style.SUCCESS(f"Simulador RPA em {simulator.url} (falhas: {faults}). Ctrl+C encerra."))
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            simulator.httpd.server_close()

"""System checks and the ``/health/`` entry of the quotes app."""

from django.conf import settings
from django.core import checks

from . import circuit
from .chain import chain_names
from .providers import PROVIDER_CLASSES


@checks.register()
def quotes_settings(app_configs=None, **kwargs):
    messages = []
    for market, names in settings.QUOTES_CHAINS.items():
        for name in names:
            if name not in PROVIDER_CLASSES:
                messages.append(
                    checks.Error(f"Provedor desconhecido {name!r} em QUOTES_CHAINS[{market!r}].", id="quotes.E001")
                )
    if settings.QUOTES_MODE == "offline" and not (settings.DEBUG or settings.TESTING):
        messages.append(
            checks.Warning(
                "QUOTES_MODE=offline fora de DEBUG: as cotações vêm das fixtures de demonstração.",
                hint="Defina QUOTES_MODE=live em produção.",
                id="quotes.W001",
            )
        )
    if settings.QUOTES_MODE == "live":
        for name in sorted({n for names in settings.QUOTES_CHAINS.values() for n in names}):
            cls = PROVIDER_CLASSES.get(name)
            if cls is not None and cls.requires_key and not settings.QUOTES_PROVIDERS.get(name, {}).get("api_key"):
                messages.append(checks.Info(f"Provedor {name} sem chave: será pulado nas cadeias.", id="quotes.I001"))
    return messages


def health():
    """``"ok"`` or the providers whose circuit is open (reported, never a 503 on its own)."""
    names = sorted({n for key in settings.QUOTES_CHAINS for n in chain_names(key)})
    open_circuits = [n for n in names if circuit.status(n)["state"] != circuit.CLOSED]
    if not open_circuits:
        return "ok"
    return {"status": "degraded", "mode": settings.QUOTES_MODE, "open_circuits": open_circuits}

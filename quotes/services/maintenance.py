"""Maintenance and providers: attempt-log retention, provider switches, default macro parameters."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import NO_REQUEST, audit_record
from portfolio.choices import Market

from .. import circuit
from ..models import MacroParameters, Provider, ProviderAttempt


def attempts_cleanup(*, days=None) -> int:
    """Delete provider attempts older than ``days`` (default ``QUOTES_ATTEMPT_RETENTION_DAYS``)."""
    days = settings.QUOTES_ATTEMPT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _detail = ProviderAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def provider_set_enabled(*, name, enabled, actor, meta=NO_REQUEST) -> Provider:
    with transaction.atomic():
        row, _created = Provider.objects.get_or_create(name=name)
        if row.enabled != enabled:
            audit_record(
                actor=actor,
                action="quotes.provider.update",
                target=row,
                changes={"enabled": [row.enabled, enabled]},
                meta=meta,
            )
            row.enabled = enabled
            row.save(update_fields=["enabled", "updated_at"])
    return row


def provider_reset_circuit(*, name, actor, meta=NO_REQUEST) -> None:
    row, _created = Provider.objects.get_or_create(name=name)
    circuit.reset(name)
    audit_record(actor=actor, action="quotes.provider.reset_circuit", target=row, meta=meta)


def providers_ensure() -> list:
    """One ``Provider`` row per configured adapter (so the admin lists them all)."""
    names = sorted(set(settings.QUOTES_PROVIDERS))
    existing = set(Provider.objects.filter(name__in=names).values_list("name", flat=True))
    Provider.objects.bulk_create([Provider(name=n) for n in names if n not in existing], ignore_conflicts=True)
    return names


# Defaults of the macro table (an operator edits them in the admin). Sources in docs/quotes.md.
DEFAULT_MACRO = {
    Market.BR: {
        "risk_free_rate": Decimal("15.00"),
        "cost_of_capital": Decimal("16.50"),
        "growth_rate": Decimal("5.00"),
        "terminal_growth_rate": Decimal("4.00"),
        "bazin_yield": Decimal("6.00"),
        "fii_cap_rate": Decimal("9.00"),
        "dcf_years": 5,
        "notes": "Selic meta ~15% a.a.; k = Selic + prêmio; g nominal de longo prazo. Revise periodicamente.",
    },
    Market.US: {
        "risk_free_rate": Decimal("4.25"),
        "cost_of_capital": Decimal("9.00"),
        "growth_rate": Decimal("4.00"),
        "terminal_growth_rate": Decimal("2.50"),
        "bazin_yield": Decimal("4.00"),
        "fii_cap_rate": Decimal("6.00"),
        "dcf_years": 5,
        "notes": "Treasury 10 anos ~4,25%; prêmio de risco ~4,75%. Revise periodicamente.",
    },
    Market.EU: {
        "risk_free_rate": Decimal("2.75"),
        "cost_of_capital": Decimal("8.00"),
        "growth_rate": Decimal("3.00"),
        "terminal_growth_rate": Decimal("2.00"),
        "bazin_yield": Decimal("4.00"),
        "fii_cap_rate": Decimal("5.50"),
        "dcf_years": 5,
        "notes": "Bund 10 anos ~2,75%. Revise periodicamente.",
    },
}


def macro_ensure_defaults() -> int:
    """Create the default macro parameters of each market that has none (never overwrites)."""
    created = 0
    for market, values in DEFAULT_MACRO.items():
        _row, was_created = MacroParameters.objects.get_or_create(market=market, defaults=values)
        created += was_created
    return created

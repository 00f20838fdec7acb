"""The rows the data migrations create, put back after a transactional test flushed them.

A transactional test (live servers, the browser tests, fault drills) ends with a flush of every
table, which also removes what the data migrations seeded: the billing groups, the tax rules, the
default macro parameters. Tests that run after it in the same pytest-xdist worker expect those
rows, so the root conftest calls :func:`restore` after each such flush. Every seed is idempotent.
"""

import importlib

SEEDS = (
    ("portfolio.migrations.0004_seed_tax_rules", "seed"),
    ("portfolio.migrations.0006_trust_tax_rules", "seed"),
    ("quotes.migrations.0003_default_macro_parameters", "create_defaults"),
)


def restore() -> None:
    from django.apps import apps

    from billing_rpa.groups import ensure_billing_groups

    ensure_billing_groups()
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)

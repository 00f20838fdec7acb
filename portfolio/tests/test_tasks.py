"""The portfolio app registers all its Celery tasks, the analytics and tax ones included."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "portfolio.credit_due_dividends",
    "portfolio.rebuild_positions",
    "portfolio.month_end_snapshot",
    "portfolio.tax_assess_month",
)


def test_a_fresh_process_knows_every_portfolio_task_after_setup():
    """As a worker starts: ``django.setup()`` and Celery's autodiscovery, no settings list of modules."""
    code = (
        "import django; django.setup()\n"
        "from exitus.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print(' '.join(sorted(n for n in app.tasks if n.startswith('portfolio.'))))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "exitus.settings", "TESTING": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    registered = set(out.stdout.split())
    assert set(NAMES) <= registered

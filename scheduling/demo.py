"""Demo schedules: the catalogue's defaults (what ``setup_periodic_tasks`` creates)."""

from django.utils import translation

from .services import periodic_tasks_setup


def load(*, stdout=None):
    with translation.override("pt-br"):
        counts = periodic_tasks_setup()
    return {"schedules": counts["created"]}

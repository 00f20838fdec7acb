"""Adds beat liveness and the critical jobs' last successes to ``/health/``.

They are reported but do not turn the answer into 503: the web can serve while beat is
down, and an operator needs the page to say so.
"""

from exitus.health import EXTRA_CHECKS

from .selectors import beat_status, critical_jobs_status

EXTRA_CHECKS["beat"] = beat_status
EXTRA_CHECKS["jobs"] = critical_jobs_status

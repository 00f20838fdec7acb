"""ASGI entry point: uvicorn (or gunicorn with uvicorn workers) serves this.

ASGI lets the live streams (SSE of quotes and robot logs) wait on I/O without
holding a worker process for each open connection.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")

application = get_asgi_application()

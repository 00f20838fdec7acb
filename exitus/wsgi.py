"""WSGI entry point (management tooling; production serves ASGI, see asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exitus.settings")

application = get_wsgi_application()

"""A bounded, schema-driven fuzz run over the whole API (schemathesis).

Every operation of the OpenAPI schema is called with generated input, as an ADMIN and as a
USER, in process (Django's WSGI application on the test database). A response must never be a
5xx, must use a status code the schema documents, and must match the documented body. The
run is deterministic (``derandomize``: the same examples on every machine and date) and
bounded (``FUZZ_EXAMPLES`` per operation and role, default 8). The two live streams are
excluded: they never end by design.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.specs.openapi import checks

from accounts.tests.factories import AdminFactory, UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
STREAMS = ("/logs/stream/", "/quotes/stream/")
# Whether the schema lists every rule the server enforces on input (a decimal as a string, a
# ticker that must exist) is not what this run checks: those would flag every valid refusal.
NOT_CONFORMANCE = [checks.positive_data_acceptance, checks.negative_data_rejection]


def _schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    return loaded.exclude(path_regex="|".join(STREAMS))


schema = _schema()


@pytest.fixture
def keep_test_connection():
    """Django closes the database connection after each request (``close_old_connections``);
    inside a test's transaction that would close the test's own connection on PostgreSQL. The
    test client switches this off during its requests; the WSGI calls here need the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_headers(db, keep_test_connection):
    admin, user = AdminFactory(), UserFactory()
    return {
        "ADMIN": {"Authorization": f"Bearer {AccessToken.for_user(admin)}"},
        "USER": {"Authorization": f"Bearer {AccessToken.for_user(user)}"},
    }


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ["ADMIN", "USER"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_responses_match_the_schema(case, role, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers[role], excluded_checks=NOT_CONFORMANCE)

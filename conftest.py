"""Fixtures shared by every app's tests: users of each role and API clients for them."""

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, ReadOnlyFactory, UserFactory
from exitus.cache import _down_until as redis_outage


@pytest.fixture(autouse=True, scope="session")
def _celery_tasks_registered():
    """Register every app's tasks, as a worker does at start-up."""
    from exitus.celery import app

    app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request, django_db_blocker):
    """After a transactional test's flush, put back what the data migrations seeded (groups, tax
    rules...), so the tests that follow in the same xdist worker find the database as migrated.
    Autouse, so it is set up before ``transactional_db`` and torn down after its flush."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        transactional = True
    if transactional:
        from exitus.tests.migration_data import restore

        with django_db_blocker.unblock():
            restore()


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Each test gets empty caches (throttle counters included) and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    redis_outage["at"] = 0.0  # a Redis outage simulated by one test is not remembered by the next
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def readonly_user(db):
    return ReadOnlyFactory()


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient authenticated as that user (``None``: anonymous)."""

    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make

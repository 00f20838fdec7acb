"""The doors a newcomer knocks on: ``/``, ``/api/v1/``, ReDoc that never leaves the machine."""

import re

import pytest
from django.urls import reverse


def test_root_leads_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_api_v1_answers_a_browsable_root(client):
    data = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert data["auth-token"].endswith("/api/v1/auth/token/")
    assert data["billing-processes"].endswith("/api/v1/billing/processes/")
    assert data["redoc"].endswith("/api/redoc/")
    page = client.get("/api/v1/", HTTP_ACCEPT="text/html").content.decode()
    assert "Exitus API v1" in page or "Api Root" in page


def test_redoc_page_names_no_outside_host(client):
    response = client.get(reverse("redoc"))
    page = response.content.decode()
    assert "fonts.googleapis" not in page and "fonts.gstatic" not in page
    assert not [url for url in re.findall(r"https?://[^\"' )]+", page) if "testserver" not in url]
    csp = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in csp and "connect-src 'self'" in csp and "font-src 'self' data:" in csp

"""/api/v1/brokerage-notes/ and the admin's note import: preview, import, idempotency, scoping."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolio.desk.models import BrokerageNote
from portfolio.models import Transaction

from .test_notes import SAMPLE, book, note_pdf  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
URL = "/api/v1/brokerage-notes/"


def pdf(**extra):
    return {"file": SimpleUploadedFile("nota.pdf", note_pdf(SAMPLE), "application/pdf"), **extra}


def test_preview_import_and_reimport(book, client_for, user):  # noqa: F811
    client = client_for(user)
    preview = client.post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk), format="multipart")
    assert preview.status_code == 200, preview.content
    assert preview.json()["dry_run"] is True and preview.json()["summary"]["trades_created"] == 2
    assert not BrokerageNote.objects.exists()
    done = client.post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk, dry_run="false"), format="multipart")
    assert done.status_code == 201 and done.json()["notes"][0]["note_id"]
    again = client.post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk, dry_run="false"), format="multipart")
    assert again.status_code == 200 and again.json()["summary"]["duplicate"] == 1
    listing = client.get(URL).json()
    assert listing["count"] == 1
    detail = client.get(f"{URL}{listing['results'][0]['id']}/").json()
    assert detail["net_amount"] == "-7.49" and len(detail["trades"]) == 2 and detail["lines"][0]["ticker"] == "PETR4"
    assert client.delete(f"{URL}{detail['id']}/").status_code == 204
    assert not BrokerageNote.objects.exists()


def test_bad_input(book, client_for, user):  # noqa: F811
    client = client_for(user)
    response = client.post(
        f"{URL}import/",
        {"file": SimpleUploadedFile("x.pdf", b"nada"), "portfolio": book["portfolio"].pk},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()
    assert client.post(f"{URL}import/", pdf(), format="multipart").status_code == 400  # portfolio is required


def test_scoping(book, client_for, user, other_user, readonly_user, admin_user):  # noqa: F811
    client_for(user).post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk, dry_run="false"), format="multipart")
    note = BrokerageNote.objects.get()
    for who, code in ((other_user, 404), (readonly_user, 404), (admin_user, 200), (None, 401)):
        assert client_for(who).get(f"{URL}{note.pk}/").status_code == code
    other = client_for(other_user).post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk), format="multipart")
    assert other.status_code == 400 and "portfolio" in other.json()
    assert (
        client_for(readonly_user)
        .post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk), format="multipart")
        .status_code
        == 403
    )
    assert client_for(other_user).delete(f"{URL}{note.pk}/").status_code == 404
    assert client_for(readonly_user).delete(f"{URL}{note.pk}/").status_code == 403
    assert BrokerageNote.objects.count() == 1
    admin = client_for(admin_user).post(f"{URL}import/", pdf(portfolio=book["portfolio"].pk), format="multipart")
    assert admin.status_code == 200


def test_admin_import(client, admin_user, book):  # noqa: F811
    client.force_login(admin_user)
    url = reverse("admin:portfolio_brokeragenote_import")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"file": SimpleUploadedFile("x.pdf", b"nada"), "portfolio": book["portfolio"].pk})
    assert bad.status_code == 200 and bad.context["form"].errors
    preview = client.post(
        url, {"file": SimpleUploadedFile("n.pdf", note_pdf(SAMPLE)), "portfolio": book["portfolio"].pk}
    )
    assert preview.status_code == 200 and "token" in preview.context and not BrokerageNote.objects.exists()
    assert "PETR4" in preview.content.decode()
    done = client.post(url, {"token": preview.context["token"]})
    assert done.status_code == 302 and BrokerageNote.objects.count() == 1
    assert client.post(url, {"token": "forjado"}).status_code == 302
    note = BrokerageNote.objects.get()
    assert client.get(reverse("admin:portfolio_brokeragenote_changelist")).status_code == 200
    assert client.get(reverse("admin:portfolio_brokeragenote_change", args=[note.pk])).status_code == 200
    count = Transaction.objects.count()
    client.post(reverse("admin:portfolio_brokeragenote_delete", args=[note.pk]), {"post": "yes"})
    assert not BrokerageNote.objects.exists() and Transaction.objects.count() == count - 2


def test_admin_import_of_a_locked_pdf_keeps_no_password(client, admin_user, book):  # noqa: F811
    import io

    from django.core import signing
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(note_pdf(SAMPLE))).pages:
        writer.add_page(page)
    writer.encrypt("123")
    locked = io.BytesIO()
    writer.write(locked)
    client.force_login(admin_user)
    url = reverse("admin:portfolio_brokeragenote_import")
    preview = client.post(
        url,
        {"file": SimpleUploadedFile("n.pdf", locked.getvalue()), "portfolio": book["portfolio"].pk, "password": "123"},
    )
    token = preview.context["token"]
    assert "123" not in str(signing.loads(token, salt="portfolio.admin.notes"))
    assert client.post(url, {"token": token}).status_code == 302 and BrokerageNote.objects.count() == 1

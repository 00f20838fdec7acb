"""Invoice storage: filesystem (default) and S3 through a loopback moto server; storage outages."""

import contextlib
import time

import boto3
import httpx
import pytest
from django.core import signing
from moto.server import ThreadedMotoServer

from billing_rpa import services, storage
from billing_rpa.choices import ExecutionStatus, ProcessStatus
from billing_rpa.models import Execution

from .conftest import drive
from .factories import INVOICE, UPLOAD_FIELDS

BUCKET = "exitus-test-invoices"


@pytest.fixture(scope="module")
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(moto_server, settings):
    client = boto3.client(
        "s3", endpoint_url=moto_server, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_server,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return client


def test_filesystem_signed_link_serves_pdf(process, pdf_bytes, operador, client):
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    url = storage.robot_file_url(process)
    path = url.split("127.0.0.1:8000", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes
    assert response["Content-Type"] == "application/pdf"


def test_filesystem_signed_link_expires_and_resists_forgery(process, pdf_bytes, operador, client, settings):
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    path = storage.robot_file_url(process).split("127.0.0.1:8000", 1)[1]
    forged = signing.dumps({"p": process.pk, "k": "invoices/other.pdf"}, salt="wrong")
    assert client.get(f"/api/v1/billing/files/{forged}/").status_code == 403
    settings.BILLING_FILE_URL_MAX_AGE = -1
    assert client.get(path).status_code == 403


def test_s3_store_and_presigned_url(s3_storage, process, pdf_bytes, operador):
    services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    stored = s3_storage.get_object(Bucket=BUCKET, Key=process.invoice_key)["Body"].read()
    assert stored == pdf_bytes
    url = storage.robot_file_url(process)
    assert "Signature=" in url or "X-Amz-Signature=" in url
    assert httpx.get(url).content == pdf_bytes  # what the robot does
    assert httpx.get(url.split("?")[0]).status_code == 403  # without the signature: refused


def test_s3_download_flow(s3_storage, sim, process, operador):
    services.process_request_download(process=process, actor=operador)
    drive(process)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    body = s3_storage.get_object(Bucket=BUCKET, Key=process.invoice_key)["Body"].read()
    assert body.startswith(b"%PDF-")


@pytest.fixture
def broken_storage(settings):
    """S3 pointing at a closed loopback port: every call fails fast."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": "http://127.0.0.1:9",
                "access_key": "x",
                "secret_key": "x",
                "region_name": "us-east-1",
                "client_config": __import__("botocore.config").config.Config(
                    connect_timeout=0.2, read_timeout=0.2, retries={"max_attempts": 0}
                ),
            },
        },
    }


def test_manual_upload_storage_unavailable_changes_nothing(broken_storage, process, pdf_bytes, operador):
    with pytest.raises(storage.StorageUnavailable):
        services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.invoice_key
    assert not Execution.objects.exists()


def test_api_upload_storage_unavailable_is_503(broken_storage, process, pdf_bytes, operador, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(operador).post(
        f"/api/v1/billing/processes/{process.pk}/upload-invoice/",
        {"file": SimpleUploadedFile("f.pdf", pdf_bytes, content_type="application/pdf"), **UPLOAD_FIELDS},
        format="multipart",
    )
    assert response.status_code == 503
    assert "Armazenamento" in response.json()["detail"]
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD


def test_download_with_storage_down_keeps_process_and_retries(sim, process, operador, settings):
    execution = services.process_request_download(process=process, actor=operador)
    media = settings.MEDIA_ROOT
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_text("not a directory")  # the filesystem storage cannot write anything now
    deadline = time.monotonic() + 20  # poll until the robot's job is done and the store has failed once
    while time.monotonic() < deadline:
        services.executions_poll_due(budget_seconds=0.1)
        execution.refresh_from_db()
        if execution.poll_failures:
            break
    execution.refresh_from_db()
    process.refresh_from_db()
    assert execution.status == ExecutionStatus.EXECUTANDO and execution.poll_failures >= 1
    assert "Armazenamento indisponível" in execution.log_text
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.invoice_key
    media.unlink()  # storage is back
    drive(process)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_APROVACAO
    assert len(sim.robot_jobs()) == 1


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return list(root.rglob("*.pdf")) if root.exists() else []


def test_manual_upload_whose_database_write_fails_leaves_no_file(process, pdf_bytes, operador, settings, monkeypatch):
    from django.db import DatabaseError

    from billing_rpa.services import review

    def broken(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(review, "_transition_process", broken)
    with pytest.raises(DatabaseError):
        services.process_upload_invoice(process=process, content=pdf_bytes, filename="f.pdf", actor=operador, **INVOICE)
    process.refresh_from_db()
    assert process.status == ProcessStatus.AGUARDANDO_DOWNLOAD and not process.invoice_key
    assert _stored_files(settings) == []


def test_download_whose_database_write_fails_leaves_no_file(sim, process, operador, settings, monkeypatch):
    from django.db import DatabaseError

    from billing_rpa.services import worker

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise DatabaseError("the database went away")

    services.process_request_download(process=process, actor=operador)
    monkeypatch.setattr(worker, "_transition_process", broken)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not calls:  # the poller logs the failure and goes on
        services.executions_poll_due(budget_seconds=0.2)
    assert calls, "the robot's job never finished"
    process.refresh_from_db()
    assert not process.invoice_key
    assert _stored_files(settings) == []

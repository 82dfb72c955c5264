"""Uploads imported in the background: web (staff only), API, and the worker."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clientmap.core.db import retrying
from clientmap.directory.models import Person
from clientmap.engagements.models import Request
from clientmap.imports.models import ImportJob
from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db(transaction=True)


def workbook_zip(tmp_path: Path, break_it: bool = False) -> bytes:
    folder = tmp_path / "wb"
    folder.mkdir()
    demo.write_workbook(folder)
    if break_it:
        text = (folder / "requests.csv").read_text(encoding="utf-8")
        (folder / "requests.csv").write_text(text.replace("fulfilled", "finished", 1), "utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, f"export/{p.name}")
    return buf.getvalue()


def wait(job_id, seconds: float = 30) -> ImportJob:
    deadline = time.time() + seconds
    while time.time() < deadline:
        job = retrying(lambda: ImportJob.objects.get(pk=job_id))
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError("the import job did not finish")


def test_staff_uploads_a_workbook_in_the_web_ui(client, tmp_path) -> None:
    client.force_login(f.user("boss", staff=True))
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path), "application/zip")
    response = client.post("/imports/", {"file": upload, "format": "workbook"})
    assert response.status_code == 302
    job = wait(ImportJob.objects.get().pk)
    assert job.status == "done", job.errors
    assert job.report["files"]["requests"]["created"] == len(demo.REQUESTS)
    assert Request.objects.count() == len(demo.REQUESTS)
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"requests" in page.content


def test_a_bad_upload_fails_with_the_place_and_writes_nothing(client, tmp_path) -> None:
    client.force_login(f.user("boss", staff=True))
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path, break_it=True))
    client.post("/imports/", {"file": upload, "format": "workbook"})
    job = wait(ImportJob.objects.get().pk)
    assert job.status == "failed"
    assert job.errors[0]["file"] == "requests.csv" and job.errors[0]["column"] == "status"
    assert Request.objects.count() == 0 and Person.objects.count() == 0
    page = client.get(f"/imports/{job.pk}/")
    assert b"Nothing was imported" in page.content


def test_non_staff_cannot_import(client, tmp_path) -> None:
    member = f.person()
    f.team(members=[member])
    client.force_login(f.user("member", person=member))
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path))
    assert client.post("/imports/", {"file": upload, "format": "workbook"}).status_code == 403
    assert ImportJob.objects.count() == 0


def test_unknown_format_is_a_clear_400(client) -> None:
    client.force_login(f.user("boss", staff=True))
    upload = SimpleUploadedFile("x.csv", b"a,b\n1,2\n")
    response = client.post("/imports/", {"file": upload, "format": "nonesuch"})
    assert response.status_code == 400 and b"Unknown format" in response.content


def test_api_upload_returns_202_and_the_job_completes(client, tmp_path) -> None:
    auth = f.bearer(f.user("api-staff", staff=True))["HTTP_AUTHORIZATION"]
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path))
    response = client.post(
        "/api/imports/jobs",
        {"file": upload, "format": "workbook"},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    wait(job_id)
    data = client.get(f"/api/imports/jobs/{job_id}", HTTP_AUTHORIZATION=auth).json()
    assert data["status"] == "done" and data["progress"]["percent"] == 100
    assert data["report"]["files"]["people"]["created"] == len(demo.PEOPLE)


def test_api_refuses_non_staff(client, tmp_path) -> None:
    member = f.person()
    f.team(members=[member])
    auth = f.bearer(f.user("api-member", person=member))["HTTP_AUTHORIZATION"]
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path))
    response = client.post("/api/imports/jobs", {"file": upload}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 403


def test_worker_runs_queued_jobs(client, tmp_path, job_queue) -> None:
    client.force_login(f.user("boss", staff=True))
    upload = SimpleUploadedFile("demo.zip", workbook_zip(tmp_path))
    client.post("/imports/", {"file": upload, "format": "workbook", "check": "1"})
    job = ImportJob.objects.get()
    assert job.status == "queued"
    call_command("worker", "--batch")
    job.refresh_from_db()
    assert job.status == "done" and job.report["check"] is True
    assert Request.objects.count() == 0  # check only


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


MISSPELT = {
    "organizations.csv": "key,name,home\nus,Us,yes\n",
    "people.csv": "key,name,organization\nann,Ann,us\n",
    "requets.csv": "key,requester\nr1,ann\n",
}


def test_an_unknown_file_in_an_upload_is_refused_unless_the_form_says_ignore(
    client, tmp_path
) -> None:
    client.force_login(f.user("boss", staff=True))
    upload = SimpleUploadedFile("wb.zip", _zip(MISSPELT), "application/zip")
    client.post("/imports/", {"file": upload, "format": "workbook"})
    job = wait(ImportJob.objects.get().pk)
    assert job.status == "failed" and not Person.objects.exists()
    assert job.errors[0]["file"] == "requets.csv"
    assert "requests.csv" in job.errors[0]["message"]  # did you mean …
    assert b'name="ignore_unknown"' in client.get("/imports/").content
    upload = SimpleUploadedFile("wb.zip", _zip(MISSPELT), "application/zip")
    client.post("/imports/", {"file": upload, "format": "workbook", "ignore_unknown": "1"})
    job = wait(ImportJob.objects.filter(ignore_unknown=True).get().pk)
    assert job.status == "done", job.errors
    assert job.report["ignored_files"] == ["requets.csv"]
    assert list(Person.objects.values_list("key", flat=True)) == ["ann"]
    assert b"requets.csv" in client.get(f"/imports/{job.pk}/").content


def test_the_api_takes_ignore_unknown_too(client) -> None:
    auth = f.bearer(f.user("api-staff", staff=True))["HTTP_AUTHORIZATION"]
    upload = SimpleUploadedFile("wb.zip", _zip(MISSPELT), "application/zip")
    response = client.post(
        "/api/imports/jobs",
        {"file": upload, "format": "workbook", "ignore_unknown": "true"},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 202, response.content
    assert response.json()["ignore_unknown"] is True
    job = wait(response.json()["id"])
    assert job.status == "done" and job.report["ignored_files"] == ["requets.csv"]

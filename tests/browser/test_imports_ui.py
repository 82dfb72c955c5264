"""A staff user uploads a workbook in the browser and watches it import."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from clientmap.core.models import Job
from clientmap.engagements.models import Request
from tests import factories as f
from tests import story as demo
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(job_queue):
    """``clientmap worker`` (the tasks library's database worker) beside the live server.

    Call the fixture's value to start it. Start it once the test's own writes are done: the
    shared-cache in-memory test database answers a second writer "table is locked" at once
    (a real SQLite file waits), so a worker polling from the start makes set-up flaky.
    """
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                try:
                    call_command("worker", "--batch")
                except OperationalError:  # the shared-cache test database: "table is locked"
                    pass
                stop.wait(0.2)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    yield thread.start
    stop.set()
    if thread.is_alive():
        thread.join(timeout=30)


def test_upload_a_workbook_and_follow_the_job(page, live_server, worker, tmp_path: Path) -> None:
    f.user("uploader", staff=True)
    folder = tmp_path / "wb"
    folder.mkdir()
    demo.write_workbook(folder)
    archive = tmp_path / "clientmap-demo.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
    archive.write_bytes(buf.getvalue())

    login(page, live_server.url, "uploader", f.PASSWORD)
    page.click("nav >> text=Imports")
    page.set_input_files("input[name=file]", str(archive))
    page.select_option("select[name=format]", "workbook")
    page.click("text=Upload and import")
    page.wait_for_url("**/imports/*-*/", timeout=20_000)
    assert Job.objects.get(name="imports.run").status != "done"  # queued, not run inline
    worker()
    # The worker holds the shared-cache test database's only write lock while it imports, and
    # that database answers a reader "table is locked" at once (a real SQLite file waits): so
    # reload the page until it shows the outcome instead of relying on one htmx poll.
    job_url = page.url
    deadline = time.time() + 120
    while not page.locator(".job-status", has_text="done").count():
        assert time.time() < deadline, "the worker did not finish the import"
        page.wait_for_timeout(1000)
        if not page.locator("#job").count():
            page.goto(job_url)
    body = page.locator("#job").inner_text()
    assert "requests" in body and str(len(demo.REQUESTS)) in body
    assert Request.objects.count() == len(demo.REQUESTS)
    job = Job.objects.get(name="imports.run")
    assert job.status == "done" and job.worker.count(":") == 2  # run by a worker, not inline

"""A staff user uploads a workbook in the browser and watches it import."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from clientmap.engagements.models import Request
from tests import factories as f
from tests import story as demo
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_workbook_and_follow_the_job(page, live_server, tmp_path: Path) -> None:
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
    page.locator(".job-status", has_text="done").wait_for(timeout=30_000)
    body = page.locator("#job").inner_text()
    assert "requests" in body and str(len(demo.REQUESTS)) in body
    assert Request.objects.count() == len(demo.REQUESTS)

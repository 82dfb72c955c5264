"""Property: the CSV importer, fed random text, random quoting and random encodings (and
random bytes), either imports exactly the rows given or fails naming file, line (and column
where there is one) — and never leaves a partial write."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientmap.core.csvfiles import restore
from clientmap.directory.models import Organization, Person
from clientmap.imports import workbook

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: CI stays reproducible
)

cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=40
)
rows = st.lists(st.tuples(cells, cells), min_size=1, max_size=8, unique_by=lambda r: r[0].strip())
quoting = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])


def _state():
    return sorted(Person.objects.values_list("key", "name")), Organization.objects.count()


def _run(folder: Path):
    before = _state()
    try:
        report = workbook.import_workbook(folder)
    except workbook.WorkbookError as exc:
        assert exc.errors
        for e in exc.errors:
            assert e.file and e.line, f"no file/line: {e}"
            assert str(e).startswith(e.file)
        assert _state() == before, "a failed import wrote something"
        return None
    return report


def _fresh():
    Person.objects.all().delete()
    Organization.objects.all().delete()


@SETTINGS
@given(
    rows=rows, quoting=quoting, encoding=encodings, lineterminator=st.sampled_from(["\r\n", "\n"])
)
def test_random_text_imports_exactly_or_fails_with_place(rows, quoting, encoding, lineterminator):
    _fresh()
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "organizations.csv").write_text(
            "key,name,home\nhome,Home,yes\n", encoding="utf-8"
        )
        buf = io.StringIO()
        w = csv.writer(buf, quoting=quoting, lineterminator=lineterminator)
        w.writerow(["key", "name", "organization"])
        for key, name in rows:
            w.writerow([key, name, "home"])
        try:
            data = buf.getvalue().encode(encoding)
        except UnicodeEncodeError:
            return  # this text cannot be written in that encoding at all
        (folder / "people.csv").write_bytes(data)
        report = _run(folder)
        if report is None:
            return
        # it worked: exactly the rows given, with the values given (stripped, un-neutralised)
        assert encoding in ("utf-8", "utf-8-sig") or data.decode("utf-8", "strict") is not None
        expected = sorted((restore(k.strip()), restore(n.strip())) for k, n in rows)
        assert sorted(Person.objects.values_list("key", "name")) == expected
    finally:
        shutil.rmtree(folder)


@SETTINGS
@given(garbage=st.binary(min_size=0, max_size=300))
def test_random_bytes_import_or_fail_with_place(garbage):
    _fresh()
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "organizations.csv").write_text(
            "key,name,home\nhome,Home,yes\n", encoding="utf-8"
        )
        (folder / "people.csv").write_bytes(b"key,name,organization\n" + garbage)
        before = Person.objects.count()
        report = _run(folder)
        if report is not None:
            # whatever was imported is exactly what a CSV reader finds in the file
            text = (b"key,name,organization\n" + garbage).decode("utf-8")
            found = [r for r in csv.reader(io.StringIO(text))][1:]
            want = {restore(r[0].strip()) for r in found if r and any(c.strip() for c in r)}
            assert set(Person.objects.values_list("key", flat=True)) == want
        else:
            assert Person.objects.count() == before
    finally:
        shutil.rmtree(folder)

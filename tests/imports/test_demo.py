"""The demo is a workbook folder in the package, loaded by the user's importer: it round-trips
through export, its dates follow the day it is loaded, and it has a life (wishes with votes and a
merged duplicate, alerts, an impact notice, an import in the history, an inbox). No count of the
demo is asserted: only relations between what was loaded and what comes back."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from clientmap.directory.models import Message, Person
from clientmap.engagements.models import Request
from clientmap.imports import demo, workbook
from clientmap.imports.models import ImportJob
from clientmap.valuechain.models import Alert, ImpactNotice
from clientmap.voice.models import Vote, Wish

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 11, 20)


def rows(path: Path, columns: list[str]) -> Counter:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return Counter(tuple((r.get(c) or "") for c in columns) for r in reader)


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def test_every_demo_file_is_a_workbook_file() -> None:
    known = set(workbook.FILES) | {s.filename for s in workbook._SECTIONS}
    names = {p.name for p in demo.files()}
    assert names and names <= known
    # the core files and those of the voice and value-chain areas are shown by the demo (the
    # experience and fit areas add theirs)
    shown = set(workbook.FILES) | {
        "wishes.csv",
        "votes.csv",
        "comments.csv",
        "alerts.csv",
        "notices.csv",
    }
    assert shown <= names, shown - names


def test_round_trip_import_export_gives_the_demo_back(tmp_path: Path) -> None:
    given = demo.write_workbook(tmp_path / "given", DAY)
    workbook.import_workbook(given)
    back = tmp_path / "back"
    workbook.export_workbook(back)
    for path in sorted(given.glob("*.csv")):
        columns = header(path)
        assert set(columns) <= set(header(back / path.name)), path.name
        assert rows(back / path.name, columns) == rows(path, columns), path.name


def test_dates_are_moved_so_the_newest_request_is_today(tmp_path: Path) -> None:
    demo.load(DAY)
    newest = max(Request.objects.values_list("opened", flat=True))
    assert newest == DAY
    first = Request.objects.order_by("key").values_list("key", "opened").first()
    Request.objects.all().delete()
    later = DAY + timedelta(days=40)
    demo.write_workbook(tmp_path, later)
    workbook.import_workbook(tmp_path)
    assert Request.objects.get(key=first[0]).opened == first[1] + timedelta(days=40)
    assert max(Alert.objects.values_list("time", flat=True)).date() <= later


def test_a_second_load_changes_nothing() -> None:
    demo.load(DAY)
    jobs = ImportJob.objects.count()
    messages = Message.objects.count()
    report, users = demo.load(DAY)
    assert not report.changed and users == []
    assert ImportJob.objects.count() == jobs and Message.objects.count() == messages


def test_the_demo_has_a_life() -> None:
    demo.load(DAY)
    merged = Wish.objects.filter(merged_into__isnull=False).first()
    assert merged is not None and not Vote.objects.filter(wish=merged).exists()
    assert Vote.objects.filter(wish=merged.merged_into).exists()
    assert Alert.objects.filter(service__isnull=True).exists()  # an unknown component, kept
    assert Alert.objects.filter(service__isnull=False).exists()
    assert ImpactNotice.objects.exists()
    job = ImportJob.objects.get(filename="clientmap demo")
    assert job.status == ImportJob.Status.DONE and job.report["files"]["requests"]["created"]
    admin = Person.objects.get(user__username="admin")
    assert Message.objects.filter(person=admin, kind=Message.Kind.IMPORT, read_at=None).exists()
    portal = Person.objects.get(user__username="portal")
    assert Message.objects.filter(person=portal, kind=Message.Kind.IMPACT).exists()


def test_merged_into_must_name_a_wish(tmp_path: Path) -> None:
    book = demo.write_workbook(tmp_path, DAY)
    path = book / "wishes.csv"
    text = path.read_text(encoding="utf-8").replace(",W-001\n", ",W-999\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    err = exc.value.errors[0]
    assert (err.file, err.column, err.value) == ("wishes.csv", "merged_into", "W-999")
    assert not Wish.objects.exists() and not Person.objects.exists()

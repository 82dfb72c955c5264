"""wishes.csv, votes.csv and comments.csv ride along with the workbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientmap.imports import workbook
from clientmap.voice.models import Comment, Vote, Wish
from tests import story as demo

pytestmark = pytest.mark.django_db


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    demo.write_workbook(tmp_path)
    write(
        tmp_path,
        "wishes.csv",
        "key,author,title,text,team,service,status,created,visibility\n"
        "W-1,nsa-appdir,Receipts by e-mail,forward them,t-core,svc-expense-app,planned,2026-10-01,public\n"
        "W-2,aur-fin-1,Month-end report,,t-erp,,new,2026-10-02T09:30:00,organization\n",
    )
    write(
        tmp_path,
        "votes.csv",
        "wish,person,created\nW-1,nsa-arch-1,2026-10-03\nW-1,nsa-arch-2,\nW-1,nsa-arch-1,\nW-2,aur-cfo,\n",
    )
    write(tmp_path, "comments.csv", "wish,person,created,text\nW-1,nsa-arch-1,,We need this\n")
    return tmp_path


def test_wishes_votes_comments_import_once(book: Path) -> None:
    report = workbook.import_workbook(book)
    assert report.counts["wishes"]["created"] == 2
    assert report.counts["votes"]["created"] == 3  # a repeated vote counts once
    assert Wish.objects.get(key="W-1").vote_count == 2
    assert Wish.objects.get(key="W-2").visibility == "organization"
    assert Comment.objects.count() == 1
    again = workbook.import_workbook(book)
    assert not again.changed
    assert Vote.objects.count() == 3 and Comment.objects.count() == 1


def test_unknown_voter_stops_the_import(book: Path) -> None:
    write(book, "votes.csv", "wish,person,created\nW-1,ghost,\n")
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column, err.value) == ("votes.csv", 2, "person", "ghost")
    assert Wish.objects.count() == 0 and Vote.objects.count() == 0


def test_export_writes_them_back(book: Path, tmp_path: Path) -> None:
    workbook.import_workbook(book)
    out = tmp_path / "out"
    written = workbook.export_workbook(out)
    assert written["wishes.csv"] == 2 and written["votes.csv"] == 3
    assert "Receipts by e-mail" in (out / "wishes.csv").read_text(encoding="utf-8")

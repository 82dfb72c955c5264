"""Amounts with a decimal comma (1,5) or point (1.5) are the same number; anything else is an
error naming the place — never a silently different amount (15, 1)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from clientmap.engagements.models import Involvement
from clientmap.imports import workbook

pytestmark = pytest.mark.django_db


def book(folder: Path, hours: list[str]) -> Path:
    (folder / "organizations.csv").write_text("key,name,home\nhq,HQ,yes\n", encoding="utf-8")
    people = "".join(f"p{i},Person {i},hq\n" for i in range(len(hours)))
    (folder / "people.csv").write_text("key,name,organization\n" + people, encoding="utf-8")
    (folder / "teams.csv").write_text("key,name\nt,Team\n", encoding="utf-8")
    rows = "".join(f'p{i},t,decides,2026-01-05,"{h}"\n' for i, h in enumerate(hours))
    (folder / "involvements.csv").write_text(
        "person,team,role,date,hours\n" + rows, encoding="utf-8"
    )
    return folder


def test_workbook_hours_accept_a_decimal_comma_or_point(tmp_path):
    workbook.import_workbook(book(tmp_path, ["1,5", "2.25", "3", "0,75"]))
    hours = dict(Involvement.objects.values_list("person__key", "hours"))
    assert hours == {
        "p0": Decimal("1.5"),
        "p1": Decimal("2.25"),
        "p2": Decimal("3"),
        "p3": Decimal("0.75"),
    }


@pytest.mark.parametrize("bad", ["1,5,0", "1.5.0", "one", "1;5"])
def test_workbook_hours_that_are_no_number_name_the_place(tmp_path, bad):
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book(tmp_path, ["2", bad]))
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("involvements.csv", 3, "hours")
    assert not Involvement.objects.exists()

"""Defect 3: CSV files meant for a spreadsheet never carry a live formula; the lossless export
keeps values exact, and importing a neutralised file restores them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from clientmap.core.csvfiles import escape_exact, neutralise, restore
from clientmap.customers import rules
from clientmap.directory.models import Person
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://x","click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    "value",
    [*PAYLOADS, "'=already quoted", "''-x", "'", "plain", "", "it's", "a=b", "'plain", "Москва"],
)
def test_neutralise_restore_round_trip(value):
    n = neutralise(value)
    assert not n.startswith(TRIGGERS)
    assert restore(n) == value
    assert restore(escape_exact(value)) == value
    if value.startswith(TRIGGERS):
        assert n == "'" + value and escape_exact(value) == value  # the export keeps it exact


def test_numbers_are_left_alone():
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5


def cells(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def assert_safe(rows: list[list[str]], payloads=PAYLOADS) -> None:
    flat = [c for row in rows for c in row]
    for c in flat:
        assert not c.startswith(TRIGGERS), repr(c)
    for p in payloads:
        assert "'" + p in flat, p


@pytest.fixture
def world(home):
    staff = f.user("csv-staff", staff=True)
    org = f.org(key="=org", name="@org")
    team = f.team(key="csv-team", name="CSV team")
    people = []
    for i, p in enumerate(PAYLOADS):
        person = f.person(org, key=f"p{i}", name=p, email=f"p{i}@example.org")
        f.request(person, team, key=f"r{i}", title=p)
        Wish.objects.create(key=f"w{i}", author=person, title=p, team=team)
        people.append(person)
    rules.recompute()
    return staff, org, team


def test_team_customers_csv(client, world):
    staff, _org, team = world
    client.force_login(staff)
    page = client.get(reverse("customers:team", args=[team.key])).content.decode()
    assert "format=csv" in page
    r = client.get(reverse("customers:team", args=[team.key]) + "?format=csv")
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = cells(r)
    assert len(rows) == 1 + len(PAYLOADS)
    assert_safe(rows)
    assert "'@org" in rows[1]


def test_team_customers_csv_follows_the_filters(client, world):
    staff, _org, team = world
    client.force_login(staff)
    r = client.get(reverse("customers:team", args=[team.key]) + "?format=csv&kind=internal")
    assert len(cells(r)) == 1  # they are all external: only the header


def test_organization_people_csv(client, world):
    staff, org, _team = world
    client.force_login(staff)
    assert (
        "format=csv"
        in client.get(reverse("directory:organization", args=[org.key])).content.decode()
    )
    rows = cells(client.get(reverse("directory:organization", args=[org.key]) + "?format=csv"))
    assert len(rows) == 1 + len(PAYLOADS)
    assert_safe(rows)
    assert {r[-1] for r in rows[1:]} == {"1"}  # customer of one team each


def test_wishes_csv(client, world):
    staff, _org, _team = world
    client.force_login(staff)
    assert "format=csv" in client.get(reverse("voice:portal")).content.decode()
    rows = cells(client.get(reverse("voice:portal") + "?format=csv"))
    assert len(rows) == 1 + len(PAYLOADS)
    assert_safe(rows)


def test_portal_user_wishes_csv_holds_only_what_they_see(client, world):
    _staff, _org, _team = world
    outsider = f.user("csv-outsider", person=f.person(f.org(key="elsewhere")))
    Wish.objects.filter(key="w0").update(visibility=Wish.Visibility.ORGANIZATION)
    client.force_login(outsider)
    rows = cells(client.get(reverse("voice:portal") + "?format=csv"))
    assert "w0" not in {r[0] for r in rows} and len(rows) == len(PAYLOADS)


def test_alert_ranking_csv(client, world):
    staff, _org, team = world
    svc = f.service(team, key="svc-csv", name="=svc")
    client.force_login(staff)
    feed = (
        "key,service,severity,time,text\n"
        + "".join(
            f'A{i},svc-csv,warning,2026-01-01T10:00,"{p.replace(chr(34), chr(34) * 2)}"\n'
            for i, p in enumerate(PAYLOADS[:4])
        )
        + "B1,nonesuch,critical,,=evil()\n"
    )
    r = client.post(reverse("valuechain:alerts"), {"text": feed, "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = cells(r)
    assert len(rows) == 1 + 5

    assert_safe(rows, PAYLOADS[:4] + ["=evil()", "=svc"])
    assert svc.name == "=svc"


def _write(folder: Path, name: str, rows: list[list[str]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_export_is_exact_and_neutralised_files_import_back(tmp_path, db):
    from clientmap.imports import workbook

    book = tmp_path / "book"
    book.mkdir()
    _write(book, "organizations.csv", [["key", "name", "home"], ["home", "Home", "yes"]])
    people = [["key", "name", "organization"]] + [
        [f"p{i}", p, "home"] for i, p in enumerate(PAYLOADS)
    ]
    # in the workbook format an apostrophe before = + - @ is the neutralising one: a literal
    # leading apostrophe there is written twice (as the export does)
    people.append(["q", "''=quoted on purpose", "home"])
    _write(book, "people.csv", people)
    workbook.import_workbook(book)
    names = dict(Person.objects.values_list("key", "name"))
    assert names["p0"] == PAYLOADS[0] and names["q"] == "'=quoted on purpose"

    out = tmp_path / "out"
    workbook.export_workbook(out)
    exported = {
        r["key"]: r["name"] for r in csv.DictReader((out / "people.csv").open(encoding="utf-8"))
    }
    for i, p in enumerate(PAYLOADS):
        if not p.startswith(("\t", "\r")):  # the importer strips surrounding white space
            assert exported[f"p{i}"] == p  # exact, formula included (documented)

    # a neutralised copy (as a spreadsheet download would be) imports back to the exact values
    neutral = tmp_path / "neutral"
    neutral.mkdir()
    _write(neutral, "organizations.csv", [["key", "name", "home"], ["home", "Home", "yes"]])
    _write(
        neutral,
        "people.csv",
        [["key", "name", "organization"]]
        + [[neutralise(k), neutralise(n), "home"] for k, n in names.items()],
    )
    Person.objects.all().delete()
    workbook.import_workbook(neutral)
    assert dict(Person.objects.values_list("key", "name")) == names


def test_rejected_rows_file_is_neutralised(tmp_path, db):
    from clientmap.imports import workbook

    book = tmp_path / "book"
    book.mkdir()
    _write(book, "organizations.csv", [["key", "name", "home"], ["home", "Home", "yes"]])
    _write(
        book,
        "people.csv",
        [
            ["key", "name", "email", "organization"],
            ["ok", "Ok", "", "home"],
            ["bad", '=HYPERLINK("http://x")', "=not-an-address", "home"],
        ],
    )
    rejects = tmp_path / "rejects.csv"
    workbook.import_workbook(book, skip_invalid=True, rejects=rejects)
    rows = list(csv.reader(rejects.open(encoding="utf-8")))
    assert len(rows) >= 2
    assert_safe(rows, ["=not-an-address"])

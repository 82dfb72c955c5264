"""The workbook format: import, idempotence, all-or-nothing errors, lossless export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from clientmap.catalog.models import Consumption, Service
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization, Person, Team, TeamMembership, Unit
from clientmap.engagements.models import Involvement, Request
from clientmap.imports import workbook
from tests import story as demo

pytestmark = pytest.mark.django_db

MODELS = [
    Organization,
    Unit,
    Person,
    Team,
    TeamMembership,
    Service,
    Consumption,
    Request,
    Involvement,
]


def snapshot() -> dict:
    """Every stored row of every input table plus the derived relations, comparable."""
    out = {m.__name__: sorted(map(repr, m.objects.values_list())) for m in MODELS}
    out["relations"] = sorted(
        map(
            repr,
            CustomerRelation.objects.values_list(
                "team__key", "person__key", "is_customer", "kind", "basis_r", "basis_d", "active"
            ),
        )
    )
    return out


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    return folder


def edit(folder: Path, name: str, line: int, column: str, value: str) -> None:
    """Set one cell (``line`` counts the header as 1, like the error messages)."""
    path = folder / name
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_import_creates_everything_and_recomputes(book: Path) -> None:
    report = workbook.import_workbook(book)
    assert report.counts["people"]["created"] == len(demo.PEOPLE)
    assert report.counts["requests"]["created"] == len(demo.REQUESTS)
    assert Organization.objects.get(is_home=True).key == "aurora"
    assert Person.objects.get(key="nsa-appdir").manager.key == "nsa-fc-cio"
    assert Unit.objects.get(key="nsa-fc").parent.key == "nsa-hq"
    assert Consumption.objects.filter(consumer_organization__key="space-agency").count() == 4
    rel = CustomerRelation.objects.get(team__key="t-sales", person__key="nsa-appdir")
    assert (rel.is_customer, rel.kind, rel.basis) == (True, "external_paying", "RD")


def test_second_import_changes_nothing(book: Path) -> None:
    workbook.import_workbook(book)
    before = snapshot()
    report = workbook.import_workbook(book)
    assert not report.changed
    assert all(c["created"] == c["updated"] == 0 for c in report.counts.values())
    assert snapshot() == before


def test_changed_row_is_updated_not_duplicated(book: Path) -> None:
    workbook.import_workbook(book)
    line = 1 + next(i for i, r in enumerate(demo.REQUESTS, 1) if r[0] == "REQ-1007")
    edit(book, "requests.csv", line, "status", "accepted")
    report = workbook.import_workbook(book)
    assert report.counts["requests"] == {"created": 0, "updated": 1, "unchanged": 16}
    assert Request.objects.count() == len(demo.REQUESTS)
    rel = CustomerRelation.objects.get(team__key="t-impl", person__key="lib-head")
    assert rel.is_customer  # was a prospect: the declined request is now accepted


@pytest.mark.parametrize(
    ("name", "line", "column", "value", "message"),
    [
        ("requests.csv", 3, "requester", "nobody", "unknown person key"),
        ("requests.csv", 4, "opened", "31/12/2025", "not an ISO 8601 date"),
        ("requests.csv", 2, "status", "done", "must be one of"),
        ("requests.csv", 2, "payment", "bitcoin", "must be one of"),
        ("involvements.csv", 5, "role", "sponsors", "must be one of"),
        ("people.csv", 6, "organization", "", "a value is required"),
        ("people.csv", 6, "manager", "ghost", "unknown person key"),
        ("units.csv", 3, "parent", "aur-nowhere", "unknown unit key"),
        ("consumes.csv", 2, "consumer", "svc-nothing", "not a service, unit or organization key"),
        ("organizations.csv", 3, "home", "yes", "only one organization can be home"),
        ("services.csv", 2, "status", "broken", "must be one of"),
    ],
)
def test_bad_value_stops_import_and_names_the_place(
    book: Path, name: str, line: int, column: str, value: str, message: str
) -> None:
    workbook.import_workbook(book)
    edit(book, "requests.csv", 2, "title", "a change that must not land")
    before = snapshot()
    edit(book, name, line, column, value)
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    err = next(e for e in exc.value.errors if e.file == name and e.column == column)
    assert err.line == line
    assert message in err.message
    assert str(err).startswith(f"{name}, line {line}, column {column!r}")
    assert snapshot() == before  # nothing written, not even the valid change


def test_error_into_empty_database_leaves_it_empty(book: Path) -> None:
    edit(book, "involvements.csv", 4, "date", "2025-02-30")
    with pytest.raises(workbook.WorkbookError):
        workbook.import_workbook(book)
    assert all(m.objects.count() == 0 for m in MODELS)


def test_missing_required_column(book: Path) -> None:
    path = book / "teams.csv"
    rows = [r[1:] for r in csv.reader(path.open(encoding="utf-8"))]  # drop the key column
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("teams.csv", 1, "key")
    assert "required column is missing" in err.message


def test_duplicate_key_in_file(book: Path) -> None:
    with (book / "teams.csv").open("a", encoding="utf-8") as fh:
        fh.write("t-core,Another core team,\n")
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    assert "duplicate key (already on line" in exc.value.errors[0].message


def test_not_utf8(book: Path) -> None:
    (book / "teams.csv").write_bytes("key,name,unit\nt-x,Équipe\n".encode("cp1252"))
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    assert exc.value.errors[0].line == 2
    assert "UTF-8" in exc.value.errors[0].message


def test_utf8_bom_and_header_case_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "organizations.csv").write_text(
        "\ufeffKey,Name,Home\nhq,Casa Matriz,sí\nacme,Acme,\n", encoding="utf-8"
    )
    workbook.import_workbook(tmp_path)
    assert Organization.objects.get(key="hq").is_home
    assert not Organization.objects.get(key="acme").is_home


def test_ambiguous_consumer_needs_a_prefix(tmp_path: Path) -> None:
    (tmp_path / "organizations.csv").write_text("key,name,home\nx,X Org,yes\n", encoding="utf-8")
    (tmp_path / "services.csv").write_text("key,name,team\nx,X service,\ny,Y,\n", encoding="utf-8")
    (tmp_path / "consumes.csv").write_text("consumer,provider\nx,y\n", encoding="utf-8")
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(tmp_path)
    assert "ambiguous key: write service:x or organization:x" in exc.value.errors[0].message
    (tmp_path / "consumes.csv").write_text(
        "consumer,provider\norganization:x,y\n", encoding="utf-8"
    )
    workbook.import_workbook(tmp_path)
    assert Consumption.objects.get().consumer_organization.key == "x"


def test_check_writes_nothing_but_reports(book: Path) -> None:
    report = workbook.import_workbook(book, check=True)
    assert report.checked_only
    assert report.counts["people"]["created"] == len(demo.PEOPLE)
    assert Person.objects.count() == 0


def test_export_round_trip_is_lossless(book: Path, tmp_path: Path) -> None:
    workbook.import_workbook(book)
    out1 = tmp_path / "out1"
    workbook.export_workbook(out1)
    for model in MODELS:
        model.objects.all().delete() if model is not Organization else None
    Person.objects.all().delete()
    Organization.objects.all().delete()
    workbook.import_workbook(out1)
    out2 = tmp_path / "out2"
    workbook.export_workbook(out2)
    for name in workbook.FILES:
        assert (out1 / name).read_text(encoding="utf-8") == (out2 / name).read_text(
            encoding="utf-8"
        ), name
    # and the export holds what the workbook said
    rows = list(csv.DictReader((out1 / "requests.csv").open(encoding="utf-8")))
    assert {r["key"] for r in rows} == {r[0] for r in demo.REQUESTS}
    assert workbook.import_workbook(out1).changed is False


def test_cli_import_error_message_and_json(book: Path, capsys) -> None:
    edit(book, "requests.csv", 3, "team", "t-nope")
    with pytest.raises(CommandError) as exc:
        call_command("import", str(book))
    assert "requests.csv, line 3, column 'team': unknown team key (value 't-nope')" in str(
        exc.value
    )
    edit(book, "requests.csv", 3, "team", "t-sales")
    call_command("import", str(book), "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["files"]["teams"]["created"] == len(demo.TEAMS)


def test_demo_is_idempotent() -> None:
    demo.load()
    before = snapshot()
    report, users = demo.load()
    assert users == []
    assert not report.changed
    assert snapshot() == before


def test_cycles_are_reported_not_refused(tmp_path: Path) -> None:
    (tmp_path / "organizations.csv").write_text("key,name,home\nus,Us,yes\n", encoding="utf-8")
    (tmp_path / "services.csv").write_text(
        "key,name,team\na,A,\nb,B,\nc,C,\nlone,Lone,\n", encoding="utf-8"
    )
    (tmp_path / "consumes.csv").write_text("consumer,provider\na,b\nb,c\nc,a\n", encoding="utf-8")
    report = workbook.import_workbook(tmp_path)
    assert [c["services"] for c in report.cycles] == [["a", "b", "c"]]
    assert Consumption.objects.count() == 3


def test_large_load_path_rebuilds_indexes(book: Path, monkeypatch) -> None:
    """The bulk path (indexes dropped and rebuilt around a large load) gives the same result."""
    from clientmap.core import bulk

    monkeypatch.setattr(bulk, "THRESHOLD", 1)
    rebuilt: list[str] = []
    original = bulk.secondary_indexes

    def spy(table: str):
        rebuilt.append(table)
        return original(table)

    before = {
        t: sorted(n for n, _ in bulk.secondary_indexes(t))
        for t in ("engagements_request", "engagements_involvement", "customers_customerrelation")
    }
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pg = connection.vendor == "postgresql"
    fks = {t: sorted(bulk._foreign_keys(t)) for t in before} if pg else {}
    monkeypatch.setattr(bulk, "secondary_indexes", spy)
    with CaptureQueriesContext(connection) as queries:
        report = workbook.import_workbook(book)
    if pg:  # foreign keys dropped for the load are back, unchanged
        assert {t: sorted(bulk._foreign_keys(t)) for t in before} == fks
        assert all(fks.values())
    monkeypatch.setattr(bulk, "secondary_indexes", original)
    assert {"engagements_request", "customers_customerrelation"} <= set(rebuilt)
    assert report.counts["requests"]["created"] == len(demo.REQUESTS)
    after = {t: sorted(n for n, _ in bulk.secondary_indexes(t)) for t in before}
    assert after == before and all(after.values())
    rel = CustomerRelation.objects.get(team__key="t-sales", person__key="nsa-appdir")
    assert (rel.kind, rel.basis) == ("external_paying", "RD")
    if pg:  # each table loaded in bulk was analyzed inside the import (planner statistics)
        analyzed = {q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")}
        assert {'ANALYZE "engagements_request"', 'ANALYZE "customers_customerrelation"'} <= analyzed


def test_skip_invalid_imports_the_rest_and_writes_rejects(book: Path, tmp_path: Path) -> None:
    edit(book, "requests.csv", 3, "opened", "31/12/2025")  # a bad date
    edit(book, "requests.csv", 5, "requester", "nobody")  # an unknown person
    edit(book, "people.csv", 4, "email", "not-an-address")
    rejects = tmp_path / "rejects.csv"
    report = workbook.import_workbook(book, skip_invalid=True, rejects=rejects)
    assert report.rejected >= 3
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    places = {(r["file"], r["line"], r["column"]) for r in rows}
    assert {("requests.csv", "3", "opened"), ("requests.csv", "5", "requester")} <= places
    assert ("people.csv", "4", "email") in places
    # rejecting a person rejects, in turn, what refers to them: their four reports (manager)
    # and the request of one of those reports
    managed = [r for r in rows if r["column"] == "manager" and r["value"] == "aur-infra-lead"]
    assert len(managed) == 4
    assert Person.objects.count() == len(demo.PEOPLE) - 5
    assert Request.objects.count() == len(demo.REQUESTS) - 3
    assert not Request.objects.filter(key="REQ-2007").exists()

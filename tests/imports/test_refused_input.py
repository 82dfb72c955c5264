"""Input no database column can hold, and files whose header is ambiguous, stop the import with
the file, line, column and value — before anything is staged, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientmap.directory.models import Organization, Person
from clientmap.imports import mapping, workbook
from clientmap.imports.engine import ImportFailed

pytestmark = pytest.mark.django_db

PEOPLE_MAPPING = {
    "person": {"key": "login", "name": "full name", "organization": {"value": "us"}},
}


@pytest.fixture
def home(db):
    return Organization.objects.create(key="us", name="Us", is_home=True)


def _book(tmp_path: Path, people: bytes) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "organizations.csv").write_text("key,name,home\nus,Us,yes\n", encoding="utf-8")
    (folder / "people.csv").write_bytes(people)
    return folder


def _state():
    return sorted(Person.objects.values_list("key", "name")), Organization.objects.count()


@pytest.mark.parametrize(
    ("people", "line", "column"),
    [
        (b"key,name,organization\nann,Ann,us\nbob,Bo\x00b,us\n", 3, "name"),
        (b"key,name,organization\nann,Ann,us\n\x00bob,Bob,us\n", 3, "key"),
        # inside a quoted value over two lines: the line where the record started
        (b'key,name,organization\nann,"Ann\nLee\x00",us\n', 2, "name"),
        (b"key,na\x00me,organization\nann,Ann,us\n", 1, "#2"),
    ],
)
def test_a_nul_byte_in_a_workbook_stops_with_its_place(tmp_path, people, line, column) -> None:
    Person.objects.create(
        key="old", name="Old", organization=Organization.objects.create(key="o", name="O")
    )
    before = _state()
    folder = _book(tmp_path, people)
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("people.csv", line, column), str(err)
    assert "NUL" in err.message and "\x00" in err.value
    assert str(err).startswith("people.csv, line ")
    assert _state() == before


def test_a_nul_byte_in_a_mapped_file_stops_with_its_place(tmp_path, home) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"login,full name\nann,Ann\nbob,Bob \x00 Smith\n")
    for check in (True, False):
        with pytest.raises(ImportFailed) as exc:
            mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING), check=check)
        err = exc.value.errors[0]
        assert (err.file, err.line, err.column) == ("people.csv", 3, "full name"), str(err)
        assert "NUL" in err.message and "\x00" in err.value
    assert not Person.objects.exists()


def test_other_control_characters_are_stored_as_they_are(tmp_path, home) -> None:
    """Only what a database refuses is refused: a tab or an escape character is kept."""
    path = tmp_path / "people.csv"
    path.write_bytes(b"login,full name\nann,Ann\x1b[1m\tLee\x7f\n")
    mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING))
    assert Person.objects.get(key="ann").name == "Ann\x1b[1m\tLee\x7f"


# --- a column the file holds twice ---------------------------------------------------------

TWICE = b"login,full name,team,full name\nann,Ann Lee,desk,Ann L.\n"


def test_a_repeated_column_read_as_one_value_is_refused_naming_both(tmp_path, home) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(TWICE)
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING))
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("people.csv", 1, "full name"), str(err)
    assert "appears twice (columns 2 and 4)" in err.message
    assert "first = true" in err.hint
    assert not Person.objects.exists()
    # three times: every position named; a template reading it is as ambiguous
    path.write_bytes(b"login,full name,full name,full name\nann,A,B,C\n")
    spec = {"person": {**PEOPLE_MAPPING["person"], "name": {"template": "{full name}!"}}}
    with pytest.raises(ImportFailed, match=r"appears 3 times \(columns 2, 3 and 4\)"):
        mapping.import_mapped(path, mapping.parse(spec))


def test_a_repeated_column_read_with_first_or_all_or_not_read_is_accepted(tmp_path, home) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(TWICE)
    first = {
        "person": {
            "key": "login",
            "name": {"column": "full name", "first": True},
            "organization": {"value": "us"},
        }
    }
    mapping.import_mapped(path, mapping.parse(first))
    assert Person.objects.get(key="ann").name == "Ann Lee"
    every = {
        "person": {"key": {"column": "full name", "all": True}, "organization": {"value": "us"}}
    }
    mapping.import_mapped(path, mapping.parse(every))
    assert {"Ann Lee", "Ann L."} <= set(Person.objects.values_list("key", flat=True))
    unread = {"person": {"key": "team", "organization": {"value": "us"}}}
    mapping.import_mapped(path, mapping.parse(unread))
    assert Person.objects.filter(key="desk").exists()


def test_first_and_all_together_is_a_mapping_mistake() -> None:
    spec = {"person": {"key": {"column": "a", "all": True, "first": True}, "organization": "o"}}
    with pytest.raises(mapping.MappingError, match="not both"):
        mapping.parse(spec)


def test_every_format_fails_with_the_one_import_error(tmp_path, home) -> None:
    """Workbook and mapped files alike: one exception type, each error with file and line."""
    assert workbook.WorkbookError is ImportFailed
    folder = _book(tmp_path, b"key,name,organization\nann,Ann,nowhere\n")
    path = tmp_path / "people.csv"
    path.write_bytes(b"login,full name\nann\n")
    for run in (
        lambda: workbook.import_workbook(folder),
        lambda: mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING)),
    ):
        with pytest.raises(ImportFailed) as exc:
            run()
        err = exc.value.errors[0]
        assert err.file == "people.csv" and err.line == 2 and err.column, str(err)


def test_the_garbage_collector_runs_again_after_any_import(tmp_path, home) -> None:
    """Reading switches cyclic garbage collection off for its duration only: after a refused
    import as after a good one (workbook and mapped), it is on again."""
    import gc

    assert gc.isenabled()
    path = tmp_path / "people.csv"
    path.write_bytes(b"login,full name\nann,Ann\x00\n")
    with pytest.raises(ImportFailed):
        mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING))
    assert gc.isenabled()
    path.write_bytes(b"login,full name\nann,Ann\n")
    mapping.import_mapped(path, mapping.parse(PEOPLE_MAPPING))
    assert gc.isenabled()
    with pytest.raises(ImportFailed):
        workbook.import_workbook(_book(tmp_path, b"key,name,organization\nann,Ann,nowhere\n"))
    assert gc.isenabled()

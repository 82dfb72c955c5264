"""The worked examples of docs/mapping.md, run as they are written there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from clientmap.engagements.models import Request
from clientmap.imports import mapping
from clientmap.imports.engine import ImportFailed

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "mapping.md").read_text(encoding="utf-8")
FENCE = re.compile(r"```(\w+) (file|example)=(\S+)\n(.*?)```", re.S)
BLOCKS = {(kind, name): body for _, kind, name, body in FENCE.findall(DOCS)}


def example(tmp_path: Path, name: str, file: str, toml: str | None = None):
    path = tmp_path / file
    path.write_text(BLOCKS[("file", file)], encoding="utf-8")
    spec = toml if toml is not None else BLOCKS[("example", name)]
    return path, mapping.parse(tomllib.loads(spec), name)


def requests() -> set:
    return set(Request.objects.values_list("key", "requester__key", "team__key", "status", "title"))


def test_optional_columns_example(tmp_path) -> None:
    path, m = example(tmp_path, "optional", "optional.csv")
    report = mapping.import_mapped(path, m)
    assert requests() == {
        ("H-1", "ann", "desk", "fulfilled", "(no subject)"),
        ("H-2", "bob", "desk", "fulfilled", "(no subject)"),
    }
    assert report.absent_optional == ["Subject"]
    strict = BLOCKS[("example", "optional")].replace(", optional = true", "")
    path, m = example(tmp_path, "optional", "optional.csv", strict)
    with pytest.raises(ImportFailed, match="column named in the mapping is not in the file"):
        mapping.import_mapped(path, m)


def test_whitespace_example(tmp_path) -> None:
    path, m = example(tmp_path, "aligned", "aligned.txt")
    mapping.import_mapped(path, m)
    assert requests() == {
        ("T-100", "ann.lee", "network", "fulfilled", ""),
        ("T-101", "bob", "desk", "submitted", ""),
    }
    path.write_text(BLOCKS[("file", "aligned.txt")] + "T-102 carl desk open 2026-02-04 extra\n")
    with pytest.raises(ImportFailed, match="row has 6 fields, header has 5"):
        mapping.import_mapped(path, m)


def test_event_log_example(tmp_path) -> None:
    path, m = example(tmp_path, "events", "events.csv")
    mapping.import_mapped(path, m)
    assert requests() == {("INC-7", "Caller 1", "Group A", "fulfilled", "")}
    no_sequence = BLOCKS[("example", "events")].replace('sequence = "mod"\n', "")
    Request.objects.all().delete()
    path, m = example(tmp_path, "events", "events.csv", no_sequence)
    mapping.import_mapped(path, m)
    assert requests() == {("INC-7", "Caller 1", "Group B", "submitted", "")}
    no_last_known = BLOCKS[("example", "events")].replace(
        '{ column = "group", last_known = true }', '"group"'
    )
    Request.objects.all().delete()
    path, m = example(tmp_path, "events", "events.csv", no_last_known)
    with pytest.raises(ImportFailed, match="a value is required"):
        mapping.import_mapped(path, m)

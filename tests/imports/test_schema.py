"""One schema: every reader, writer and doc of the workbook agrees with clientmap/imports/schema.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from clientmap.imports import mapping, schema, workbook
from clientmap.imports.engine import KEYED, LINKS
from clientmap.imports.mapping.compile import ENTITY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "import-formats.md"


def test_docs_table_is_generated_from_the_schema() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert schema.render_docs(text) == text, (
        "docs/import-formats.md is out of date: run .venv/bin/python -m clientmap.imports.schema"
    )
    for name in [f.filename for f in schema.FILES] + [s.filename for s in workbook._SECTIONS]:
        assert f"`{name}`" in text


def test_workbook_reader_and_mapping_language_read_the_schema() -> None:
    for f in schema.FILES:
        assert workbook.FILES[f.filename] == (f.names, f.required)
        fields = set(mapping.BLOCKS[f.block]) - {"consumer_kind"}
        assert fields == set(f.names)
        assert set(mapping.REQUIRED[f.block]) == set(f.required) - {"name"}
        for c in f.columns:
            if c.type == "enum":
                assert mapping.ENUMS[c.kind] == list(c.choices)


def test_engine_stages_every_column_of_the_schema() -> None:
    for f in schema.FILES:
        entity = ENTITY[f.block]
        if entity in KEYED:
            staged = {"key", *("home" if c == "is_home" else c for c in KEYED[entity].columns)}
        else:
            staged = {"consumer" if c == "consumer" else c for c in LINKS[entity]}
        assert set(f.names) <= staged, (f.filename, set(f.names) - staged)


@pytest.mark.django_db
def test_exporter_writes_the_schema_header(tmp_path) -> None:
    workbook.export_workbook(tmp_path)
    for f in schema.FILES:
        with open(tmp_path / f.filename, encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == f.names


def test_generators_take_their_headers_from_the_schema() -> None:
    """tests/story.py, scripts/make_demo.py and bench/world.py write no header by hand."""
    assert schema.header("requests.csv") == schema.BY_FILE["requests.csv"].names
    assert schema.header("requests.csv", without=("amount", "currency")) == [
        n for n in schema.BY_FILE["requests.csv"].names if n not in ("amount", "currency")
    ]
    assert schema.header("votes.csv") == next(
        list(s.columns) for s in workbook._SECTIONS if s.filename == "votes.csv"
    )
    with pytest.raises(ValueError, match="required"):
        schema.header("requests.csv", without=("key",))
    with pytest.raises(KeyError):
        schema.header("requets.csv")
    root = Path(__file__).resolve().parents[2]
    for path in (root / "tests" / "story.py", root / "scripts" / "make_demo.py"):
        text = path.read_text(encoding="utf-8")
        assert '["key", "name"' not in text and '["team", "person"]' not in text, path
    text = (root / "bench" / "world.py").read_text(encoding="utf-8")
    assert '["key", "name"' not in text and '"requester",\n' not in text

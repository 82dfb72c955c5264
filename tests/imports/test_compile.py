"""The compiled mapping gives exactly what the plain reading would."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from clientmap.imports.mapping.compile import _fast_format

FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"]
FORMATS += ["%d-%m-%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M"]
VALUES = [
    "29/2/2016 01:16",
    "29/2/2015 01:16",
    "31/4/2016 10:00",
    "1/13/2016 10:00",
    "12/03/2016 24:00",
    "12/03/2016 23:59",
    "12/03/2016 9:5",
    "2016-03-12 10:00:00",
    "12-03-2016 10:00",
    "12/03/2016",
    "12.03.2016 10:00",
    " 12/03/2016",
    "12/03/16 10:00",
    "12/03/2016 10:00:60",
    "012/03/2016 10:00",
    "12/03/2016  10:00",
    "",
]


@pytest.mark.parametrize(("fmt", "value"), list(itertools.product(FORMATS, VALUES)))
def test_fast_date_reader_agrees_with_strptime(fmt, value) -> None:
    try:
        expected = datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        expected = None
    assert _fast_format(fmt)(value) == expected


def test_formats_with_names_or_am_pm_use_strptime() -> None:
    assert _fast_format("%d/%b/%y %I:%M %p") is None


def _program(spec: dict, header: list[str]):
    from clientmap.imports import mapping
    from clientmap.imports.mapping.compile import compile_mapping

    index: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        index.setdefault(h, i)
        repeated.setdefault(h, []).append(i)
    return compile_mapping(mapping.parse(spec), "f.csv", index, repeated, "us")


def test_soft_keys_read_inline_agree_with_the_getter() -> None:
    """A soft record's plain key is read inline (no call per row): a missing token or a blank
    is no key, padding is stripped, a key seen before is not staged again, a short row reads
    as missing — exactly what the field's getter says."""
    spec = {
        "source": {"missing": ["?", "n/a"]},
        "person": {"key": "who", "organization": {"home": True}},
        "team": {"key": "grp"},
    }
    program = _program(spec, ["who", "grp"])
    person = next(cb for cb in program.blocks if cb.kind == "person")
    assert person.key_col == 0  # the inline path is the one tested
    rows = [["?", "g"], [" ann ", ""], ["ann", "n/a"], ["", "g"], ["n/a"], ["bob", " g "]]
    staged = [program.row(line, values)[0] for line, values in enumerate(rows, 2)]
    keys = [[(entity, row[3]) for entity, row in s] for s in staged]
    assert keys == [
        [("teams", "g")],
        [("people", "ann")],
        [],
        [],
        [],
        [("people", "bob")],
    ]
    for values in rows:
        k = person.key_get(values)
        assert (k or None) == ({"ann": "ann", "bob": "bob"}.get((values[0]).strip()) or None)

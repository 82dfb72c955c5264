"""The compiled mapping gives exactly what the plain reading would."""

from __future__ import annotations

import csv
import gzip
import itertools
from datetime import datetime

import pytest

from clientmap.imports.mapping.compile import LATEST, _fast_format
from tests.imports.test_mapped import SERVICENOW

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


def _both(spec: dict, header: list[str], rows: list[list[str]]) -> tuple[list, list]:
    """What ``Program.row`` (the reference) and the generated ``compiled_row`` give for
    ``rows``, each on a program of its own (their seen keys must not mix)."""
    reference, compiled = _program(spec, header), _program(spec, header)
    assert compiled.compiled_row is not None

    def plain(out):
        staged, problems = out
        # an event log's request row holds its compiled block: compare its kind instead
        staged = [(e, (r[0].kind, *r[1:]) if e.startswith("requests (") else r) for e, r in staged]
        return staged, problems

    a = [plain(reference.row(line, values)) for line, values in enumerate(rows, 2)]
    b = [plain(compiled.compiled_row(line, values)) for line, values in enumerate(rows, 2)]
    assert reference.skipped_same == compiled.skipped_same
    return a, b


EVERY_KIND = {
    "source": {"missing": ["?", "n/a"], "date_formats": ["%d/%m/%Y"], "decimal_comma": True},
    "request": {
        "key": "id",
        "requester": {"column": "who", "default": "nobody"},
        "team": {"column": "grp", "fallback": "grp2"},
        "status": {"column": "state", "map": {"Open": "accepted", "Done": "fulfilled"}},
        "payment": {"value": "internal"},
        "opened": "opened",
        "amount": "amount",
        "title": {"template": "{id}: {what} ({grp})"},
        "service": {"column": "what", "extract": "^(\\w+)"},
    },
    "person": [{"key": "who", "organization": {"home": True}}],
    "team": {"key": "grp"},
    "consumes": {"consumer": "grp", "provider": "what"},
    "involvement": {
        "person": "who",
        "team": "grp",
        "role": {"value": "implements"},
        "date": "opened",
    },
}
EVERY_HEADER = ["id", "who", "grp", "grp2", "state", "opened", "amount", "what"]
EVERY_ROWS = [
    ["1", "ann", "g", "", "Open", "01/02/2026", "1,5", "mail box"],
    ["2", "?", "", "g2", "Done", "31/02/2026", "x", "mail"],  # bad date, bad number
    ["3", " bob ", "g", "", "Weird", "01/02/2026", "", "g"],  # status not mapped
    ["", "ann", "g", "", "Open", "", "", "{grp}"],  # no key, no date; a value naming a column
    ["4", "ann", "g", "", "Open", "01/02/2026", "2", "{grp} x"],
    ["5", "ann"],  # a short row reads as missing
    ["6", "ann", "g", "", "open", "02/02/2026", "", "n/a"],
    ["1", "ann", "g", "", "Open", "01/02/2026", "1,5", "mail box"],  # the same again
]


def test_the_generated_row_gives_what_program_row_gives() -> None:
    """Every kind of field (plain, default, fallback, map, constant, home, template, extract,
    converted and bad values), soft records, links, skipped self-consumption: the generated
    row function stages the same rows with the same problems, row by row."""
    a, b = _both(EVERY_KIND, EVERY_HEADER, EVERY_ROWS)
    assert a == b
    assert any(problems for _, problems in a)  # the bad values were seen
    titles = {r[3]: r[4] for staged, _ in b for e, r in staged if e == "requests"}
    # a value naming a placeholder is replaced too, as the template getter replaces them
    assert titles["4"] == "4: g x (g)"
    assert titles["1"] == "1: mail box (g)"


def test_the_generated_row_of_an_event_log_gives_what_program_row_gives() -> None:
    spec = {
        **EVERY_KIND,
        "source": {**EVERY_KIND["source"], "event_log": True, "sequence": "seq"},
        "member": {"team": "grp", "person": "who", "history": True},
    }
    seqs = ["1", "2", "x", "", "3", "1", "2,5", "9"]
    rows = [[*r, s] for r, s in zip(EVERY_ROWS, seqs, strict=True)]
    a, b = _both(spec, [*EVERY_HEADER, "seq"], rows)
    assert a == b
    assert any(e == LATEST for staged, _ in a for e, _r in staged)


@pytest.mark.skipif(not SERVICENOW.exists(), reason=f"real data not found at {SERVICENOW}")
def test_the_generated_row_agrees_on_a_slice_of_the_real_log() -> None:
    from clientmap.imports import mapping

    with gzip.open(SERVICENOW, "rt", encoding="utf-8", newline="") as fh:
        rows = list(itertools.islice(csv.reader(fh), 20_001))
    header, rows = rows[0], rows[1:]
    m = mapping.load("servicenow")
    index: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        index.setdefault(h, i)
        repeated.setdefault(h, []).append(i)
    from clientmap.imports.mapping.compile import compile_mapping

    reference = compile_mapping(m, "f", index, repeated, "home")
    compiled = compile_mapping(m, "f", index, repeated, "home")
    for line, values in enumerate(rows, 2):
        a, pa = reference.row(line, values)
        b, pb = compiled.compiled_row(line, values)
        assert pa == pb
        assert [(e, r[1:] if e == LATEST else r) for e, r in a] == [
            (e, r[1:] if e == LATEST else r) for e, r in b
        ]

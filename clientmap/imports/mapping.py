"""Mapped imports: a TOML mapping turns a foreign CSV export into Clientmap records.

See docs/mapping.md for the language. In short::

    [source]
    delimiter = ","            # "," ";" "\\t" "|"
    encoding = "utf-8"         # utf-8 (a BOM is fine), cp1252, latin-1
    missing = ["?", ""]        # tokens that mean "no value"
    decimal_comma = false
    date_formats = ["%d/%m/%Y %H:%M"]   # tried in order, then ISO 8601
    event_log = true           # one row per update: the last row of each request key wins

    [request]                  # one block per kind of record; [[…]] for several
    key = "number"                                   # a column
    status = { column = "incident_state", map = { New = "submitted", Closed = "fulfilled" } }
    payment = { value = "internal" }                 # a constant
    title = { template = "{category} / {subcategory}" }

Records other than requests are *soft* unless ``soft = false``: created when missing (named by
their key unless a ``name`` is mapped), never overwriting what is stored. Link blocks
(``member``, ``involvement``, ``consumes``) of an event log count only from a request's last row
unless ``history = true``.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from clientmap.catalog.models import Service
from clientmap.customers import rules
from clientmap.directory.models import Organization
from clientmap.engagements.models import Involvement, Request
from clientmap.imports import checks
from clientmap.imports.engine import Engine, ImportFailed
from clientmap.imports.errors import RowError
from clientmap.imports.report import NAMES, Report, Rollback, home_warnings
from clientmap.imports.source import (
    MAX_FIELD_BYTES,
    MAX_FIELD_LINES,
    WHITESPACE,
    Malformed,
    Records,
    Tally,
    open_text,
)

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}

# Fields of each block: name -> kind. "key" fields reference another entity.
BLOCKS: dict[str, dict[str, str]] = {
    "organization": {"key": "text", "name": "text", "home": "bool"},
    "unit": {"key": "text", "name": "text", "organization": "text", "parent": "text"},
    "person": {
        "key": "text",
        "name": "text",
        "email": "text",
        "organization": "text",
        "unit": "text",
        "manager": "text",
        "language": "text",
    },
    "team": {"key": "text", "name": "text", "unit": "text"},
    "service": {"key": "text", "name": "text", "team": "text", "status": "service_status"},
    "request": {
        "key": "text",
        "requester": "text",
        "team": "text",
        "service": "text",
        "status": "status",
        "payment": "payment",
        "opened": "date",
        "accepted": "date",
        "target": "date",
        "closed": "date",
        "title": "text",
        "amount": "decimal",
        "currency": "currency",
    },
    "member": {"team": "text", "person": "text"},
    "involvement": {
        "person": "text",
        "team": "text",
        "service": "text",
        "role": "role",
        "date": "date",
        "source": "text",
        "hours": "decimal",
    },
    "consumes": {"consumer": "text", "provider": "text", "consumer_kind": "text"},
}
REQUIRED = {
    "organization": ["key"],
    "unit": ["key", "organization"],
    "person": ["key", "organization"],
    "team": ["key"],
    "service": ["key"],
    "request": ["key", "requester", "team", "status", "opened"],
    "member": ["team", "person"],
    "involvement": ["person", "team", "role", "date"],
    "consumes": ["consumer", "provider"],
}
ENUMS = {
    "status": Request.Status.values,
    "payment": Request.Payment.values,
    "role": Involvement.Role.values,
    "service_status": Service.Status.values,
}
TRUE = {"yes", "y", "true", "1", "x"}


class MappingError(Exception):
    """The mapping file itself is wrong."""


# --- the mapping -----------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str
    column: str | None = None
    value: str | None = None
    template: str | None = None
    home: bool = False
    map: dict[str, str] | None = None
    default: str | None = None
    pattern: re.Pattern | None = None  # ``extract``: keep the first group of a regex
    fallback: Field | None = None  # used when this one gives no value
    all: bool = False  # every non-empty value of a repeated column: one record each
    optional: bool = False  # a column the file may lack: then it reads as missing
    last_known: bool = False  # event logs: the key's last non-missing value, not the last row's

    @property
    def own_columns(self) -> list[str]:
        if self.template:
            return re.findall(r"{([^{}]+)}", self.template)
        return [self.column] if self.column else []

    @property
    def columns(self) -> list[str]:
        return self.own_columns + (self.fallback.columns if self.fallback else [])

    @property
    def optional_columns(self) -> list[str]:
        own = self.own_columns if self.optional else []
        return own + (self.fallback.optional_columns if self.fallback else [])


@dataclass
class Block:
    kind: str
    fields: dict[str, Field]
    soft: bool
    history: bool = False
    skip_same: bool = True  # consumes: ignore a consumer that is its own provider
    skip_if_missing: list[str] = field(default_factory=list)  # request: skip and count


@dataclass
class Mapping:
    name: str
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    missing: set[str] = field(default_factory=lambda: {""})
    decimal_comma: bool = False
    date_formats: list[str] = field(default_factory=list)
    event_log: bool = False
    blocks: list[Block] = field(default_factory=list)
    description: str = ""
    columns: list[str] = field(default_factory=list)  # a headerless file's column names
    max_field_lines: int = MAX_FIELD_LINES
    max_field_bytes: int = MAX_FIELD_BYTES
    sequence: str | None = None  # event logs: the column ordering a key's rows (sys_mod_count)


def presets() -> dict[str, Path]:
    """The mappings shipped inside the package (``--format NAME``)."""
    folder = resources.files("clientmap.imports") / "presets"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def load(source: str | Path) -> Mapping:
    """Load a mapping file, or a preset by name."""
    path = Path(source)
    if not path.exists():
        found = presets().get(str(source))
        if found is None:
            raise MappingError(
                f"{source}: no such mapping file or preset (presets: "
                + ", ".join(sorted(presets()))
                + ")"
            )
        path = found
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path.name}: not valid TOML: {exc}") from None
    return parse(data, path.name)


def parse(data: dict[str, Any], name: str = "mapping") -> Mapping:
    src = data.get("source", {})
    unknown = set(src) - {
        "delimiter",
        "encoding",
        "missing",
        "decimal_comma",
        "date_formats",
        "event_log",
        "description",
        "columns",
        "max_field_lines",
        "max_field_bytes",
        "sequence",
    }
    if unknown:
        raise MappingError(f"{name}: [source] has unknown settings: {', '.join(sorted(unknown))}")
    delimiter = src.get("delimiter", ",")
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if delimiter in ("whitespace", "blanks"):
        delimiter = WHITESPACE
    elif len(delimiter) != 1:
        raise MappingError(
            f'{name}: [source] delimiter must be one character or "whitespace" (runs of blanks)'
        )

    encoding = str(src.get("encoding", "utf-8")).lower()
    encoding = ENCODINGS.get(encoding, encoding)
    try:
        "x".encode(encoding)
    except LookupError:
        raise MappingError(f"{name}: [source] unknown encoding {encoding!r}") from None
    m = Mapping(
        name=name,
        delimiter=delimiter,
        encoding=encoding,
        missing={str(t) for t in src.get("missing", [""])} | {""},
        decimal_comma=bool(src.get("decimal_comma", False)),
        date_formats=list(src.get("date_formats", [])),
        event_log=bool(src.get("event_log", False)),
        description=str(src.get("description", data.get("description", ""))),
        columns=[str(c) for c in src.get("columns", [])],
        max_field_lines=int(src.get("max_field_lines", MAX_FIELD_LINES)),
        max_field_bytes=int(src.get("max_field_bytes", MAX_FIELD_BYTES)),
        sequence=str(src["sequence"]) if src.get("sequence") else None,
    )
    if not m.event_log and any(f.last_known for b in m.blocks for f in b.fields.values()):
        raise MappingError(f"{name}: last_known = true needs an event log: set event_log = true")
    if m.sequence and not m.event_log:
        raise MappingError(f"{name}: [source] sequence orders an event log: set event_log = true")
    for kind, spec in data.items():
        if kind in ("source", "description"):
            continue
        if kind not in BLOCKS:
            raise MappingError(
                f"{name}: unknown block [{kind}] (blocks: {', '.join(BLOCKS)}, source)"
            )
        for i, block in enumerate(spec if isinstance(spec, list) else [spec]):
            m.blocks.append(_block(name, kind, i, block))
    if not m.blocks:
        raise MappingError(f"{name}: no blocks: map at least one of {', '.join(BLOCKS)}")
    return m


FIELD_SETTINGS = {
    "column",
    "value",
    "template",
    "home",
    "map",
    "default",
    "extract",
    "fallback",
    "all",
    "optional",
    "last_known",
}


def _field(where: str, fname: str, kind: str, raw: Any) -> Field:
    f = Field(fname, kind)
    if isinstance(raw, str):
        f.column = raw
        return f
    if isinstance(raw, bool | int | float):
        f.value = str(raw).lower()
        return f
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a column name or a table")
    extra = set(raw) - FIELD_SETTINGS
    if extra:
        raise MappingError(f"{where}: unknown settings {', '.join(sorted(extra))}")
    f.column = raw.get("column")
    f.value = None if raw.get("value") is None else str(raw["value"])
    f.template = raw.get("template")
    f.home = bool(raw.get("home", False))
    f.map = {str(k): str(v) for k, v in raw.get("map", {}).items()} or None
    f.default = None if raw.get("default") is None else str(raw["default"])
    f.all = bool(raw.get("all", False))
    f.optional = bool(raw.get("optional", False))
    f.last_known = bool(raw.get("last_known", False))
    if f.optional and not (f.column or f.template):
        raise MappingError(f"{where}: optional = true needs a column or a template")
    if raw.get("extract"):
        try:
            f.pattern = re.compile(raw["extract"])
        except re.error as exc:
            raise MappingError(f"{where}: bad extract pattern: {exc}") from None
    if raw.get("fallback") is not None:
        f.fallback = _field(f"{where} fallback", fname, kind, raw["fallback"])
    given = [x for x in (f.column, f.value, f.template, f.home or None) if x]
    if len(given) != 1:
        raise MappingError(f"{where}: give exactly one of column, value, template, home")
    if f.all and not f.column:
        raise MappingError(f"{where}: all = true needs a column")
    if f.kind in ENUMS:
        allowed = ENUMS[f.kind]
        for v in [f.value, f.default, *(f.map or {}).values()]:
            if v is not None and v not in allowed:
                raise MappingError(f"{where}: {v!r} is not one of {', '.join(allowed)}")
    return f


def _block(name: str, kind: str, index: int, spec: dict[str, Any]) -> Block:
    where = f"{name}: [{kind}]" + (f" #{index + 1}" if index else "")
    fields: dict[str, Field] = {}
    options = {"soft", "history", "skip_same", "skip_if_missing"}
    for fname, raw in spec.items():
        if fname in options:
            continue
        if fname not in BLOCKS[kind]:
            raise MappingError(
                f"{where}: unknown field {fname!r} (fields: {', '.join(BLOCKS[kind])})"
            )
        fields[fname] = _field(f"{where} {fname}", fname, BLOCKS[kind][fname], raw)
    missing = [r for r in REQUIRED[kind] if r not in fields]
    if missing:
        raise MappingError(f"{where}: required field(s) not mapped: {', '.join(missing)}")
    return Block(
        kind=kind,
        fields=fields,
        soft=bool(spec.get("soft", kind != "request")),
        history=bool(spec.get("history", False)),
        skip_same=bool(spec.get("skip_same", True)),
        skip_if_missing=[str(x) for x in spec.get("skip_if_missing", [])],
    )


# --- reading the source ----------------------------------------------------------------------


ABSENT = 1 << 30  # the index of an optional column the file lacks: beyond every row


def _chain(first: Any, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
    yield from rest


@dataclass
class Progress:
    """What a progress bar needs: bytes done of total, rows read."""

    total: int
    done: int = 0
    rows: int = 0


class Reader:
    """Stream one CSV file through a mapping into an engine."""

    def __init__(
        self,
        path: Path,
        mapping: Mapping,
        engine: Engine,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        display_name: str | None = None,
    ):
        self.path = path
        self.m = mapping
        self.engine = engine
        self.file = display_name or path.name
        self.on_progress = on_progress
        self.home_key = self._home_key()
        self.rejected_lines: dict[int, str] = {}
        for block in mapping.blocks:
            entity = _ENTITY[block.kind]
            for fname, f in block.fields.items():
                col = "kind" if fname == "consumer_kind" else fname
                label = f.column or (f.template and f"template {f.template!r}") or fname
                old = engine.rename.get((entity, col))
                engine.rename[(entity, col)] = (
                    label if not old or old == label else f"{old}/{label}"
                )
            if block.kind in ("organization", "unit", "person", "team", "service", "request"):
                engine.rename.setdefault((entity, "key"), block.fields["key"].column or "key")
        self.counts = {"rows": 0, "skipped_same": 0}
        self.tally: Tally | None = None
        self.absent: list[str] = []

    def _home_key(self) -> str | None:
        return Organization.objects.filter(is_home=True).values_list("key", flat=True).first()

    def run(self) -> None:
        text, counter = open_text(self.path, self.m.encoding)
        progress = Progress(total=self.path.stat().st_size)
        records = Records(
            text,
            self.file,
            delimiter=self.m.delimiter,
            columns=self.m.columns or None,
            max_field_lines=self.m.max_field_lines,
            max_field_bytes=self.m.max_field_bytes,
            reopen=lambda: open_text(self.path, self.m.encoding)[0],
        )
        self.tally = records.tally
        rows = iter(records)
        line = 1
        with text:
            try:
                if not self.m.columns:
                    first = next(rows, None)
                    if first is None and not records.header:
                        self.engine.error(
                            self.file, 1, None, None, "empty file: a header row is required"
                        )
                        return
                    rows = _chain(first, rows)
                if not self._header(records.header):
                    return
                index = self.index
                for line, values in rows:
                    if not any(v.strip() for v in values):
                        records.tally.blank += 1
                        records.tally.records -= 1
                        continue
                    self._row(line, values, index)
                    self.counts["rows"] += 1
                    if self.on_progress and self.counts["rows"] % 5000 == 0:
                        progress.done, progress.rows = counter.done, self.counts["rows"]
                        self.on_progress(progress)
            except UnicodeDecodeError:
                self.engine.error(self.file, line + 1, None, None, self._decode_message())
            except Malformed as exc:
                e = exc.error
                if self.m.delimiter == " " and "fields, header has" in e.message:
                    e.hint = 'values aligned with runs of blanks? write delimiter = "whitespace"'
                self.engine.error(e.file, e.line, e.column, e.value, e.message, hint=e.hint)
        if self.on_progress:
            progress.done, progress.rows = progress.total, self.counts["rows"]
            self.on_progress(progress)

    def _header(self, header: list[str]) -> bool:
        """Index the header's columns; report those the mapping needs and the file lacks."""
        index: dict[str, int] = {}
        self.repeated: dict[str, list[int]] = {}
        for i, h in enumerate(header):
            if h:
                index.setdefault(h, i)  # a repeated column: the first one, unless all = true
                self.repeated.setdefault(h, []).append(i)
        needed = {c for b in self.m.blocks for f in b.fields.values() for c in f.columns}
        if self.m.sequence:
            needed.add(self.m.sequence)
        optional = {c for b in self.m.blocks for f in b.fields.values() for c in f.optional_columns}
        missing = sorted(needed - set(index) - optional)
        for c in missing:
            self.engine.error(
                self.file, 1, c, None, "column named in the mapping is not in the file"
            )
        if missing:
            return False
        self.absent = sorted((needed & optional) - set(index))
        for c in self.absent:
            index[c] = ABSENT  # reads as missing on every row
        self.index = index
        uses_home = any(f.home for b in self.m.blocks for f in b.fields.values())
        if uses_home and self.home_key is None:
            # No home organization yet: the mapping's records belong to a new one.
            self.home_key = "home"
            self.engine.add("organizations", (self.file, 1, 1, "home", "Home organization", 1))
        return True

    def _decode_message(self) -> str:
        return (
            f"cannot be read as {self.m.encoding}: set [source] encoding "
            "(utf-8, cp1252, latin-1) in the mapping"
        )

    # --- one row ---------------------------------------------------------------------------

    def _value(self, f: Field, values: list[str], index: dict[str, int]) -> str | None:
        v = self._own_value(f, values, index)
        if (v is None or v == "") and f.fallback is not None:
            return self._value(f.fallback, values, index)
        return v

    def _all_values(self, f: Field, values: list[str]) -> list[str]:
        out = []
        for i in self.repeated.get(f.column or "", []):
            v = values[i].strip() if i < len(values) else ""
            if v and v not in self.m.missing and v not in out:
                out.append(f.map.get(v, v) if f.map else v)
        return out

    def _own_value(self, f: Field, values: list[str], index: dict[str, int]) -> str | None:
        if f.value is not None:
            return f.value
        if f.home:
            return self.home_key
        if f.template is not None:
            parts = {}
            for c in f.columns:
                v = values[index[c]].strip() if index[c] < len(values) else ""
                if v in self.m.missing:
                    return f.default
                parts[c] = v
            out = f.template
            for c, v in parts.items():
                out = out.replace("{" + c + "}", v)
            return out
        i = index[f.column]  # type: ignore[index]
        v = values[i].strip() if i < len(values) else ""
        if v in self.m.missing:
            return f.default
        if f.pattern is not None:
            match = f.pattern.search(v)
            v = (match.group(1) if match.groups() else match.group(0)) if match else ""
            if not v:
                return f.default
        if f.map is not None:
            return f.map.get(v, f.default if f.default is not None else v)
        return v

    def _date(self, v: str) -> str | None:
        for fmt in self.m.date_formats:
            try:
                return datetime.strptime(v, fmt).date().isoformat()
            except ValueError:
                continue
        try:
            return date.fromisoformat(v[:10]).isoformat()
        except ValueError:
            return None

    def _row(self, line: int, values: list[str], index: dict[str, int]) -> None:
        staged: list[tuple[str, tuple]] = []
        problems: list[tuple[str, str | None, str]] = []
        record: str | None = None
        for block, expanded in self._expand(values):
            out: dict[str, Any] = {}
            skip = False
            for name, f in block.fields.items():
                v = expanded[name] if name in expanded else self._value(f, values, index)
                if v is None or v == "":
                    out[name] = None
                    continue
                if f.kind == "date":
                    d = self._date(v)
                    if d is None:
                        problems.append(
                            (f.column or name, v, "not a date in the mapping's date_formats")
                        )
                    out[name] = d
                elif f.kind in ENUMS:
                    norm = v.lower().replace(" ", "_").replace("-", "_")
                    if norm not in ENUMS[f.kind]:
                        problems.append(
                            (
                                f.column or name,
                                v,
                                "must map to one of "
                                + ", ".join(ENUMS[f.kind])
                                + " (add it to the map)",
                            )
                        )
                    out[name] = norm
                elif f.kind == "decimal":
                    try:
                        out[name] = str(Decimal(v.replace(",", ".") if self.m.decimal_comma else v))
                    except InvalidOperation:
                        problems.append((f.column or name, v, "not a number"))
                        out[name] = None
                elif f.kind == "bool":
                    out[name] = 1 if v.lower() in TRUE else 0
                elif f.kind == "currency":
                    code = v.upper()
                    if len(code) != 3 or not code.isalpha():
                        problems.append(
                            (f.column or name, v, "not a currency code (three letters, e.g. EUR)")
                        )
                    out[name] = code
                else:
                    out[name] = v
            for r in REQUIRED[block.kind]:
                if out.get(r) is None and r not in block.skip_if_missing:
                    if block.fields[r].last_known:
                        continue  # filled from an earlier row of the key, or reported then
                    if block.kind == "request" or not block.soft:
                        f = block.fields[r]
                        problems.append(
                            (f.column or r, None, f"a value is required ({block.kind} {r})")
                        )
                    skip = True  # a soft record or a link without its key is simply absent
            if skip:
                continue
            if block.kind == "request":
                record = out["key"]
                out["seq"] = self._sequence(values, problems)
            staged.append((block.kind, self._tuple(block, line, out)))
        if problems:
            if self.engine.skip_invalid:
                self.rejected_lines[line] = "; ".join(f"{c}: {m}" for c, _, m in problems)
                self.engine.result.rejected.append(
                    (RowError(self.file, line, problems[0][0], problems[0][1], problems[0][2]), ())
                )
                return
            for column, value, message in problems:
                self.engine.error(self.file, line, column, value, message)
            return
        for kind, row in staged:
            if kind in ("member", "involvement", "consumes"):
                row = (*row, record, 1 if self._hist(kind) else 0)
                if kind == "consumes" and row[3] == row[4] and self._skip_same():
                    self.counts["skipped_same"] += 1
                    continue
            self.engine.add(_ENTITY[kind], row)

    def _sequence(self, values: list[str], problems: list) -> float | None:
        if not self.m.sequence:
            return None
        i = self.index[self.m.sequence]
        v = values[i].strip() if i < len(values) else ""
        if v in self.m.missing:
            return None
        try:
            return float(v.replace(",", ".") if self.m.decimal_comma else v)
        except ValueError:
            problems.append((self.m.sequence, v, "not a number (the [source] sequence column)"))
            return None

    def _expand(self, values: list[str]) -> Iterator[tuple[Block, dict[str, str]]]:
        """Each block once, or once per value of its ``all = true`` field."""
        for block in self.m.blocks:
            many = [(n, f) for n, f in block.fields.items() if f.all]
            if not many:
                yield block, {}
                continue
            name, f = many[0]
            for v in self._all_values(f, values):
                yield block, {name: v}

    def _hist(self, kind: str) -> bool:
        return any(b.history for b in self.m.blocks if b.kind == kind) or not self.m.event_log

    def _skip_same(self) -> bool:
        return all(b.skip_same for b in self.m.blocks if b.kind == "consumes")

    def _tuple(self, block: Block, line: int, v: dict[str, Any]) -> tuple:
        f, soft = self.file, 1 if block.soft else 0
        k = block.kind
        if k == "organization":
            return (f, line, soft, v["key"], v.get("name") or v["key"], v.get("home") or 0)
        if k == "unit":
            return (
                f,
                line,
                soft,
                v["key"],
                v.get("name") or v["key"],
                v["organization"],
                v.get("parent"),
            )
        if k == "person":
            return (
                f,
                line,
                soft,
                v["key"],
                v.get("name") or v["key"],
                v.get("email") or "",
                (v.get("language") or "").lower()[:2]
                if (v.get("language") or "").lower()[:2] in _LANGS
                else "",
                v["organization"],
                v.get("unit"),
                v.get("manager"),
            )
        if k == "team":
            return (f, line, soft, v["key"], v.get("name") or v["key"], v.get("unit"))
        if k == "service":
            return (
                f,
                line,
                soft,
                v["key"],
                v.get("name") or v["key"],
                v.get("status"),
                v.get("team"),
            )
        if k == "request":
            return (
                f,
                line,
                soft,
                v["key"],
                v.get("title") or "",
                v.get("currency") or "",
                v["status"],
                v.get("payment"),
                v["opened"],
                v.get("accepted"),
                v.get("target"),
                v.get("closed"),
                v.get("amount"),
                v["requester"],
                v["team"],
                v.get("service"),
                v.get("seq"),
            )
        if k == "member":
            return (f, line, v["team"], v["person"])
        if k == "involvement":
            return (
                f,
                line,
                v["person"],
                v["team"],
                v.get("service"),
                v["role"],
                v["date"],
                v.get("source") or "",
                v.get("hours"),
            )
        if k == "consumes":
            return (f, line, v.get("consumer_kind"), v["consumer"], v["provider"])
        raise AssertionError(k)


_ENTITY = {
    "organization": "organizations",
    "unit": "units",
    "person": "people",
    "team": "teams",
    "service": "services",
    "request": "requests",
    "member": "members",
    "involvement": "involvements",
    "consumes": "consumes",
}
_LANGS = {code for code, _ in settings.LANGUAGES}


# --- entry point -----------------------------------------------------------------------------


@dataclass
class MappedReport(Report):
    """A workbook report plus what reading one foreign file adds."""

    rows: int = 0
    skipped_same: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "rows": self.rows,
            "skipped_self_consumption": self.skipped_same,
        }


def import_mapped(
    path: Path | str,
    mapping: Mapping,
    *,
    check: bool = False,
    skip_invalid: bool = False,
    rejects: Path | str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    display_name: str | None = None,
) -> MappedReport:
    """Import one foreign file through ``mapping`` in one transaction.

    Raises :class:`ImportFailed` (nothing written) on bad rows unless ``skip_invalid``: then bad
    rows are written with their reason to ``rejects`` (default ``<file>.rejects.csv``).
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed([RowError(str(path), None, None, None, "no such file")])
    report = MappedReport(checked_only=check)
    reader: Reader | None = None
    try:
        with transaction.atomic(), rules.deferred_recompute():
            skip = [f for b in mapping.blocks if b.kind == "request" for f in b.skip_if_missing]
            engine = Engine(
                skip_invalid=skip_invalid,
                last_row_wins={"requests"} if mapping.event_log else set(),
                skip_missing={"requests": skip} if skip else None,
                progress=on_step,
                sequence=bool(mapping.sequence),
                last_known={
                    "requests": [
                        n
                        for b in mapping.blocks
                        if b.kind == "request"
                        for n, f in b.fields.items()
                        if f.last_known
                    ]
                }
                if mapping.event_log
                else None,
            )
            reader = Reader(
                path, mapping, engine, on_progress=on_progress, display_name=display_name
            )
            reader.run()
            result = engine.run()
            for name, c in result.counts.items():
                report.counts[NAMES.get(name, name)] = c.as_dict()
            report.rows = reader.counts["rows"]
            report.read = {reader.file: reader.tally.as_dict()} if reader.tally else {}
            report.absent_optional = list(reader.absent)
            report.warnings += home_warnings()
            report.skipped_same = reader.counts["skipped_same"]
            report.rejected = len(result.rejected)
            report.skipped = dict(result.skipped)
            if result.rejected:
                report.rejects_file = str(
                    _write_rejects(path, mapping, result.rejected, rejects, reader.file)
                )
            if report.changed and not check:
                report.relations = rules.recompute()
            report.cycles = checks.cycles_if_graph_changed(report.counts)
            if check:
                raise Rollback
    except Rollback:
        pass
    return report


def _write_rejects(
    path: Path, mapping: Mapping, rejected: list, target: Path | str | None, name: str = ""
) -> Path:
    """The rejected rows as they were in the file, with line and reason in front."""
    out = Path(target) if target else path.with_name(path.name.split(".")[0] + ".rejects.csv")
    reasons: dict[int, list[str]] = {}
    other: list[RowError] = []
    for err, _row in rejected:
        if err.file in (path.name, name) and err.line:
            reasons.setdefault(err.line, []).append(
                f"{err.column}: {err.message}" + (f" ({err.value})" if err.value else "")
            )
        else:
            other.append(err)
    text, _ = open_text(path, mapping.encoding)
    with text, open(out, "w", newline="", encoding="utf-8") as fh:
        reader = csv.reader(text, delimiter=mapping.delimiter)
        writer = csv.writer(fh)
        header = next(reader)
        writer.writerow(["line", "reason", *header])
        for values in reader:
            if reader.line_num in reasons:
                writer.writerow([reader.line_num, "; ".join(reasons.pop(reader.line_num)), *values])
        for err in other:
            writer.writerow([err.line or "", str(err)])
    return out

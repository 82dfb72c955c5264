"""The mapping language: a TOML file read into a :class:`Mapping` (nothing is read from data).

See docs/mapping.md. :func:`load` reads a file or a preset by name, :func:`parse` a dict; every
mistake in the mapping itself is a :class:`MappingError` raised before any row is read.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from clientmap.imports import schema
from clientmap.imports.source import MAX_FIELD_BYTES, MAX_FIELD_LINES, WHITESPACE

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}

# Fields of each block (name -> kind), which must be mapped, and the allowed values of each
# enumerated kind: all read from the workbook's schema (clientmap/imports/schema.py).
BLOCKS: dict[str, dict[str, str]] = {f.block: schema.mapping_fields(f.block) for f in schema.FILES}
REQUIRED: dict[str, list[str]] = {f.block: schema.mapping_required(f.block) for f in schema.FILES}
ENUMS: dict[str, list[str]] = schema.enums()
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
    first: bool = False  # a repeated column read as one value: its first occurrence
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

    def uses(self) -> list[tuple[str, Field]]:
        """(column, the field or fallback reading it), this field's and its fallbacks'."""
        own = [(c, self) for c in self.own_columns]
        return own + (self.fallback.uses() if self.fallback else [])

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


def _expect(where: str, setting: str, value: Any, kinds: tuple[type, ...], what: str) -> None:
    """A setting of the wrong TOML type is a clear MappingError, never a crash later."""
    if value is not None and not isinstance(value, kinds):
        raise MappingError(
            f"{where}: {setting} must be {what}, not {type(value).__name__} ({value!r})"
        )
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where}: {setting} must be a list of texts")


def parse(data: dict[str, Any], name: str = "mapping") -> Mapping:
    src = data.get("source", {})
    _expect(name, "[source]", src, (dict,), "a table")
    for setting, kinds, what in (
        ("delimiter", (str,), "a text"),
        ("encoding", (str,), "a text"),
        ("missing", (list, str), "a list of texts"),
        ("decimal_comma", (bool,), "true or false"),
        ("date_formats", (list,), "a list of texts"),
        ("event_log", (bool,), "true or false"),
        ("description", (str,), "a text"),
        ("columns", (list,), "a list of texts"),
        ("sequence", (str,), "a column name"),
        ("max_field_lines", (int,), "a number"),
        ("max_field_bytes", (int,), "a number"),
    ):
        _expect(f"{name}: [source]", setting, src.get(setting), kinds, what)
    if isinstance(src.get("missing"), str):
        src = {**src, "missing": [src["missing"]]}
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
            _expect(name, f"[{kind}]", block, (dict,), "a table")
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
    "first",
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
    for setting, kinds, what in (
        ("column", (str,), "a column name"),
        ("value", (str, bool, int, float), "a value"),
        ("template", (str,), "a text"),
        ("home", (bool,), "true or false"),
        ("map", (dict,), "a table"),
        ("default", (str, bool, int, float), "a value"),
        ("extract", (str,), "a regular expression"),
        ("fallback", (str, dict, bool, int, float), "a column name or a table"),
        ("all", (bool,), "true or false"),
        ("first", (bool,), "true or false"),
        ("optional", (bool,), "true or false"),
        ("last_known", (bool,), "true or false"),
    ):
        _expect(where, setting, raw.get(setting), kinds, what)
    f.column = raw.get("column")
    f.value = None if raw.get("value") is None else str(raw["value"])
    f.template = raw.get("template")
    f.home = bool(raw.get("home", False))
    f.map = {str(k): str(v) for k, v in raw.get("map", {}).items()} or None
    f.default = None if raw.get("default") is None else str(raw["default"])
    f.all = bool(raw.get("all", False))
    f.first = bool(raw.get("first", False))
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
    if f.first and not (f.column or f.template):
        raise MappingError(f"{where}: first = true needs a column or a template")
    if f.first and f.all:
        raise MappingError(f"{where}: give all = true or first = true, not both")
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

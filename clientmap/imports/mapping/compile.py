"""Compiling a mapping against a file's header: one small function per field, once.

:func:`compile_mapping` turns each field of each block into a getter ``values -> str | None``
(column index, missing tokens, regex, value map, default and fallback resolved up front) and a
converter (dates, enumerated values, numbers, currency codes; memoised, because the same values
repeat across a file). :meth:`Program.row` then applies them to one record and returns the
staging rows it produces and the problems it found — no per-row lookups of names or settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from clientmap.imports.engine import KEYED, LINKS
from clientmap.imports.mapping.language import ENUMS, REQUIRED, TRUE, Block, Field, Mapping

LATEST = "requests (event log)"  # a request row of an event log, kept only if it is the last
ABSENT = 1 << 30  # the index of an optional column the file lacks: beyond every row
ENTITY = {
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
LANGS = {code for code, _ in settings.LANGUAGES}
_BAD = object()

Getter = Callable[[list[str]], str | None]
Problem = tuple[str, str | None, str]  # column, value, message


def _getter(f: Field, index: dict[str, int], missing: set[str], home: str | None) -> Getter:
    own = _own_getter(f, index, missing, home)
    if f.fallback is None:
        return own
    other = _getter(f.fallback, index, missing, home)

    def with_fallback(values: list[str]) -> str | None:
        v = own(values)
        return other(values) if v is None or v == "" else v

    return with_fallback


def _own_getter(f: Field, index: dict[str, int], missing: set[str], home: str | None) -> Getter:
    if f.value is not None:
        const = f.value
        return lambda values: const
    if f.home:
        return lambda values: home
    default = f.default
    if f.template is not None:
        parts = [(c, index[c]) for c in f.columns[: len(f.own_columns)]]
        template = f.template

        def from_template(values: list[str]) -> str | None:
            out = template
            n = len(values)
            for c, i in parts:
                v = values[i].strip() if i < n else ""
                if v in missing:
                    return default
                out = out.replace("{" + c + "}", v)
            return out

        return from_template
    i = index[f.column]  # type: ignore[index]
    pattern, table = f.pattern, f.map
    if pattern is None and table is None:

        def plain(values: list[str]) -> str | None:
            v = values[i].strip() if i < len(values) else ""
            return default if v in missing else v

        return plain

    def mapped(values: list[str]) -> str | None:
        v = values[i].strip() if i < len(values) else ""
        if v in missing:
            return default
        if pattern is not None:
            match = pattern.search(v)
            v = (match.group(1) if match.groups() else match.group(0)) if match else ""
            if not v:
                return default
        if table is not None:
            return table.get(v, default if default is not None else v)
        return v

    return mapped


_NUMERIC = {"%d": ("d", 2), "%m": ("m", 2), "%Y": ("Y", 4), "%H": ("H", 2), "%M": ("M", 2)}
_NUMERIC["%S"] = ("S", 2)
_LIMITS = {"H": 23, "M": 59, "S": 59}


def _fast_format(fmt: str) -> Callable[[str], str | None] | None:
    """A regular-expression reader for numeric strftime formats (``%d/%m/%Y %H:%M``), giving
    exactly what ``datetime.strptime(v, fmt).date()`` gives; None for other formats."""
    parts, groups, i = [], [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            spec = fmt[i : i + 2]
            if spec not in _NUMERIC:
                return None
            name, width = _NUMERIC[spec]
            parts.append(r"(\d{4})" if width == 4 else r"(\d{1,2})")
            groups.append(name)
            i += 2
        else:
            parts.append(re.escape(fmt[i]) if not fmt[i].isspace() else r"\s+")
            i += 1
    if not {"d", "m", "Y"} <= set(groups):
        return None
    pattern = re.compile("".join(parts))

    def read(v: str) -> str | None:
        match = pattern.fullmatch(v)
        if match is None:
            return None
        values = dict(zip(groups, map(int, match.groups()), strict=True))
        if any(values.get(k, 0) > top for k, top in _LIMITS.items()):
            return None
        try:
            return date(values["Y"], values["m"], values["d"]).isoformat()
        except ValueError:
            return None

    return read


def _converter(kind: str, m: Mapping, label: str) -> Callable[[str, list[Problem]], Any] | None:
    """``(value, problems) -> converted`` for a kind of field (None: text, taken as it is); bad
    values add a problem."""
    memo: dict[str, Any] = {}
    if kind == "date":
        formats = [(fmt, _fast_format(fmt)) for fmt in m.date_formats]

        def parse_date(v: str) -> Any:
            for fmt, fast in formats:
                if fast is not None:
                    day = fast(v)
                    if day is not None:
                        return day
                    continue
                try:
                    return datetime.strptime(v, fmt).date().isoformat()
                except ValueError:
                    continue
            try:
                return date.fromisoformat(v[:10]).isoformat()
            except ValueError:
                return _BAD

        message = "not a date in the mapping's date_formats"
        convert = parse_date
    elif kind in ENUMS:
        allowed = set(ENUMS[kind])

        def norm(v: str) -> Any:
            n = v.lower().replace(" ", "_").replace("-", "_")
            return n if n in allowed else _BAD

        message = "must map to one of " + ", ".join(ENUMS[kind]) + " (add it to the map)"
        convert = norm
    elif kind == "decimal":
        comma = m.decimal_comma

        def number(v: str) -> Any:
            try:
                return str(Decimal(v.replace(",", ".") if comma else v))
            except InvalidOperation:
                return _BAD

        message = "not a number"
        convert = number
    elif kind == "bool":
        return lambda v, problems: 1 if v.lower() in TRUE else 0
    elif kind not in ("currency",):
        return None  # text: taken as it is
    elif kind == "currency":

        def code(v: str) -> Any:
            c = v.upper()
            return c if len(c) == 3 and c.isalpha() else _BAD

        message = "not a currency code (three letters, e.g. EUR)"
        convert = code

    def converted(v: str, problems: list[Problem]) -> Any:
        out = memo.get(v, None)
        if out is None:
            out = memo[v] = convert(v)
        if out is _BAD:
            problems.append((label, v, message))
            return None
        return out

    converted.memo = memo  # type: ignore[attr-defined] # read inline by _fields_function
    return converted


def _plain_column(f: Field, index: dict[str, int]) -> int | None:
    """The column index of a field that is just a column (no map, regex, fallback, template)."""
    if f.column is None or f.template or f.map is not None or f.pattern is not None:
        return None
    if f.fallback is not None or f.value is not None or f.home:
        return None
    return index[f.column]


def _mapped_column(f: Field) -> str | None:
    """The column of a field that is a column through a value map, and nothing else."""
    if f.column is None or f.template or f.map is None or f.pattern is not None:
        return None
    if f.fallback is not None or f.value is not None or f.home:
        return None
    return f.column


_PLACEHOLDER = re.compile(r"{([^{}]+)}")


def _template_parts(f: Field, index: dict[str, int]) -> list[tuple[str, int | None]] | None:
    """A template as (literal text, column index of the placeholder after it) pairs, the last
    one's index None; None where the inline join could differ from ``from_template``'s
    replacing (braces in the literal text, a fallback)."""
    if f.template is None or f.fallback is not None or f.value is not None or f.home:
        return None
    pieces = _PLACEHOLDER.split(f.template)  # literal, column, literal, column, …, literal
    literals, columns = pieces[0::2], pieces[1::2]
    if any("{" in t or "}" in t for t in literals) or len(set(columns)) != len(columns):
        return None
    out: list[tuple[str, int | None]] = [
        (t, index[c]) for t, c in zip(literals, columns, strict=False)
    ]
    out.append((literals[-1], None))
    return out


def _read_column(i: int) -> str:
    """The expression reading column ``i`` of a record, stripped ('' beyond a short row)."""
    return f"(values[{i}].strip() if {i} < n else '')"


def _fields_code(
    specs: list[tuple[str, Field, Getter, Any]],
    index: dict[str, int],
    ns: dict[str, Any],
    prefix: str = "",
    column: Callable[[int], str] = _read_column,
) -> tuple[list[str], str]:
    """The code computing every field of a block from ``values`` (lines without indentation)
    and the expression of the dict it gives. Its names in ``ns`` start with ``prefix``;
    ``column(i)`` is the expression of column ``i``'s stripped value."""
    lines: list[str] = []
    names = []
    for j, (name, f, get, convert) in enumerate(specs):
        q = f"{prefix}{j}"  # this field's names: d<q> its default, x<q> its value, …
        i = _plain_column(f, index)
        ns[f"d{q}"] = f.default
        if i is not None:
            lines.append(f"v = {column(i)}")
            lines.append(f"if v in missing: v = d{q}")
        elif f.fallback is None and f.value is not None:
            ns[f"k{q}"] = f.value
            lines.append(f"v = k{q}")  # a constant
        elif _mapped_column(f) is not None:
            # a column through a value map (no regex): what ``mapped`` does, inline
            i = index[f.column]  # type: ignore[index]
            ns[f"t{q}"] = f.map
            keep = f"d{q}" if f.default is not None else "v"
            lines.append(f"v = {column(i)}")
            lines.append(f"if v in missing: v = d{q}")
            lines.append(f"else: v = t{q}.get(v, {keep})")
        elif (parts := _template_parts(f, index)) is not None:
            # a template: its values joined inline; a value holding "{" takes the getter's
            # path, which replaces the placeholders one after another (a value may name one)
            ns[f"g{q}"] = get
            ind = ""
            pieces = []
            for k, (literal, i) in enumerate(parts):
                if literal:
                    pieces.append(repr(literal))
                if i is None:
                    continue
                lines.append(f"{ind}p{k} = {column(i)}")
                lines.append(f"{ind}if p{k} in missing: v = d{q}")
                lines.append(f"{ind}else:")
                ind += "    "
                pieces.append(f"p{k}")
            lines.append(f"{ind}v = {' + '.join(pieces) or repr('')}")
            lines.append(f"{ind}if '{{' in v: v = g{q}(values)")
        else:
            ns[f"g{q}"] = get
            lines.append(f"v = g{q}(values)")
        if convert is None:
            lines.append(f"x{q} = None if v is None or v == '' else v")
        elif hasattr(convert, "memo"):
            # a value converted before is looked up here; a new or bad one goes to the converter
            ns[f"c{q}"], ns[f"m{q}"] = convert, convert.memo
            lines.append(f"if v is None or v == '': x{q} = None")
            lines.append("else:")
            lines.append(f"    x{q} = m{q}.get(v, BAD)")
            lines.append(f"    if x{q} is BAD: x{q} = c{q}(v, problems)")
        else:
            ns[f"c{q}"] = convert
            lines.append(f"x{q} = None if v is None or v == '' else c{q}(v, problems)")
        names.append(f"{name!r}: x{q}")
    return lines, "{" + ", ".join(names) + "}"


def _fields_function(
    specs: list[tuple[str, Field, Getter, Any]], index: dict[str, int], missing: set[str]
) -> Callable[[list[str], list[Problem]], dict]:
    """One generated function computing every field of a block from a record's values.

    Plain columns are read inline; other fields call their getter. The generated code does
    exactly what the getters and converters do, without a function call per plain field.
    """
    ns: dict[str, Any] = {"missing": missing, "BAD": _BAD}
    body, result = _fields_code(specs, index, ns)
    lines = ["def fields(values, problems):", "    n = len(values)"]
    lines += ["    " + line for line in body]
    lines.append(f"    return {result}")
    exec("\n".join(lines), ns)  # noqa: S102 — code built here from field positions only
    return ns["fields"]


@dataclass
class CompiledBlock:
    block: Block
    entity: str
    fields: list[tuple[str, Getter, Callable[[str, list[Problem]], Any] | None]]
    required: list[tuple[str, str]]  # (field, label) that must have a value
    hist: int  # links: 1 when kept from every row of an event log
    many: tuple[str, list[int], dict | None, set[str]] | None = None  # all = true
    layout: tuple[str, ...] = ()
    key_get: Getter | None = None  # soft keyed blocks: their key, to skip keys already staged
    key_col: int | None = None  # … and the key's column when it is a plain one (read inline)
    key_default: str | None = None
    seen: set[str] = field(default_factory=set)
    compute: Callable[[list[str], list[Problem]], dict] | None = None
    kind: str = ""
    soft: bool = False
    specs: list[tuple[str, Field, Getter, Any]] = field(default_factory=list)  # for _row_function

    def __post_init__(self) -> None:
        self.kind = self.block.kind
        self.soft = self.block.soft


@dataclass
class Program:
    """A mapping compiled against one file's header."""

    file: str
    blocks: list[CompiledBlock]
    sequence: int | None  # index of the [source] sequence column
    sequence_label: str | None
    decimal_comma: bool
    missing: set[str]
    skip_same: bool
    event_log: bool = False
    skipped_same: int = 0
    problems: list[Problem] = field(default_factory=list)
    # ``row`` generated as straight-line code for this program (see _row_function): the same
    # staging rows and problems, without the loops over blocks and settings of each record
    compiled_row: Callable[[int, list[str]], tuple[list, list]] | None = None
    # entity -> the links (their values after file and line) staged already, kept by the reader
    links_seen: dict[str, set] = field(default_factory=dict)

    def row(self, line: int, values: list[str]) -> tuple[list[tuple[str, tuple]], list[Problem]]:
        """The staging rows ``(entity, row)`` one record produces, and its problems.

        A soft record whose key an earlier staged row already gave is not built again: the
        first one of each key is the one the engine would keep.
        """
        problems: list[Problem] = []
        staged: list[tuple[str, tuple]] = []
        record: str | None = None
        links: list[tuple[CompiledBlock, dict]] = []
        fresh: list[tuple[CompiledBlock, str]] = []
        n = len(values)
        missing = self.missing
        for cb in self.blocks:
            i = cb.key_col
            if i is not None:  # what the plain key getter does, without a call per row
                k = values[i].strip() if i < n else ""
                if k in missing:
                    k = cb.key_default
                if not k or k in cb.seen:
                    continue
                fresh.append((cb, k))
            elif cb.key_get is not None:
                k = cb.key_get(values)
                if not k or k in cb.seen:
                    continue  # no key: a soft record is simply absent; seen: already staged
                fresh.append((cb, k))
            if cb.many is None:
                outs = [cb.compute(values, problems)]  # type: ignore[misc]
            else:
                outs = self._many(cb, values, problems)
            for out in outs:
                skip = False
                for r, label in cb.required:
                    if out[r] is None:
                        if cb.kind == "request" or not cb.soft:
                            problems.append((label, None, f"a value is required ({cb.kind} {r})"))
                        skip = True  # a soft record or a link without its key is simply absent
                if skip:
                    continue
                if cb.kind == "request":
                    record = out["key"]
                    out["seq"] = self._sequence(values, problems)
                if cb.kind == "request" and self.event_log:
                    # Only the last row of each key becomes a staging row: keep the values.
                    staged.append((LATEST, (cb, line, out)))
                elif cb.layout[0] == "key":
                    staged.append((cb.entity, self.keyed(cb, line, out)))
                else:
                    links.append((cb, out))
        for cb, out in links:
            if cb.kind == "involvement":
                out["source"] = out.get("source") or ""
            row = (self.file, line, *[out.get(c) for c in cb.layout], record, cb.hist)
            if cb.kind == "consumes" and row[3] == row[4] and self.skip_same:
                self.skipped_same += 1
                continue
            staged.append((cb.entity, row))
        if not problems:
            for cb, k in fresh:
                cb.seen.add(k)
        return staged, problems

    @staticmethod
    def _fields(cb: CompiledBlock, values: list[str], problems: list[Problem]) -> dict:
        if cb.compute is not None:
            return cb.compute(values, problems)
        out: dict[str, Any] = {}
        for name, get, convert in cb.fields:
            v = get(values)
            if v is None or v == "":
                out[name] = None
            else:
                out[name] = v if convert is None else convert(v, problems)
        return out

    def _many(self, cb: CompiledBlock, values: list[str], problems: list[Problem]) -> list[dict]:
        """One record per distinct non-missing value of the block's ``all = true`` field."""
        base = self._fields(cb, values, problems)
        name, positions, table, missing = cb.many  # type: ignore[misc]
        seen: list[str] = []
        n = len(values)
        for i in positions:
            v = values[i].strip() if i < n else ""
            if v and v not in missing:
                v = table.get(v, v) if table else v
                if v not in seen:
                    seen.append(v)
        return [{**base, name: v} for v in seen]

    def _sequence(self, values: list[str], problems: list[Problem]) -> float | None:
        if self.sequence is None:
            return None
        i = self.sequence
        v = values[i].strip() if i < len(values) else ""
        if v in self.missing:
            return None
        try:
            return float(v.replace(",", ".") if self.decimal_comma else v)
        except ValueError:
            problems.append(
                (self.sequence_label or "", v, "not a number (the [source] sequence column)")
            )
            return None

    def keyed(self, cb: CompiledBlock, line: int, v: dict[str, Any]) -> tuple:
        """The staging row of a keyed record, in the engine's column order."""
        key = v["key"]
        out: list[Any] = [self.file, line, 1 if cb.block.soft else 0, key]
        for c in cb.layout[1:]:
            x = v.get(c)
            if c == "name":
                x = x or key
            elif c == "language":
                x = (x or "").lower()[:2]
                x = x if x in LANGS else ""
            elif c in ("email", "title", "currency"):
                x = x or ""
            elif c == "home":
                x = x or 0
            out.append(x)
        return tuple(out)


def _inline_columns(specs: list[tuple[str, Field, Getter, Any]], index: dict[str, int]) -> set:
    """The columns the generated code of these fields reads itself (not through a getter)."""
    out: set[int] = set()
    for _name, f, _get, _convert in specs:
        i = _plain_column(f, index)
        if i is not None:
            out.add(i)
        elif f.fallback is None and f.value is not None:
            continue
        elif _mapped_column(f) is not None:
            out.add(index[f.column])  # type: ignore[index]
        elif (parts := _template_parts(f, index)) is not None:
            out.update(i for _, i in parts if i is not None)
    return out


def _row_function(
    p: Program, index: dict[str, int]
) -> Callable[[int, list[str]], tuple[list, list]]:
    """:meth:`Program.row` generated for ``p``'s blocks: each block's key test, fields,
    required values and staging written out in order, every setting a constant, and each
    column read by more than one block stripped once per record. It gives exactly what
    ``Program.row`` gives (tests/imports/test_compile.py compares the two)."""
    ns: dict[str, Any] = {"LATEST": LATEST, "missing": p.missing, "keyed": p.keyed, "BAD": _BAD}
    ns.update(program=p, file=p.file, links_seen=p.links_seen)
    # the columns every record reads (soft blocks' bodies run only for a new key): once each
    eager: set[int] = set()
    for cb in p.blocks:
        if cb.key_col is not None:
            eager.add(cb.key_col)
        elif cb.key_get is None and cb.many is None:
            eager |= _inline_columns(cb.specs, index)
    if p.sequence is not None:
        eager.add(p.sequence)
    eager = {i for i in eager if i != ABSENT}

    def column(i: int) -> str:
        return f"s{i}" if i in eager else _read_column(i)

    code = ["def row(line, values):", "    problems = []", "    staged = []", "    record = None"]
    code += ["    fresh = []", "    n = len(values)"]
    code += [f"    s{i} = {_read_column(i)}" for i in sorted(eager)]
    tail: list[str] = []  # the links, staged after every block (they name the record)
    for j, cb in enumerate(p.blocks):
        ns[f"cb{j}"], ns[f"seen{j}"], ns[f"compute{j}"] = cb, cb.seen, cb.compute
        ind = "    "
        if cb.key_col is not None:
            ns[f"kd{j}"] = cb.key_default
            code.append(f"{ind}k = {column(cb.key_col)}")
            code.append(f"{ind}if k in missing: k = kd{j}")
        elif cb.key_get is not None:
            ns[f"kg{j}"] = cb.key_get
            code.append(f"{ind}k = kg{j}(values)")
        if cb.key_col is not None or cb.key_get is not None:
            code.append(f"{ind}if k and k not in seen{j}:")
            ind += "    "
            code.append(f"{ind}fresh.append((seen{j}, k))")
        link = not (cb.kind == "request" and p.event_log) and cb.layout[0] != "key"
        if cb.many is None:
            body, result = _fields_code(cb.specs, index, ns, f"b{j}_", column)
            code += [ind + line for line in body]
            code.append(f"{ind}out = {result}")
            if link:
                code.insert(2, f"    lk{j} = None")
        else:
            code.append(f"{ind}for out in program._many(cb{j}, values, problems):")
            ind += "    "
            if link:
                code.insert(2, f"    lk{j} = []")
        if cb.required:
            code.append(f"{ind}ok = True")
            local = {name: f"xb{j}_{q}" for q, (name, *_rest) in enumerate(cb.specs)}
            for r, label in cb.required:
                value = local[r] if cb.many is None and r in local else f"out[{r!r}]"
                code.append(f"{ind}if {value} is None:")
                if cb.kind == "request" or not cb.soft:
                    ns[f"req{j}_{r}"] = (label, None, f"a value is required ({cb.kind} {r})")
                    code.append(f"{ind}    problems.append(req{j}_{r})")
                code.append(f"{ind}    ok = False")
            code.append(f"{ind}if ok:")
            ind += "    "
        if cb.kind == "request":
            code.append(f"{ind}record = out['key']")
            code += _sequence_code(p, ns, ind)
        if cb.kind == "request" and p.event_log:
            code.append(f"{ind}staged.append((LATEST, (cb{j}, line, out)))")
        elif cb.layout[0] == "key":
            code.append(f"{ind}staged.append(({cb.entity!r}, keyed(cb{j}, line, out)))")
        elif cb.many is None:
            code.append(f"{ind}lk{j} = out")
        else:
            code.append(f"{ind}lk{j}.append(out)")
        if link:
            tail += _link_code(p, j, cb)
    code += tail
    code += ["    if not problems:", "        for s, k in fresh:", "            s.add(k)"]
    code.append("    return staged, problems")
    exec("\n".join(code), ns)  # noqa: S102 — code built here from the mapping's structure only
    return ns["row"]


def _sequence_code(p: Program, ns: dict[str, Any], ind: str) -> list[str]:
    """What :meth:`Program._sequence` does, inline: ``out['seq']`` of the request row."""
    if p.sequence is None:
        return [f"{ind}out['seq'] = None"]
    i = p.sequence
    ns["seq_problem"] = (p.sequence_label or "", "not a number (the [source] sequence column)")
    number = "float(v.replace(',', '.'))" if p.decimal_comma else "float(v)"
    return [
        f"{ind}v = {f's{i}' if i != ABSENT else _read_column(i)}",
        f"{ind}if v in missing: out['seq'] = None",
        f"{ind}else:",
        f"{ind}    try: out['seq'] = {number}",
        f"{ind}    except ValueError:",
        f"{ind}        problems.append((seq_problem[0], v, seq_problem[1]))",
        f"{ind}        out['seq'] = None",
    ]


def _link_code(p: Program, j: int, cb: CompiledBlock) -> list[str]:
    """Staging the link rows of block ``j`` (what the end of :meth:`Program.row` does)."""
    if cb.many is None:
        code, ind = [f"    if lk{j} is not None:", f"        out = lk{j}"], "        "
    else:
        code, ind = [f"    for out in lk{j}:"], "        "
    if cb.kind == "involvement":
        code.append(f"{ind}out['source'] = out.get('source') or ''")
    cols = "".join(f"out.get({c!r}), " for c in cb.layout)
    code.append(f"{ind}r = (file, line, {cols}record, {cb.hist})")
    stage = f"staged.append(({cb.entity!r}, r))"
    if cb.hist == 1 and cb.entity != "involvements":
        # a link kept from every row is staged once (Reader._read keeps each one's first
        # row in ``links_seen``): one seen before need not be handed on at all
        p.links_seen.setdefault(cb.entity, set())
        stage = f"if r[2:-2] not in links_seen[{cb.entity!r}]: {stage}"
    if cb.kind == "consumes" and p.skip_same:
        code.append(f"{ind}if r[3] == r[4]: program.skipped_same += 1")
        code.append(f"{ind}else:")
        code.append(f"{ind}    {stage}")
    else:
        code.append(f"{ind}{stage}")
    return code


def compile_mapping(
    m: Mapping, file: str, index: dict[str, int], repeated: dict[str, list[int]], home: str | None
) -> Program:
    """Compile ``m`` for a file whose header gives ``index`` (first position of each column)
    and ``repeated`` (every position of each column)."""
    blocks = []
    for block in m.blocks:
        fields = []
        specs = []
        many = None
        for name, f in block.fields.items():
            label = f.column or (f.template and f"template {f.template!r}") or name
            if f.all:
                many = (name, repeated.get(f.column or "", []), f.map, m.missing)
                continue
            get, convert = _getter(f, index, m.missing, home), _converter(f.kind, m, label)
            fields.append((name, get, convert))
            specs.append((name, f, get, convert))
        required = [
            (r, block.fields[r].column or r)
            for r in REQUIRED[block.kind]
            if r not in block.skip_if_missing and not block.fields[r].last_known
        ]
        entity = ENTITY[block.kind]
        if entity in KEYED:
            layout = ("key", *("home" if c == "is_home" else c for c in KEYED[entity].columns))
        else:
            layout = tuple(c for c in LINKS[entity] if c not in ("rec", "hist"))
            layout = tuple("consumer_kind" if c == "kind" else c for c in layout)
        hist = (
            1
            if (any(b.history for b in m.blocks if b.kind == block.kind) or not m.event_log)
            else 0
        )
        key_get = None
        if entity in KEYED and block.soft and many is None:
            key_get = next(g for n, g, _ in fields if n == "key")
        cb = CompiledBlock(block, entity, fields, required, hist, many, layout, key_get)
        if key_get is not None:
            cb.key_col = _plain_column(block.fields["key"], index)
            cb.key_default = block.fields["key"].default
        cb.compute = _fields_function(specs, index, m.missing)
        cb.specs = specs
        blocks.append(cb)
    program = Program(
        file=file,
        blocks=blocks,
        sequence=index.get(m.sequence) if m.sequence else None,
        sequence_label=m.sequence,
        decimal_comma=m.decimal_comma,
        missing=m.missing,
        skip_same=all(b.skip_same for b in m.blocks if b.kind == "consumes"),
        event_log=m.event_log,
    )
    program.compiled_row = _row_function(program, index)
    return program

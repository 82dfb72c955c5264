"""Applying a compiled mapping to a file: read strictly, stage, write in one transaction.

1. :class:`~clientmap.imports.source.Records` splits the file into records (a malformed one
   stops the import with the line where it started);
2. the header is checked against the columns the mapping needs (optional ones may be absent);
3. each record goes through the compiled :class:`~clientmap.imports.mapping.compile.Program`;
   what it produces is reduced on the way — soft records and links once per key, and in an
   event log only the last row of each request (by the ``sequence`` column, then line), with its
   ``last_known`` values filled from earlier rows — and staged in the :class:`Engine`;
4. the engine checks and writes everything set-based (see clientmap/imports/engine.py).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from clientmap.core.csvfiles import spreadsheet_row
from clientmap.customers import rules
from clientmap.directory.models import Organization
from clientmap.imports import checks
from clientmap.imports.engine import KEYED, Engine, ImportFailed
from clientmap.imports.errors import RowError
from clientmap.imports.mapping.compile import ABSENT, ENTITY, LATEST, Program, compile_mapping
from clientmap.imports.mapping.language import Mapping
from clientmap.imports.report import NAMES, Report, Rollback, home_warnings
from clientmap.imports.source import Malformed, Records, Tally, open_text, reading


def _chain(first: Any, rest: Iterator) -> Iterator:
    """``first`` (unless None), then ``rest``: at C speed (a generator here cost a call per
    record)."""
    return itertools.chain((first,) if first is not None else (), rest)


@dataclass
class Progress:
    """What a progress bar needs: bytes done of total, rows read."""

    total: int
    done: int = 0
    rows: int = 0


class _EventLog:
    """The last row of each request key (by sequence, then line) and its row-bound links."""

    def __init__(self, program: Program, last_known: list[str]):
        self.program = program
        self.best: dict[str, tuple[tuple, Any, int, dict, Sequence]] = {}
        # key -> last_known field -> (order, value): the latest non-missing value so far
        self.known: dict[str, dict[str, tuple[tuple, Any]]] = {}
        self.last_known = last_known

    def offer(self, request: tuple, links: Sequence[tuple[str, tuple]]) -> None:
        """One row's request (its compiled block, line and values) and its row-bound links."""
        cb, line, out = request
        key, seq = out["key"], out["seq"]
        order = (seq is not None, seq or 0.0, line)
        held = self.best.get(key)
        newest = held is None or held[0] < order
        if newest:
            self.best[key] = (order, cb, line, out, links)
        if not self.last_known:
            return
        known = self.known.get(key)
        if known is None:
            known = self.known[key] = {}
        if newest:
            # later than every row of its key so far: its values are the latest known ones
            for name in self.last_known:
                v = out.get(name)
                if v is not None:
                    known[name] = (order, v)
            return
        for name in self.last_known:  # a row out of sequence order: compare
            v = out.get(name)
            if v is not None:
                old = known.get(name)
                if old is None or old[0] < order:
                    known[name] = (order, v)

    def rows(self) -> Iterator[tuple[str, tuple]]:
        for key, (_, cb, line, out, links) in self.best.items():
            known = self.known.get(key, {})
            for name in self.last_known:
                if out.get(name) is None and name in known:
                    out[name] = known[name][1]
            yield "requests", self.program.keyed(cb, line, out)
            yield from links


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
            entity = ENTITY[block.kind]
            for fname, f in block.fields.items():
                col = "kind" if fname == "consumer_kind" else fname
                label = f.column or (f.template and f"template {f.template!r}") or fname
                old = engine.rename.get((entity, col))
                engine.rename[(entity, col)] = (
                    label if not old or old == label else f"{old}/{label}"
                )
            if block.kind in ("organization", "unit", "person", "team", "service", "request"):
                f = block.fields["key"]
                engine.rename.setdefault((entity, "key"), f.column or "key")
        self.counts = {"rows": 0, "skipped_same": 0}
        self.tally: Tally | None = None
        self.absent: list[str] = []
        self.program: Program | None = None

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
            watch=counter,
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
                program = self._header(records.header)
                if program is None:
                    return
                with reading():
                    self._read(rows, program, records.tally, progress, counter)
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

    def _read(self, rows, program: Program, tally: Tally, progress: Progress, counter) -> None:
        engine = self.engine
        add = engine.add
        # soft records and history links: once per key (the compiled row reads the links')
        seen: dict[str, set] = program.links_seen
        log = (
            _EventLog(
                program,
                [
                    n
                    for b in self.m.blocks
                    if b.kind == "request"
                    for n, f in b.fields.items()
                    if f.last_known
                ],
            )
            if self.m.event_log
            else None
        )
        offer = log.offer if log is not None else None
        skip_invalid = engine.skip_invalid
        on_progress = self.on_progress
        row_of = program.compiled_row or program.row
        n = 0
        for line, values in rows:
            first = values[0] if values else ""
            # every value blank (one C-speed test, when the first value is blank)
            if (not first or first.isspace()) and not "".join(values).strip():
                tally.blank += 1
                tally.records -= 1
                continue
            staged, problems = row_of(line, values)
            n += 1
            if problems:
                self._problems(line, problems, skip_invalid)
            elif log is not None and len(staged) == 1 and staged[0][0] is LATEST:
                offer(staged[0][1], ())  # the common row of a log: its request, nothing new
            else:
                request: Any = None
                bound: list[tuple[str, tuple]] = []
                for entity, row in staged:
                    if entity == LATEST:
                        request = row
                        continue
                    if entity in KEYED:
                        if row[2] == 1:  # soft: the first one of each key is enough
                            keys = seen.setdefault(entity, set())
                            if row[3] in keys:
                                continue
                            keys.add(row[3])
                    elif row[-1] == 1:  # a link from every row: once per link
                        if entity != "involvements":
                            keys = seen.setdefault(entity, set())
                            ident = row[2:-2]
                            if ident in keys:
                                continue
                            keys.add(ident)
                    elif log is not None:
                        bound.append((entity, row))  # counts only if its row is the last
                        continue
                    add(entity, row)
                if request is not None:
                    log.offer(request, bound)  # type: ignore[union-attr]
                else:
                    for entity, row in bound:  # no request on this row: nothing to trim by
                        add(entity, row)
            if on_progress and n % 5000 == 0:
                progress.done, progress.rows = counter.done, n
                on_progress(progress)
        self.counts["rows"] = n
        self.counts["skipped_same"] = program.skipped_same
        if log is not None:
            for entity, row in log.rows():
                add(entity, row)

    def _problems(self, line: int, problems: list, skip_invalid: bool) -> None:
        if skip_invalid:
            self.rejected_lines[line] = "; ".join(f"{c}: {m}" for c, _, m in problems)
            self.engine.result.rejected.append(
                (RowError(self.file, line, problems[0][0], problems[0][1], problems[0][2]), ())
            )
            return
        for column, value, message in problems:
            self.engine.error(self.file, line, column, value, message)

    def _header(self, header: list[str]) -> Program | None:
        """Index the header's columns; report those the mapping needs and the file lacks."""
        index: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}
        for i, h in enumerate(header):
            if h:
                index.setdefault(h, i)  # a repeated column: the first one, unless all = true
                repeated.setdefault(h, []).append(i)
        needed = {c for b in self.m.blocks for f in b.fields.values() for c in f.columns}
        if self.m.sequence:
            needed.add(self.m.sequence)
        optional = {c for b in self.m.blocks for f in b.fields.values() for c in f.optional_columns}
        ambiguous = self._repeated(repeated)
        missing = sorted(needed - set(index) - optional)
        for c in missing:
            self.engine.error(
                self.file, 1, c, None, "column named in the mapping is not in the file"
            )
        if missing or ambiguous:
            return None
        self.absent = sorted((needed & optional) - set(index))
        for c in self.absent:
            index[c] = ABSENT  # reads as missing on every row
        uses_home = any(f.home for b in self.m.blocks for f in b.fields.values())
        if uses_home and self.home_key is None:
            # No home organization yet: the mapping's records belong to a new one.
            self.home_key = "home"
            self.engine.add("organizations", (self.file, 1, 1, "home", "Home organization", 1))
        self.program = compile_mapping(self.m, self.file, index, repeated, self.home_key)
        return self.program

    def _repeated(self, repeated: dict[str, list[int]]) -> bool:
        """A column the file holds more than once is ambiguous where the mapping reads one value
        from it: refused, naming both positions, unless the field says ``all`` or ``first``."""
        told: set[str] = set()
        for b in self.m.blocks:
            for f in b.fields.values():
                for column, reader in f.uses():
                    at = repeated.get(column, [])
                    if len(at) < 2 or reader.all or reader.first or column in told:
                        continue
                    told.add(column)
                    times = "twice" if len(at) == 2 else f"{len(at)} times"
                    where = ", ".join(str(i + 1) for i in at[:-1]) + f" and {at[-1] + 1}"
                    self.engine.error(
                        self.file,
                        1,
                        column,
                        None,
                        f"column {column!r} appears {times} (columns {where})",
                        hint="read every one with all = true, or the first with first = true",
                    )
        return bool(told)

    def _decode_message(self) -> str:
        return (
            f"cannot be read as {self.m.encoding}: set [source] encoding "
            "(utf-8, cp1252, latin-1) in the mapping"
        )


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
        records = Records(
            text, path.name, delimiter=mapping.delimiter, columns=mapping.columns or None
        )
        writer = csv.writer(fh)
        rows = iter(records)
        first = next(rows, None)
        writer.writerow(spreadsheet_row(["line", "reason", *records.header]))
        for line, values in _chain(first, rows):
            if line in reasons:
                writer.writerow(spreadsheet_row([line, "; ".join(reasons.pop(line)), *values]))
        for err in other:
            writer.writerow(spreadsheet_row([err.line or "", str(err)]))
    return out

"""The workbook format: one folder of CSV files that users fill from a spreadsheet.

Import is all-or-nothing. Every file is read and checked first (columns, values, references
between files and to what is already stored); the first problems found are reported with file,
line, column and value, and nothing is written. Only a clean workbook is written, in one
transaction, as an *upsert by key*: new keys are created, changed rows updated, identical rows left
alone — so importing the same folder twice changes nothing. Import never deletes.

Later areas (voice, …) add their own files through :func:`register_section`.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from clientmap.catalog.models import Consumption, Service
from clientmap.core.csvfiles import escape_exact, restore, write_spreadsheet_csv
from clientmap.customers import rules
from clientmap.directory.models import Organization, Person, Team, TeamMembership, Unit
from clientmap.engagements.models import Involvement, Request
from clientmap.imports import checks, schema
from clientmap.imports.engine import Engine, ImportFailed
from clientmap.imports.errors import RowError
from clientmap.imports.report import NAMES, Report, Rollback, home_warnings
from clientmap.imports.source import Malformed, Records, Tally, open_text, reading

MAX_ERRORS = 50
BATCH = 2000
TRUE = {"yes", "y", "true", "1", "x", "home", "si", "sí", "sim", "да"}
FALSE = {"", "no", "n", "false", "0", "não", "nao", "нет"}


_MISSING = object()
NOT_UTF8 = "not UTF-8 text (save the sheet as CSV UTF-8)"


def _chain(first: Any, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
    yield from rest


def _bad_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (streamed reads fail a chunk ahead)."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


# The workbook's problems are the one import error (file, line, column, value, hint each).
WorkbookError = ImportFailed


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One CSV file being read, with the errors found in it."""

    path: Path
    columns: list[str]
    required: list[str]
    errors: list[RowError]
    header: list[str] = field(default_factory=list)
    _memo: dict = field(default_factory=dict)
    on_bytes: Callable[[int], None] | None = None  # progress: bytes read since the last call
    rejected: list | None = None  # with --skip-invalid: where bad rows go
    tallies: dict | None = None  # file name -> what was read (records against lines)
    tally: Tally | None = None
    _bad: bool = False

    def __post_init__(self) -> None:
        self.name = self.path.name

    def error(
        self,
        line: int | None,
        column: str | None,
        value: str | None,
        message: str,
        hint: str | None = None,
    ) -> None:
        err = RowError(self.name, line, column, value, message, hint)
        if self.rejected is not None and line and line > 1:
            # --skip-invalid: the row is set aside with its reason and not staged.
            self.rejected.append((err, ()))
            self._bad = True
            return
        self.errors.append(err)
        if len(self.errors) >= MAX_ERRORS:
            raise WorkbookError(self.errors)

    def stage(self, engine: Engine, name: str, row: tuple) -> None:
        """Stage one row unless it was found bad (with --skip-invalid)."""
        if self._bad:
            self._bad = False
            return
        engine.add(name, row)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, row) pairs; values stripped; missing optional columns read as ""."""
        for line, values in self.tuples():
            yield line, dict(zip(self.columns, values, strict=True))

    def tuples(self) -> Iterator[tuple[int, list[str]]]:
        """(line, values in ``self.columns`` order), streamed: the file is never held whole."""
        fh, counter = open_text(self.path, "utf-8-sig")
        records = Records(
            fh,
            self.name,
            reopen=lambda: open_text(self.path, "utf-8-sig")[0],
            watch=counter,
        )
        self.tally = records.tally
        rows = iter(records)
        reported = 0
        line = 1
        with fh:
            try:
                first = next(rows, None)
                if first is None and not records.header:
                    self.error(1, None, None, "empty file: a header row is required")
                    return
                self.header = [h.strip().lower() for h in records.header]
                seen: dict[str, int] = {}
                for i, h in enumerate(self.header, start=1):
                    if h and h in seen:
                        self.error(
                            1, h, None, f"column {h!r} appears twice (columns {seen[h]} and {i})"
                        )
                        return
                    seen.setdefault(h, i)
                missing = [c for c in self.required if c not in self.header]
                for c in missing:
                    self.error(1, c, None, "required column is missing")
                if missing:
                    return
                index = [self.header.index(c) if c in self.header else None for c in self.columns]
                required = [self.columns.index(c) for c in self.required]
                for line, values in _chain(first, rows):
                    row = [restore(values[i].strip()) if i is not None else "" for i in index]
                    if not any(row) and not any(v.strip() for v in values):
                        records.tally.records -= 1
                        records.tally.blank += 1
                        continue
                    for i in required:
                        if not row[i]:
                            self.error(line, self.columns[i], None, "a value is required")
                    yield line, row
                    if self.on_bytes and line % 20000 == 0:
                        self.on_bytes(counter.done - reported)
                        reported = counter.done
            except UnicodeDecodeError:
                self.error(_bad_line(self.path), None, None, NOT_UTF8)
            except Malformed as exc:
                e = exc.error
                self.error(e.line, e.column, e.value, e.message, e.hint)
        if self.on_bytes:
            self.on_bytes(self.path.stat().st_size - reported)
        if self.tallies is not None:
            self.tallies[self.name] = records.tally

    # value parsers: they report and return None on bad input; results are memoised because
    # the same dates and codes repeat across a million rows.
    def date(self, line: int, column: str, value: str) -> date | None:
        iso = self.iso_date(line, column, value)
        return date.fromisoformat(iso) if iso else None

    def iso_date(self, line: int, column: str, value: str) -> str | None:
        if not value:
            return None
        memo = self._memo.get(value, _MISSING)
        if memo is _MISSING:
            try:
                memo = date.fromisoformat(value).isoformat()
            except ValueError:
                try:
                    memo = datetime.fromisoformat(value).date().isoformat()
                except ValueError:
                    memo = None
            self._memo[value] = memo
        if memo is None:
            self.error(line, column, value, "not an ISO 8601 date (YYYY-MM-DD)")
        return memo

    def choice(self, line: int, column: str, value: str, choices: Iterable[str]) -> str | None:
        key = (column, value)
        memo = self._memo.get(key, _MISSING)
        if memo is _MISSING:
            options = list(choices)
            v = value.lower().replace(" ", "_").replace("-", "_")
            memo = v if v in options else None
            self._memo[key] = memo
        if memo is None:
            self.error(line, column, value, "must be one of " + ", ".join(choices))
        return memo

    def boolean(self, line: int, column: str, value: str) -> bool:
        v = value.lower()
        if v in TRUE:
            return True
        if v not in FALSE:
            self.error(line, column, value, "must be yes or no (or empty)")
        return False

    def currency(self, line: int, column: str, value: str) -> str:
        code = value.upper()
        if len(code) != 3 or not code.isalpha():
            self.error(line, column, value, "not a currency code (three letters, e.g. EUR)")
        return code

    def decimal(self, line: int, column: str, value: str) -> Decimal | None:
        if not value:
            return None
        try:
            return Decimal(value.replace(",", "."))
        except InvalidOperation:
            self.error(line, column, value, "not a number")
            return None


# --- sections contributed by other apps ----------------------------------------------------


@dataclass
class Section:
    """An extra workbook file owned by another app (e.g. voice's wishes.csv).

    ``stage(sheet, engine)`` reads and checks the rows (reporting through ``sheet.error``) and
    keeps what it needs; ``write(engine, report)`` writes it inside the import transaction, after
    the core files; ``export(folder)`` writes the file back and returns the row count.
    """

    filename: str
    columns: list[str]
    required: list[str]
    stage: Callable[[Sheet, Engine], None]
    write: Callable[[Engine, Report], None]
    export: Callable[[Path], int]
    order: int = 100
    notes: str = ""  # for the table of files in docs/import-formats.md


_SECTIONS: list[Section] = []


def register_section(section: Section) -> None:
    if all(s.filename != section.filename for s in _SECTIONS):
        _SECTIONS.append(section)
        _SECTIONS.sort(key=lambda s: s.order)


_AFTER_WRITE: list[Callable[[Report], None]] = []


def register_after_write(fn: Callable[[Report], None]) -> None:
    """``fn(report)`` runs inside the import's transaction after every import that changed
    something, once the customer relations are rebuilt (e.g. derived touchpoints)."""
    if fn not in _AFTER_WRITE:
        _AFTER_WRITE.append(fn)


# --- the core files ------------------------------------------------------------------------

# filename: (columns in the exporter's order, required columns) — from the one schema.
FILES: dict[str, tuple[list[str], list[str]]] = {
    f.filename: (f.names, f.required) for f in schema.FILES
}

CONSUMER_KINDS = ("service", "unit", "organization")


def _n(value: str) -> str | None:
    return value or None


def _stage(
    folder: Path,
    engine: Engine,
    files: list[str],
    on_bytes: Callable[[int], None] | None = None,
    tallies: dict | None = None,
) -> None:
    """Read every file, check its values, and stage its rows."""
    languages = [code for code, _ in settings.LANGUAGES]
    errors = engine.errors

    def sheet(name: str) -> Sheet | None:
        path = folder / name
        if not path.exists():
            return None
        files.append(name)
        cols, req = FILES[name]
        return Sheet(
            path,
            cols,
            req,
            errors,
            on_bytes=on_bytes,
            rejected=engine.result.rejected if engine.skip_invalid else None,
            tallies=tallies,
        )

    def dates(s: Sheet, line: int, r: dict, cols: list[str]) -> list[str | None]:
        out = []
        for c in cols:
            d = s.date(line, c, r[c])
            out.append(d.isoformat() if d else None)
        return out

    if s := sheet("organizations.csv"):
        for line, r in s.rows():
            home = 1 if s.boolean(line, "home", r["home"]) else 0
            s.stage(engine, "organizations", (s.name, line, 0, r["key"], r["name"], home))
    if s := sheet("units.csv"):
        for line, r in s.rows():
            s.stage(
                engine,
                "units",
                (s.name, line, 0, r["key"], r["name"], _n(r["organization"]), _n(r["parent"])),
            )
    if s := sheet("people.csv"):
        for line, r in s.rows():
            if r["email"] and "@" not in r["email"]:
                s.error(line, "email", r["email"], "not an e-mail address")
            lang = r["language"].lower()
            if lang and lang not in languages:
                s.error(line, "language", r["language"], "must be one of " + ", ".join(languages))
            s.stage(
                engine,
                "people",
                (
                    s.name,
                    line,
                    0,
                    r["key"],
                    r["name"],
                    r["email"],
                    lang,
                    _n(r["organization"]),
                    _n(r["unit"]),
                    _n(r["manager"]),
                ),
            )
    if s := sheet("teams.csv"):
        for line, r in s.rows():
            s.stage(engine, "teams", (s.name, line, 0, r["key"], r["name"], _n(r["unit"])))
    if s := sheet("team_members.csv"):
        for line, r in s.rows():
            s.stage(engine, "members", (s.name, line, r["team"], r["person"], None, 1))
    if s := sheet("services.csv"):
        for line, r in s.rows():
            status = (
                s.choice(line, "status", r["status"], Service.Status.values)
                if r["status"]
                else None
            )
            s.stage(
                engine, "services", (s.name, line, 0, r["key"], r["name"], status, _n(r["team"]))
            )
    if s := sheet("consumes.csv"):
        for line, r in s.rows():
            kind, consumer = None, r["consumer"]
            prefix, sep, rest = consumer.partition(":")
            if sep and prefix in CONSUMER_KINDS:
                kind, consumer = prefix, rest
            s.stage(engine, "consumes", (s.name, line, kind, consumer, r["provider"], None, 1))
    if s := sheet("requests.csv"):
        statuses, payments = Request.Status.values, Request.Payment.values
        add = functools.partial(s.stage, engine)
        for line, (key, rq, tm, sv, st, pay, op, ac, tg, cl, title, amt, cur) in s.tuples():
            amount = s.decimal(line, "amount", amt) if amt else None
            add(
                "requests",
                (
                    s.name,
                    line,
                    0,
                    key,
                    title,
                    s.currency(line, "currency", cur) if cur else "",
                    s.choice(line, "status", st, statuses) if st else None,
                    s.choice(line, "payment", pay, payments) if pay else None,
                    s.iso_date(line, "opened", op),
                    s.iso_date(line, "accepted", ac) if ac else None,
                    s.iso_date(line, "target", tg) if tg else None,
                    s.iso_date(line, "closed", cl) if cl else None,
                    str(amount) if amount is not None else None,
                    rq or None,
                    tm or None,
                    sv or None,
                    None,
                ),
            )
    if s := sheet("involvements.csv"):
        roles = Involvement.Role.values
        add = functools.partial(s.stage, engine)
        for line, (person, team, service, role, when, source, hours) in s.tuples():
            h = s.decimal(line, "hours", hours) if hours else None
            add(
                "involvements",
                (
                    s.name,
                    line,
                    person,
                    team,
                    service or None,
                    s.choice(line, "role", role, roles) if role else None,
                    s.iso_date(line, "date", when),
                    source,
                    str(h) if h is not None else None,
                    None,
                    1,
                ),
            )
    for section in _SECTIONS:
        path = folder / section.filename
        if path.exists():
            files.append(section.filename)
            section.stage(
                Sheet(
                    path,
                    section.columns,
                    section.required,
                    errors,
                    on_bytes=on_bytes,
                    tallies=tallies,
                ),
                engine,
            )


# --- public entry points -------------------------------------------------------------------


def import_workbook(
    folder: Path | str,
    *,
    check: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[str], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    rejects: Path | str | None = None,
    ignore_unknown: bool = False,
) -> Report:
    """Import a workbook folder in one transaction (or, with ``check``, only report).

    A ``.csv`` file the workbook does not know (a misspelt ``requets.csv``) is refused, named,
    unless ``ignore_unknown``: then it is named in the report and left alone.

    ``on_bytes`` is told how many bytes were read (for a progress bar with an ETA), ``progress``
    which step of the writing has started.

    Raises :class:`WorkbookError` listing the problems; the database is then unchanged.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkbookError([RowError(str(folder), None, None, None, "not a folder")])
    known = known_files()
    if not any((folder / name).exists() for name in known):
        raise WorkbookError(
            [
                RowError(
                    str(folder),
                    None,
                    None,
                    None,
                    "no workbook files here (expected some of: " + ", ".join(sorted(known)) + ")",
                )
            ]
        )
    unknown = unknown_files(folder)
    if unknown and not ignore_unknown:
        raise WorkbookError(
            [
                RowError(
                    name,
                    None,
                    None,
                    None,
                    "not a workbook file"
                    + (f" (did you mean {near}?)" if (near := _nearest(name, known)) else "")
                    + "; the workbook files are "
                    + ", ".join(sorted(known))
                    + " (to import the others, give --ignore-unknown, or tick "
                    + "'ignore unknown files' on the upload form)",
                )
                for name in unknown
            ]
        )
    report = Report(checked_only=check)
    report.ignored = unknown
    files: list[str] = []
    tallies: dict[str, Tally] = {}

    def extra(engine: Engine) -> None:
        for section in _SECTIONS:
            if section.filename in files:
                section.write(engine, report)

    try:
        with transaction.atomic(), rules.deferred_recompute():
            engine = Engine(skip_invalid=skip_invalid, progress=progress)
            with reading():
                _stage(folder, engine, files, on_bytes, tallies)
            result = engine.run(extra)
            for name, c in result.counts.items():
                report.counts[NAMES.get(name, name)] = c.as_dict()
            report.read = {name: t.as_dict() for name, t in tallies.items()}
            report.rejected = len(result.rejected)
            report.rejects = result.rejected
            if result.rejected:
                report.rejects_file = str(
                    _write_rejects(result.rejected, rejects or folder / "rejects.csv")
                )
            report.warnings += home_warnings()
            if report.changed and not check:
                report.relations = rules.recompute()
                for fn in _AFTER_WRITE:
                    fn(report)
            report.cycles = checks.cycles_if_graph_changed(report.counts)
            if check:
                raise Rollback
    except Rollback:
        pass
    return report


def known_files() -> list[str]:
    return list(FILES) + [s.filename for s in _SECTIONS]


def unknown_files(folder: Path) -> list[str]:
    """The CSV files of ``folder`` the workbook does not read (rejects files excepted)."""
    known = set(known_files())
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.suffix.lower() == ".csv" and p.name not in known and "rejects" not in p.name
    )


def _nearest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return found[0] if found else None


def _write_rejects(rejected: list, target: Path | str) -> Path:
    """Every rejected row with where and why, sorted by file and line."""
    out = Path(target)
    rows = sorted((e for e, _ in rejected), key=lambda e: (e.file, e.line or 0))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        # meant for a spreadsheet: cells that would run as formulas are neutralised
        write_spreadsheet_csv(
            fh,
            ["file", "line", "column", "value", "reason"],
            ([e.file, e.line or "", e.column or "", e.value or "", e.message] for e in rows),
        )
    return out


# --- export --------------------------------------------------------------------------------


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_workbook(folder: Path | str) -> dict[str, int]:
    """Write every stored record back as a workbook. Returns rows written per file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}

    def write(name: str, rows: Iterable[Iterable[Any]]) -> None:
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(FILES[name][0])
            n = 0
            for row in rows:
                w.writerow([escape_exact("" if v is None else v) for v in row])
                n += 1
        written[name] = n

    org = {i: k for i, k in Organization.objects.values_list("id", "key")}
    unit = {i: k for i, k in Unit.objects.values_list("id", "key")}
    person = {i: k for i, k in Person.objects.values_list("id", "key")}
    team = {i: k for i, k in Team.objects.values_list("id", "key")}
    service = {i: k for i, k in Service.objects.values_list("id", "key")}

    write(
        "organizations.csv",
        (
            (k, n, "yes" if h else "")
            for k, n, h in Organization.objects.order_by("key").values_list(
                "key", "name", "is_home"
            )
        ),
    )
    write(
        "units.csv",
        (
            (k, org[o], n, unit.get(p))
            for k, o, n, p in Unit.objects.order_by("key").values_list(
                "key", "organization_id", "name", "parent_id"
            )
        ),
    )
    write(
        "people.csv",
        (
            (k, n, e, org[o], unit.get(u), person.get(m), lang)
            for k, n, e, o, u, m, lang in Person.objects.order_by("key")
            .values_list(
                "key", "name", "email", "organization_id", "unit_id", "manager_id", "language"
            )
            .iterator(chunk_size=5000)
        ),
    )
    write(
        "teams.csv",
        (
            (k, n, unit.get(u))
            for k, n, u in Team.objects.order_by("key").values_list("key", "name", "unit_id")
        ),
    )
    write(
        "team_members.csv",
        sorted(
            (team[t], person[p])
            for t, p in TeamMembership.objects.values_list("team_id", "person_id")
        ),
    )
    write(
        "services.csv",
        (
            (k, n, team.get(t), s)
            for k, n, t, s in Service.objects.order_by("key").values_list(
                "key", "name", "team_id", "status"
            )
        ),
    )
    ambiguous = (
        (set(service.values()) & set(unit.values()))
        | (set(service.values()) & set(org.values()))
        | (set(unit.values()) & set(org.values()))
    )

    def consumer(s: int | None, u: int | None, o: int | None) -> str:
        kind, key = (
            ("service", service[s]) if s else ("unit", unit[u]) if u else ("organization", org[o])
        )
        return f"{kind}:{key}" if key in ambiguous else key

    write(
        "consumes.csv",
        sorted(
            (consumer(s, u, o), service[p])
            for p, s, u, o in Consumption.objects.values_list(
                "provider_id", "consumer_service_id", "consumer_unit_id", "consumer_organization_id"
            )
        ),
    )
    write(
        "requests.csv",
        (
            (
                k,
                person[rq],
                team[t],
                service.get(s),
                st,
                pay,
                _d(o),
                _d(a),
                _d(tg),
                _d(c),
                title,
                "" if amt is None else amt,
                cur,
            )
            for k, rq, t, s, st, pay, o, a, tg, c, title, amt, cur in Request.objects.order_by(
                "key"
            )
            .values_list(
                "key",
                "requester_id",
                "team_id",
                "service_id",
                "status",
                "payment",
                "opened",
                "accepted",
                "target",
                "closed",
                "title",
                "amount",
                "currency",
            )
            .iterator(chunk_size=5000)
        ),
    )
    write(
        "involvements.csv",
        (
            (person[p], team[t], service.get(s), role, _d(d), src, "" if h is None else h)
            for p, t, s, role, d, src, h in Involvement.objects.order_by("id")
            .values_list("person_id", "team_id", "service_id", "role", "date", "source", "hours")
            .iterator(chunk_size=5000)
        ),
    )
    for section in _SECTIONS:
        written[section.filename] = section.export(folder)
    return written

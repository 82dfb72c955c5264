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
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from clientmap.catalog.models import Consumption, Service
from clientmap.customers import rules
from clientmap.directory.models import Organization, Person, Team, TeamMembership, Unit
from clientmap.engagements.models import Involvement, Request
from clientmap.imports.errors import RowError

MAX_ERRORS = 50
BATCH = 2000
TRUE = {"yes", "y", "true", "1", "x", "home", "si", "sí", "sim", "да"}
FALSE = {"", "no", "n", "false", "0", "não", "nao", "нет"}


class WorkbookError(Exception):
    """The workbook has problems; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One CSV file being read, with the errors found in it."""

    path: Path
    columns: list[str]
    required: list[str]
    errors: list[RowError]
    header: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def error(self, line: int | None, column: str | None, value: str | None, message: str) -> None:
        self.errors.append(RowError(self.name, line, column, value, message))
        if len(self.errors) >= MAX_ERRORS:
            raise WorkbookError(self.errors)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, row) pairs; values stripped; missing optional columns read as ""."""
        try:
            raw = self.path.read_bytes()
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.error(line, None, None, "not UTF-8 text (save the sheet as CSV UTF-8)")
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            self.error(1, None, None, "empty file: a header row is required")
            return
        self.header = [h.strip().lower() for h in header]
        missing = [c for c in self.required if c not in self.header]
        for c in missing:
            self.error(1, c, None, "required column is missing")
        if missing:
            return
        index = {c: self.header.index(c) for c in self.columns if c in self.header}
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                line = reader.line_num
                row = {c: (values[i].strip() if i < len(values) else "") for c, i in index.items()}
                for c in self.columns:
                    row.setdefault(c, "")
                for c in self.required:
                    if not row[c]:
                        self.error(line, c, None, "a value is required")
                yield line, row
        except csv.Error as exc:
            self.error(reader.line_num, None, None, f"malformed CSV: {exc}")

    # value parsers: they report and return None on bad input
    def date(self, line: int, column: str, value: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                self.error(line, column, value, "not an ISO 8601 date (YYYY-MM-DD)")
                return None

    def choice(self, line: int, column: str, value: str, choices: Iterable[str]) -> str | None:
        options = list(choices)
        v = value.lower().replace(" ", "_").replace("-", "_")
        if v in options:
            return v
        self.error(line, column, value, "must be one of " + ", ".join(options))
        return None

    def boolean(self, line: int, column: str, value: str) -> bool:
        v = value.lower()
        if v in TRUE:
            return True
        if v not in FALSE:
            self.error(line, column, value, "must be yes or no (or empty)")
        return False

    def decimal(self, line: int, column: str, value: str) -> Decimal | None:
        if not value:
            return None
        try:
            return Decimal(value.replace(",", "."))
        except InvalidOperation:
            self.error(line, column, value, "not a number")
            return None


@dataclass
class Keyed:
    """Rows of a keyed file: key -> (line, values)."""

    rows: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def add(self, sheet: Sheet, line: int, key: str, values: dict[str, Any]) -> None:
        if key in self.rows:
            sheet.error(line, "key", key, f"duplicate key (already on line {self.rows[key][0]})")
            return
        self.rows[key] = (line, values)


@dataclass
class Plan:
    """Everything read from a workbook, checked, ready to write."""

    organizations: Keyed = field(default_factory=Keyed)
    units: Keyed = field(default_factory=Keyed)
    people: Keyed = field(default_factory=Keyed)
    teams: Keyed = field(default_factory=Keyed)
    services: Keyed = field(default_factory=Keyed)
    requests: Keyed = field(default_factory=Keyed)
    members: dict[tuple[str, str], int] = field(default_factory=dict)
    consumes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    involvements: dict[tuple, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What an import did (or, with ``check``, would do): per file, created/updated/unchanged."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    relations: int | None = None
    checked_only: bool = False

    def add(self, name: str, created: int, updated: int, unchanged: int) -> None:
        self.counts[name] = {"created": created, "updated": updated, "unchanged": unchanged}

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def as_dict(self) -> dict:
        return {"files": self.counts, "relations": self.relations, "check": self.checked_only}


# --- sections contributed by other apps ----------------------------------------------------


@dataclass
class Section:
    """An extra workbook file owned by another app (e.g. voice's wishes.csv).

    ``read(sheet, plan, refs)`` checks the rows and stores what it needs in ``plan.extra``;
    ``write(plan, report)`` writes it (inside the import transaction, after the core files);
    ``export(folder)`` writes the file back.
    """

    filename: str
    columns: list[str]
    required: list[str]
    read: Callable[[Sheet, Plan, Refs], None]
    write: Callable[[Plan, Report], None]
    export: Callable[[Path], int]
    order: int = 100


_SECTIONS: list[Section] = []


def register_section(section: Section) -> None:
    if all(s.filename != section.filename for s in _SECTIONS):
        _SECTIONS.append(section)
        _SECTIONS.sort(key=lambda s: s.order)


# --- reference checks ----------------------------------------------------------------------


class Refs:
    """Known keys: what the workbook defines plus what is already stored."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._stored: dict[type[models.Model], set[str]] = {}

    def stored(self, model: type[models.Model]) -> set[str]:
        if model not in self._stored:
            self._stored[model] = set(model.objects.values_list("key", flat=True))
        return self._stored[model]

    def known(self, model: type[models.Model], keyed: Keyed, key: str) -> bool:
        return key in keyed.rows or key in self.stored(model)

    def check(
        self,
        sheet: Sheet,
        line: int,
        column: str,
        key: str,
        model: type[models.Model],
        keyed: Keyed,
        what: str,
    ) -> None:
        if key and not self.known(model, keyed, key):
            sheet.error(line, column, key, f"unknown {what} key")

    def consumer(self, sheet: Sheet, line: int, value: str) -> tuple[str, str] | None:
        """Resolve a consumer to (kind, key); kind is service, unit or organization."""
        kinds = {
            "service": (Service, self.plan.services),
            "unit": (Unit, self.plan.units),
            "organization": (Organization, self.plan.organizations),
        }
        if ":" in value:
            prefix, _, key = value.partition(":")
            if prefix in kinds:
                model, keyed = kinds[prefix]
                if self.known(model, keyed, key):
                    return prefix, key
                sheet.error(line, "consumer", value, f"unknown {prefix} key")
                return None
        found = [k for k, (model, keyed) in kinds.items() if self.known(model, keyed, value)]
        if len(found) == 1:
            return found[0], value
        if not found:
            sheet.error(line, "consumer", value, "not a service, unit or organization key")
        else:
            sheet.error(
                line,
                "consumer",
                value,
                "ambiguous key: write " + " or ".join(f"{k}:{value}" for k in found),
            )
        return None


# --- the core files ------------------------------------------------------------------------

FILES: dict[str, tuple[list[str], list[str]]] = {
    # filename: (columns, required columns)
    "organizations.csv": (["key", "name", "home"], ["key", "name"]),
    "units.csv": (["key", "organization", "name", "parent"], ["key", "organization", "name"]),
    "people.csv": (
        ["key", "name", "email", "organization", "unit", "manager", "language"],
        ["key", "name", "organization"],
    ),
    "teams.csv": (["key", "name", "unit"], ["key", "name"]),
    "team_members.csv": (["team", "person"], ["team", "person"]),
    "services.csv": (["key", "name", "team", "status"], ["key", "name"]),
    "consumes.csv": (["consumer", "provider"], ["consumer", "provider"]),
    "requests.csv": (
        [
            "key",
            "requester",
            "team",
            "service",
            "status",
            "payment",
            "opened",
            "accepted",
            "target",
            "closed",
            "title",
        ],
        ["key", "requester", "team", "status", "opened"],
    ),
    "involvements.csv": (
        ["person", "team", "service", "role", "date", "source", "hours"],
        ["person", "team", "role", "date"],
    ),
}


def _read(folder: Path, plan: Plan, errors: list[RowError]) -> None:
    def sheet(name: str) -> Sheet | None:
        path = folder / name
        if not path.exists():
            return None
        plan.files.append(name)
        cols, req = FILES[name]
        return Sheet(path, cols, req, errors)

    refs = Refs(plan)
    languages = [code for code, _ in settings.LANGUAGES]

    if s := sheet("organizations.csv"):
        for line, r in s.rows():
            plan.organizations.add(
                s,
                line,
                r["key"],
                {"name": r["name"], "is_home": s.boolean(line, "home", r["home"])},
            )
    if s := sheet("units.csv"):
        for line, r in s.rows():
            plan.units.add(
                s,
                line,
                r["key"],
                {"organization": r["organization"], "name": r["name"], "parent": r["parent"]},
            )
    if s := sheet("people.csv"):
        for line, r in s.rows():
            if r["email"] and "@" not in r["email"]:
                s.error(line, "email", r["email"], "not an e-mail address")
            lang = r["language"].lower()
            if lang and lang not in languages:
                s.error(line, "language", r["language"], "must be one of " + ", ".join(languages))
            plan.people.add(
                s,
                line,
                r["key"],
                {
                    "name": r["name"],
                    "email": r["email"],
                    "organization": r["organization"],
                    "unit": r["unit"],
                    "manager": r["manager"],
                    "language": lang,
                },
            )
    if s := sheet("teams.csv"):
        for line, r in s.rows():
            plan.teams.add(s, line, r["key"], {"name": r["name"], "unit": r["unit"]})
    if s := sheet("services.csv"):
        for line, r in s.rows():
            status = (
                s.choice(line, "status", r["status"], Service.Status.values)
                if r["status"]
                else Service.Status.LIVE
            )
            plan.services.add(
                s, line, r["key"], {"name": r["name"], "team": r["team"], "status": status}
            )
    if s := sheet("requests.csv"):
        for line, r in s.rows():
            values = {
                "requester": r["requester"],
                "team": r["team"],
                "service": r["service"],
                "status": s.choice(line, "status", r["status"], Request.Status.values)
                if r["status"]
                else None,
                "payment": s.choice(line, "payment", r["payment"], Request.Payment.values)
                if r["payment"]
                else Request.Payment.FREE,
                "title": r["title"],
            }
            for col in ("opened", "accepted", "target", "closed"):
                values[col] = s.date(line, col, r[col])
            plan.requests.add(s, line, r["key"], values)

    # Files without keys, and every reference, once all keyed files are read.
    if s := sheet("team_members.csv"):
        for line, r in s.rows():
            refs.check(s, line, "team", r["team"], Team, plan.teams, "team")
            refs.check(s, line, "person", r["person"], Person, plan.people, "person")
            plan.members.setdefault((r["team"], r["person"]), line)
    if s := sheet("consumes.csv"):
        for line, r in s.rows():
            refs.check(s, line, "provider", r["provider"], Service, plan.services, "service")
            consumer = refs.consumer(s, line, r["consumer"]) if r["consumer"] else None
            if consumer:
                plan.consumes.setdefault((r["provider"], *consumer), line)
    if s := sheet("involvements.csv"):
        for line, r in s.rows():
            refs.check(s, line, "person", r["person"], Person, plan.people, "person")
            refs.check(s, line, "team", r["team"], Team, plan.teams, "team")
            refs.check(s, line, "service", r["service"], Service, plan.services, "service")
            role = s.choice(line, "role", r["role"], Involvement.Role.values) if r["role"] else None
            when = s.date(line, "date", r["date"])
            natural = (r["person"], r["team"], r["service"], role, when)
            plan.involvements[natural] = (
                line,
                {"source": r["source"], "hours": s.decimal(line, "hours", r["hours"])},
            )

    # References inside keyed files.
    for name, keyed, checks in (
        ("units.csv", plan.units, [("organization", Organization, plan.organizations, "organization"), ("parent", Unit, plan.units, "unit")]),  # noqa: E501
        ("people.csv", plan.people, [("organization", Organization, plan.organizations, "organization"), ("unit", Unit, plan.units, "unit"), ("manager", Person, plan.people, "person")]),  # noqa: E501
        ("teams.csv", plan.teams, [("unit", Unit, plan.units, "unit")]),
        ("services.csv", plan.services, [("team", Team, plan.teams, "team")]),
        ("requests.csv", plan.requests, [("requester", Person, plan.people, "person"), ("team", Team, plan.teams, "team"), ("service", Service, plan.services, "service")]),  # noqa: E501
    ):  # fmt: skip
        if not keyed.rows:
            continue
        s = Sheet(folder / name, [], [], errors)
        for key, (line, values) in keyed.rows.items():
            for column, model, target, what in checks:
                refs.check(s, line, column, values[column], model, target, what)
                if column in ("parent", "manager") and values[column] == key:
                    s.error(line, column, key, f"a {what} cannot be its own {column}")

    # One home organization at most.
    stored_home = Organization.objects.filter(is_home=True).values_list("key", flat=True).first()
    homes = {k for k, (_, v) in plan.organizations.rows.items() if v["is_home"]}
    if stored_home and stored_home not in plan.organizations.rows:
        homes.add(stored_home)
    if len(homes) > 1:
        line = max(plan.organizations.rows[k][0] for k in homes if k in plan.organizations.rows)
        Sheet(folder / "organizations.csv", [], [], errors).error(
            line, "home", "yes", "only one organization can be home: " + ", ".join(sorted(homes))
        )

    for section in _SECTIONS:
        path = folder / section.filename
        if path.exists():
            plan.files.append(section.filename)
            section.read(Sheet(path, section.columns, section.required, errors), plan, refs)


# --- writing -------------------------------------------------------------------------------


REQUEST_FIELDS = (
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
)


def _ids(model: type[models.Model]) -> dict[str, int]:
    return dict(model.objects.values_list("key", "id"))


def _upsert(
    model: type[models.Model],
    wanted: dict[str, dict[str, Any]],
    fields: list[str],
    write: bool,
) -> tuple[set[str], set[str]]:
    """Create missing keys, update changed rows, leave identical rows alone.

    Returns the keys created and the keys updated.
    """
    if not wanted:
        return set(), set()
    existing: dict[str, tuple] = {}
    keys = list(wanted)
    for i in range(0, len(keys), 5000):
        chunk = keys[i : i + 5000]
        for row in model.objects.filter(key__in=chunk).values_list("key", "id", *fields):
            existing[row[0]] = row[1:]
    create, update = [], []
    for key, values in wanted.items():
        row = tuple(values[f] for f in fields)
        if key not in existing:
            create.append(model(key=key, **values))
        elif existing[key][1:] != row:
            update.append(model(id=existing[key][0], key=key, **values))
    created, updated = {o.key for o in create}, {o.key for o in update}
    if write:
        if model is Organization:
            # Rows that stop being "home" first, so the one-home constraint holds at every step.
            demoted = [o for o in update if not o.is_home]
            if demoted:
                model.objects.bulk_update(demoted, fields, batch_size=BATCH)
            update = [o for o in update if o.is_home]
        model.objects.bulk_create(create, batch_size=BATCH)
        if update:
            model.objects.bulk_update(update, fields, batch_size=BATCH)
    return created, updated


def _count(report: Report, name: str, total: int, created: set, updated: set) -> None:
    report.add(name, len(created), len(updated - created), total - len(created | updated))


def _write(plan: Plan, report: Report, write: bool) -> None:
    def vals(keyed: Keyed) -> dict[str, dict[str, Any]]:
        return {k: v for k, (_, v) in keyed.rows.items()}

    wanted = vals(plan.organizations)
    _count(
        report,
        "organizations",
        len(wanted),
        *_upsert(Organization, wanted, ["name", "is_home"], write),
    )
    org = _ids(Organization)

    units = {
        k: {
            "organization_id": org.get(v["organization"]),
            "name": v["name"],
        }
        for k, v in vals(plan.units).items()
    }
    created, updated = _upsert(Unit, units, ["organization_id", "name"], write)
    unit = _ids(Unit)
    parents = {
        k: {"parent_id": unit.get(v["parent"]) if v["parent"] else None}
        for k, v in vals(plan.units).items()
    }
    updated |= _upsert(Unit, parents, ["parent_id"], write)[1]
    _count(report, "units", len(units), created, updated)

    people = {
        k: {
            "name": v["name"],
            "email": v["email"],
            "organization_id": org.get(v["organization"]),
            "unit_id": unit.get(v["unit"]) if v["unit"] else None,
            "language": v["language"],
        }
        for k, v in vals(plan.people).items()
    }
    created, updated = _upsert(
        Person, people, ["name", "email", "organization_id", "unit_id", "language"], write
    )
    person = _ids(Person)
    managers = {
        k: {"manager_id": person.get(v["manager"]) if v["manager"] else None}
        for k, v in vals(plan.people).items()
    }
    updated |= _upsert(Person, managers, ["manager_id"], write)[1]
    _count(report, "people", len(people), created, updated)

    teams = {
        k: {"name": v["name"], "unit_id": unit.get(v["unit"]) if v["unit"] else None}
        for k, v in vals(plan.teams).items()
    }
    _count(report, "teams", len(teams), *_upsert(Team, teams, ["name", "unit_id"], write))
    team = _ids(Team)

    if plan.members:
        have = set(TeamMembership.objects.values_list("team_id", "person_id"))
        new = {(team.get(t), person.get(p)) for t, p in plan.members} - have
        report.add("team_members", len(new), 0, len(plan.members) - len(new))
        if write:
            TeamMembership.objects.bulk_create(
                [TeamMembership(team_id=t, person_id=p) for t, p in new], batch_size=BATCH
            )

    services = {
        k: {
            "name": v["name"],
            "team_id": team.get(v["team"]) if v["team"] else None,
            "status": v["status"],
        }
        for k, v in vals(plan.services).items()
    }
    _count(
        report,
        "services",
        len(services),
        *_upsert(Service, services, ["name", "team_id", "status"], write),
    )
    service = _ids(Service)

    if plan.consumes:
        ids = {"service": service, "unit": unit, "organization": org}
        have = set(
            Consumption.objects.values_list(
                "provider_id", "consumer_service_id", "consumer_unit_id", "consumer_organization_id"
            )
        )
        new = set()
        for provider, kind, key in plan.consumes:
            row = [service.get(provider), None, None, None]
            row[{"service": 1, "unit": 2, "organization": 3}[kind]] = ids[kind].get(key)
            if tuple(row) not in have:
                new.add(tuple(row))
        report.add("consumes", len(new), 0, len(plan.consumes) - len(new))
        if write:
            Consumption.objects.bulk_create(
                [
                    Consumption(
                        provider_id=p,
                        consumer_service_id=s,
                        consumer_unit_id=u,
                        consumer_organization_id=o,
                    )
                    for p, s, u, o in new
                ],
                batch_size=BATCH,
            )

    requests = {
        k: {
            "requester_id": person.get(v["requester"]),
            "team_id": team.get(v["team"]),
            "service_id": service.get(v["service"]) if v["service"] else None,
            "status": v["status"],
            "payment": v["payment"],
            "opened": v["opened"],
            "accepted": v["accepted"],
            "target": v["target"],
            "closed": v["closed"],
            "title": v["title"],
        }
        for k, v in vals(plan.requests).items()
    }
    _count(
        report, "requests", len(requests), *_upsert(Request, requests, list(REQUEST_FIELDS), write)
    )

    if plan.involvements:
        have: dict[tuple, tuple] = {}
        for row in Involvement.objects.values_list(
            "id", "person_id", "team_id", "service_id", "role", "date", "source", "hours"
        ):
            have[row[1:6]] = (row[0], row[6], row[7])
        create, update = [], []
        for (p, t, s, role, when), (_, v) in plan.involvements.items():
            nat = (person.get(p), team.get(t), service.get(s) if s else None, role, when)
            if nat not in have:
                create.append(
                    Involvement(
                        person_id=nat[0],
                        team_id=nat[1],
                        service_id=nat[2],
                        role=role,
                        date=when,
                        **v,
                    )
                )
            elif have[nat][1:] != (v["source"], v["hours"]):
                update.append(Involvement(id=have[nat][0], **v))
        report.add(
            "involvements",
            len(create),
            len(update),
            len(plan.involvements) - len(create) - len(update),
        )
        if write:
            Involvement.objects.bulk_create(create, batch_size=BATCH)
            if update:
                Involvement.objects.bulk_update(update, ["source", "hours"], batch_size=BATCH)

    if write:
        for section in _SECTIONS:
            if section.filename in plan.files:
                section.write(plan, report)


# --- public entry points -------------------------------------------------------------------


def read(folder: Path | str) -> Plan:
    """Read and check a workbook folder. Raises :class:`WorkbookError` listing the problems."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkbookError([RowError(str(folder), None, None, None, "not a folder")])
    known = set(FILES) | {s.filename for s in _SECTIONS}
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
    errors: list[RowError] = []
    plan = Plan()
    _read(folder, plan, errors)
    if errors:
        raise WorkbookError(errors)
    return plan


def import_workbook(folder: Path | str, *, check: bool = False) -> Report:
    """Import a workbook folder in one transaction (or, with ``check``, only report)."""
    plan = read(folder)
    report = Report(checked_only=check)
    if check:
        _write(plan, report, write=False)
        return report
    with transaction.atomic(), rules.deferred_recompute():
        _write(plan, report, write=True)
        if report.changed:
            report.relations = rules.recompute()
    return report


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
                w.writerow(["" if v is None else v for v in row])
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
            (k, person[rq], team[t], service.get(s), st, pay, _d(o), _d(a), _d(tg), _d(c), title)
            for k, rq, t, s, st, pay, o, a, tg, c, title in Request.objects.order_by("key")
            .values_list("key", *REQUEST_FIELDS)
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

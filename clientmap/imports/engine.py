"""The set-based import engine shared by the workbook and the mapped importers.

Readers turn input rows into plain tuples and hand them to :class:`Engine`, which streams them
into temporary *staging* tables (``executemany`` on SQLite, ``COPY`` on PostgreSQL) — Python never
holds a whole file. Then, per entity, in dependency order, a few SQL statements:

1. drop duplicate rows where the reader asked for *last row wins* (event logs) or for *soft* rows
   (records implied by another file, e.g. a caller named by an incident: created when missing,
   never overwriting what is stored);
2. report keys given twice;
3. check every reference against what is stored (the referenced entities were written just
   before), with the file, line, column and value of each bad one;
4. upsert: ``INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE <something differs>`` — new keys
   created, changed rows updated, identical rows left alone (so a second import changes nothing).

Everything runs in the caller's transaction: any error rolls the database back to exactly what it
was. ``--skip-invalid`` instead moves the bad rows to a rejects list and imports the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from clientmap.core import bulk
from clientmap.imports.errors import ImportFailed, RowError

MAX_ERRORS = 50
BATCH = 10_000
# PostgreSQL checks each inserted row's foreign keys with a trigger, deferred to the commit
# (0.8 s of the ServiceNow log's 24 542 requests, 0.15 s of its 5 478 people); dropping them
# around the upsert and adding them back checks every row in one join. Worth it from this many
# rows (core.bulk's default, 50 000, is set for rebuilding indexes, which both databases do).
PG_BULK_THRESHOLD = 5_000


@dataclass(frozen=True)
class Ref:
    column: str  # staging column holding the referenced key
    target: str  # column of the real table (``requester_id``)
    entity: str  # the referenced entity
    required: bool = False


@dataclass(frozen=True)
class Entity:
    """A keyed table: staged by key, upserted by key."""

    name: str
    table: str
    texts: tuple[str, ...] = ()  # NOT NULL text columns ('' when empty)
    values: tuple[str, ...] = ()  # nullable / typed columns copied as they are
    refs: tuple[Ref, ...] = ()
    self_ref: Ref | None = None
    dates: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()  # (column, SQL literal) when staged NULL
    decimals: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # value columns that must not be missing
    staging: tuple[str, ...] = ()  # staged only (e.g. an event log's sequence), never written

    @property
    def columns(self) -> tuple[str, ...]:
        """Staging columns after file, line, soft and key."""
        cols = list(self.texts) + list(self.values) + list(self.booleans)
        cols += [r.column for r in self.refs]
        if self.self_ref:
            cols.append(self.self_ref.column)
        return tuple(cols) + self.staging


ORGANIZATIONS = Entity(
    "organizations", "directory_organization", texts=("name",), booleans=("is_home",)
)
UNITS = Entity(
    "units",
    "directory_unit",
    texts=("name",),
    refs=(Ref("organization", "organization_id", "organizations", True),),
    self_ref=Ref("parent", "parent_id", "units"),
)
PEOPLE = Entity(
    "people",
    "directory_person",
    texts=("name", "email", "language"),
    refs=(
        Ref("organization", "organization_id", "organizations", True),
        Ref("unit", "unit_id", "units"),
    ),
    self_ref=Ref("manager", "manager_id", "people"),
)
TEAMS = Entity("teams", "directory_team", texts=("name",), refs=(Ref("unit", "unit_id", "units"),))
SERVICES = Entity(
    "services",
    "catalog_service",
    texts=("name",),
    values=("status",),
    refs=(Ref("team", "team_id", "teams"),),
    defaults=(("status", "'live'"),),
)
REQUESTS = Entity(
    "requests",
    "engagements_request",
    texts=("title", "currency"),
    values=("status", "payment", "opened", "accepted", "target", "closed", "amount"),
    refs=(
        Ref("requester", "requester_id", "people", True),
        Ref("team", "team_id", "teams", True),
        Ref("service", "service_id", "services"),
    ),
    dates=("opened", "accepted", "target", "closed"),
    defaults=(("payment", "'free'"),),
    decimals=("amount",),
    required=("status", "opened"),
    staging=("seq",),
)
KEYED = {e.name: e for e in (ORGANIZATIONS, UNITS, PEOPLE, TEAMS, SERVICES, REQUESTS)}

# Staging layouts of the files without keys.
# ``rec`` is the key of the record (e.g. the incident) a link was read with and ``hist`` whether
# it is kept from every row of an event log (1) or only from the record's last row (0).
LINKS = {
    "members": ("team", "person", "rec", "hist"),
    "consumes": ("kind", "consumer", "provider", "rec", "hist"),
    "involvements": (
        "person",
        "team",
        "service",
        "role",
        "date",
        "source",
        "hours",
        "rec",
        "hist",
    ),
}
ORDER = [
    "organizations",
    "units",
    "people",
    "teams",
    "members",
    "services",
    "consumes",
    "requests",
    "involvements",
]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class Result:
    counts: dict[str, Counts] = field(default_factory=dict)
    rejected: list[tuple[RowError, Sequence[Any]]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())


class Engine:
    """Stage rows, then write them set-based. Use inside ``transaction.atomic()``."""

    def __init__(
        self,
        *,
        skip_invalid: bool = False,
        last_row_wins: Iterable[str] = (),
        skip_missing: dict[str, list[str]] | None = None,
        progress: Callable[[str], None] | None = None,
        sequence: bool = False,
        last_known: dict[str, list[str]] | None = None,
    ):
        self.pg = connection.vendor == "postgresql"
        self.skip_invalid = skip_invalid
        self.last_row_wins = set(last_row_wins)
        self.skip_missing = skip_missing or {}
        # Event logs: the rows of a key in the order of their ``seq`` staging column, not of
        # their lines; ``last_known`` columns take the key's last non-missing value.
        self.sequence = sequence
        self.last_known = last_known or {}
        # (entity, staging column) -> the input's own column name, for messages.
        self.rename: dict[tuple[str, str], str] = {}
        self.errors: list[RowError] = []
        self.result = Result()
        self.progress = progress or (lambda step: None)
        self._buffers: dict[str, list[tuple]] = {}
        self._staged: set[str] = set()
        self._created_tables: set[str] = set()
        self._requests_indexed = False  # by key and line, for the history trim
        self.cursor = connection.cursor()

    # --- errors ---------------------------------------------------------------------------

    def error(
        self,
        file: str,
        line: int | None,
        column: str | None,
        value: str | None,
        message: str,
        row: Sequence[Any] = (),
        hint: str | None = None,
    ) -> None:
        err = RowError(file, line, column, value, message, hint)
        if self.skip_invalid:
            self.result.rejected.append((err, row))
            return
        self.errors.append(err)
        if len(self.errors) >= MAX_ERRORS:
            raise ImportFailed(self.errors)

    def raise_errors(self) -> None:
        if self.errors:
            raise ImportFailed(self.errors)

    # --- staging --------------------------------------------------------------------------

    def _layout(self, name: str) -> tuple[str, ...]:
        if name in KEYED:
            return ("file", "line", "soft", "key", *KEYED[name].columns)
        return ("file", "line", *LINKS[name])

    def _ensure_table(self, name: str) -> None:
        if name in self._created_tables:
            return
        cols = self._layout(name)
        types = {"line": "INTEGER", "soft": "INTEGER", "hist": "INTEGER", "seq": "REAL"}
        if name in KEYED:
            types.update({c: "INTEGER" for c in KEYED[name].booleans})
        ddl = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in cols)
        self.cursor.execute(f"DROP TABLE IF EXISTS stg_{name}")
        self.cursor.execute(f"CREATE TEMPORARY TABLE stg_{name} ({ddl})")
        self._created_tables.add(name)

    def add(self, name: str, row: tuple) -> None:
        """Stage one row: (file, line, [soft, key,] values…) in the entity's column order."""
        buf = self._buffers.setdefault(name, [])
        buf.append(row)
        if len(buf) >= BATCH:
            self._flush(name)

    def _flush(self, name: str) -> None:
        rows = self._buffers.get(name)
        if not rows:
            return
        self._ensure_table(name)
        cols = self._layout(name)
        if self.pg:
            with self.cursor.cursor.copy(f"COPY stg_{name} ({', '.join(cols)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            raw = connection.connection
            marks = ", ".join("?" * len(cols))
            raw.executemany(f"INSERT INTO stg_{name} VALUES ({marks})", rows)
        self._staged.add(name)
        rows.clear()

    def _sql(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self.cursor.execute(sql, params or None)
        return self.cursor.fetchall() if self.cursor.description else []

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cursor.execute(sql, params or None)
        return self.cursor.rowcount

    # --- writing --------------------------------------------------------------------------

    def run(self, extra: Callable[[Engine], None] | None = None) -> Result:
        """Write everything staged, in dependency order. Raises :class:`ImportFailed`."""
        for name in list(self._buffers):
            self._flush(name)
        self.raise_errors()
        self._trim_history()
        for name in ORDER:
            if name not in self._staged:
                continue
            self.progress(name)
            if name in KEYED:
                self._keyed(KEYED[name])
            else:
                getattr(self, f"_{name}")()
            self.raise_errors()
        if extra:
            extra(self)
            self.raise_errors()
        return self.result

    def _trim_history(self) -> None:
        """Event logs: links not marked ``history`` count only from their record's last row."""
        if "requests" not in self._staged or not self.last_row_wins:
            return
        indexed = False
        for name in LINKS:
            if name not in self._staged:
                continue
            if not self._sql(
                f"SELECT 1 FROM stg_{name} WHERE hist = 0 AND rec IS NOT NULL LIMIT 1"
            ):
                continue  # every link kept from every row (or trimmed by the reader already)
            if not indexed:
                self._exec("CREATE INDEX stg_requests_key_line ON stg_requests (key, line)")
                indexed = self._requests_indexed = True
            if self.sequence:
                last = (
                    f"(SELECT r.line FROM stg_requests r WHERE r.key = stg_{name}.rec AND "
                    f"r.file = stg_{name}.file ORDER BY {self._last_first('r')} LIMIT 1)"
                )
                self._exec(
                    f"DELETE FROM stg_{name} WHERE hist = 0 AND rec IS NOT NULL AND line <> {last}"
                )
                continue
            self._exec(
                f"DELETE FROM stg_{name} WHERE hist = 0 AND rec IS NOT NULL AND line < "
                f"(SELECT MAX(r.line) FROM stg_requests r WHERE r.key = stg_{name}.rec "
                f"AND r.file = stg_{name}.file)"
            )

    def _last_first(self, alias: str = "") -> str:
        """ORDER BY putting a key's last row first: by sequence (when given), then line."""
        a = f"{alias}." if alias else ""
        seq = f"({a}seq IS NULL), {a}seq DESC, " if self.sequence else ""
        return f"{seq}{a}file DESC, {a}line DESC"

    def _fill_last_known(self, name: str) -> None:
        """Each ``last_known`` column of a key's last row: its last non-missing value."""
        t = f"stg_{name}"
        for c in self.last_known.get(name, []):
            self._exec(
                f"UPDATE {t} SET {c} = (SELECT s2.{c} FROM {t} s2 WHERE s2.key = {t}.key AND "
                f"s2.soft = 0 AND s2.{c} IS NOT NULL ORDER BY {self._last_first('s2')} LIMIT 1) "
                f"WHERE soft = 0 AND {c} IS NULL"
            )

    def _distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}"

    def _typed(self, entity: Entity, col: str, src: str) -> str:
        if self.pg and col in entity.dates:
            return f"CAST({src} AS DATE)"
        if self.pg and (col == "hours" or col in entity.decimals):
            return f"CAST({src} AS NUMERIC)"
        return src

    def _reject_rows(self, name: str, where: str, message: str, column: str, params=()) -> None:
        """Report (or, with skip_invalid, remove) the staged rows matching ``where``."""
        cols = self._layout(name)
        limit = "" if self.skip_invalid else f" LIMIT {MAX_ERRORS}"
        rows = self._sql(
            f"SELECT {', '.join('s.' + c for c in cols)} FROM stg_{name} s WHERE {where} "
            f"ORDER BY s.file, s.line{limit}",
            params,
        )
        if not rows:
            return
        idx = cols.index(column) if column in cols else None
        shown = self.rename.get((name, column), column)
        for row in rows:
            value = row[idx] if idx is not None else None
            self.error(row[0], row[1], shown, value, message, row)
        if self.skip_invalid:
            self._exec(f"DELETE FROM stg_{name} AS s WHERE {where}", params)

    def _dedupe(self, name: str, natural: Sequence[str], keep_soft: bool) -> None:
        """Keep one staged row per natural key: the last line (event logs) or report doubles."""
        rid = "ctid" if self.pg else "rowid"
        part = ", ".join(natural)
        t = f"stg_{name}"
        has_soft = keep_soft and self._sql(f"SELECT 1 FROM {t} WHERE soft = 1 LIMIT 1")
        if has_soft:
            # Soft rows: one per key, and none where a real row exists.
            self._exec(
                f"DELETE FROM {t} WHERE {rid} IN (SELECT rid FROM (SELECT {rid} AS rid, soft, "
                f"ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY soft, file, line) AS rn "
                f"FROM {t}) x WHERE soft = 1 AND rn > 1)"
            )
        hard = "WHERE soft = 0" if keep_soft else ""
        if name in self.last_row_wins or not keep_soft:
            order = self._last_first() if name in self.last_row_wins else "file DESC, line DESC"
            if name in self.last_row_wins:
                self._fill_last_known(name)
            if not self._sql(
                f"SELECT 1 FROM {t} {hard} GROUP BY {part} HAVING COUNT(*) > 1 LIMIT 1"
            ):
                return  # one row per key already (a mapped event log keeps only the last)
            self._exec(
                f"DELETE FROM {t} WHERE {rid} IN (SELECT rid FROM (SELECT {rid} AS rid, "
                f"ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY {order}) AS rn "
                f"FROM {t} {hard}) x WHERE rn > 1)"
            )
            return
        if not self._sql(f"SELECT 1 FROM {t} {hard} GROUP BY {part} HAVING COUNT(*) > 1 LIMIT 1"):
            return  # no key given twice: the common case, answered from the key index
        limit = "" if self.skip_invalid else f" LIMIT {MAX_ERRORS}"
        window = f"OVER (PARTITION BY {part} ORDER BY file, line)"
        rows = self._sql(
            f"SELECT rid, file, line, key, first_file, first_line FROM (SELECT {rid} AS rid, "
            f"file, line, key, ROW_NUMBER() {window} AS rn, FIRST_VALUE(file) {window} AS "
            f"first_file, FIRST_VALUE(line) {window} AS first_line FROM {t} {hard}) x "
            f"WHERE rn > 1 ORDER BY file, line{limit}"
        )
        for rid_value, file, line, key, first_file, first_line in rows:
            where = (
                f"line {first_line}" if first_file == file else f"{first_file}, line {first_line}"
            )
            shown = self.rename.get((name, "key"), "key")
            self.error(file, line, shown, key, f"duplicate key (already on {where})", (file, line))
            if self.skip_invalid:
                self._exec(f"DELETE FROM {t} WHERE {rid} = %s", [rid_value])

    def _check_refs(self, name: str, refs: Iterable[Ref]) -> None:
        self._checks(name, [self._ref_check(ref) for ref in refs])

    def _ref_check(self, ref: Ref) -> tuple[str, str, str]:
        target = KEYED[ref.entity].table
        return (
            f"s.{ref.column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {target} t WHERE t.key = s.{ref.column})",
            f"unknown {_WHAT[ref.entity]} key",
            ref.column,
        )

    def _checks(self, name: str, checks: list[tuple[str, str, str]]) -> None:
        """Report the staged rows failing each check (where, message, column), in order.

        One scan first asks whether any row fails any of them: a clean file (the common case)
        is read once, not once per check; a file with problems is checked one by one, as
        before, for the messages."""
        if not checks:
            return
        anything = " OR ".join(f"({where})" for where, _, _ in checks)
        if not self._sql(f"SELECT 1 FROM stg_{name} s WHERE {anything} LIMIT 1"):
            return
        for where, message, column in checks:
            self._reject_rows(name, where, message, column)

    def _keyed(self, e: Entity) -> None:
        name = e.name
        if not (name == "requests" and self._requests_indexed):
            self._exec(f"CREATE INDEX stg_{name}_key ON stg_{name} (key)")
        self._dedupe(name, ["key"], keep_soft=True)
        for column in self.skip_missing.get(name, []):
            n = self._exec(f"DELETE FROM stg_{name} WHERE soft = 0 AND {column} IS NULL")
            self.result.skipped[f"{name} without {column}"] = n
        checks = [
            (f"s.soft = 0 AND s.{column} IS NULL", "a value is required", column)
            for column in [*e.required, *(r.column for r in e.refs if r.required)]
        ]
        checks += [self._ref_check(ref) for ref in e.refs]
        if e.self_ref:
            # A parent / manager may be defined in the same file: check against both.
            c = e.self_ref.column
            checks.append(
                (
                    f"s.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {e.table} t "
                    f"WHERE t.key = s.{c}) AND NOT EXISTS (SELECT 1 FROM stg_{name} s2 "
                    f"WHERE s2.key = s.{c})",
                    f"unknown {_WHAT[name]} key",
                    c,
                )
            )
            checks.append((f"s.{c} = s.key", f"cannot be its own {c}", c))
        self._checks(name, checks)
        if e is ORGANIZATIONS:
            self._check_home()
        if self.errors:
            return

        defaults = dict(e.defaults)
        select = ["s.key"]
        insert = ["key"]
        joins = []
        for c in e.texts:
            select.append(f"COALESCE(s.{c}, '')")
            insert.append(c)
        for c in e.values:
            expr = f"COALESCE(s.{c}, {defaults[c]})" if c in defaults else f"s.{c}"
            select.append(self._typed(e, c, expr))
            insert.append(c)
        for c in e.booleans:
            select.append(f"(s.{c} = 1)" if self.pg else f"s.{c}")
            insert.append(c)
        for i, ref in enumerate(e.refs):
            joins.append(f"LEFT JOIN {KEYED[ref.entity].table} j{i} ON j{i}.key = s.{ref.column}")
            select.append(f"j{i}.id")
            insert.append(ref.target)
        updates = insert[1:]
        t = e.table
        src = f"SELECT {', '.join(select)} FROM stg_{name} s {' '.join(joins)}"
        total = self._sql(f"SELECT COUNT(*) FROM stg_{name}")[0][0]
        before = self._sql(f"SELECT COUNT(*) FROM {t}")[0][0]
        updated = None
        if e.self_ref:
            # Count the stored rows that will change, including their parent / manager.
            r = e.self_ref
            differs_src = " OR ".join(
                self._distinct(f"t.{c}", expr)
                for c, expr in zip(insert[1:], select[1:], strict=True)
            )
            updated = self._sql(
                f"SELECT COUNT(*) FROM stg_{name} s JOIN {t} t ON t.key = s.key {' '.join(joins)} "
                f"LEFT JOIN {t} tp ON tp.id = t.{r.target} WHERE s.soft = 0 AND ({differs_src} "
                f"OR {self._distinct('tp.key', 's.' + r.column)})"
            )[0][0]
        differs = " OR ".join(self._distinct(f"{t}.{c}", f"excluded.{c}") for c in updates)
        sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
        if e is ORGANIZATIONS:
            # Demote first so that "exactly one home" holds at every step.
            self._exec(
                f"UPDATE {t} SET is_home = {'false' if self.pg else '0'} WHERE is_home AND key IN "
                f"(SELECT key FROM stg_organizations WHERE soft = 0 AND is_home = 0)"
            )
        threshold = min(bulk.THRESHOLD, PG_BULK_THRESHOLD) if self.pg else None
        with bulk.loading(t, total, before, threshold):
            changed = self._exec(
                f"INSERT INTO {t} ({', '.join(insert)}) {src} WHERE s.soft = 0 ORDER BY s.key "
                f"ON CONFLICT (key) DO UPDATE SET {sets} WHERE {differs}"
            )
            # soft rows too (a log's callers are all soft): their keys' unique index stays
            soft = self._exec(
                f"INSERT INTO {t} ({', '.join(insert)}) {src} WHERE s.soft = 1 "
                f"ON CONFLICT (key) DO NOTHING"
            )
        created = self._sql(f"SELECT COUNT(*) FROM {t}")[0][0] - before
        if updated is None:
            updated = changed - (created - soft)
        if e.self_ref:
            r = e.self_ref
            sub = (
                f"(SELECT p.id FROM stg_{name} s JOIN {t} p ON p.key = s.{r.column} "
                f"WHERE s.key = {t}.key AND s.soft = 0)"
            )
            self._exec(
                f"UPDATE {t} SET {r.target} = {sub} WHERE key IN (SELECT key FROM stg_{name} "
                f"WHERE soft = 0) AND {self._distinct(r.target, sub)}"
            )
        self.result.counts[name] = Counts(created, updated, total - created - updated)

    def _check_home(self) -> None:
        rows = self._sql(
            "SELECT key FROM stg_organizations WHERE soft = 0 AND is_home = 1 "
            "UNION SELECT key FROM directory_organization WHERE is_home AND key NOT IN "
            "(SELECT key FROM stg_organizations WHERE soft = 0)"
        )
        if len(rows) > 1:
            keys = sorted(k for (k,) in rows)
            self._reject_rows(
                "organizations",
                "s.soft = 0 AND s.is_home = 1 AND s.line = (SELECT MAX(line) FROM "
                "stg_organizations WHERE soft = 0 AND is_home = 1)",
                "only one organization can be home: " + ", ".join(keys),
                "home",
            )

    def _members(self) -> None:
        self._check_refs(
            "members",
            [Ref("team", "team_id", "teams", True), Ref("person", "person_id", "people", True)],
        )
        if self.errors:
            return
        total = self._sql("SELECT COUNT(*) FROM (SELECT DISTINCT team, person FROM stg_members) x")[
            0
        ][0]
        created = self._exec(
            "INSERT INTO directory_teammembership (team_id, person_id) "
            "SELECT DISTINCT t.id, p.id FROM stg_members s "
            "JOIN directory_team t ON t.key = s.team JOIN directory_person p ON p.key = s.person "
            "WHERE NOT EXISTS (SELECT 1 FROM directory_teammembership m "
            "WHERE m.team_id = t.id AND m.person_id = p.id)"
        )
        self.result.counts["team_members"] = Counts(created, 0, total - created)

    def _consumes(self) -> None:
        self._check_refs("consumes", [Ref("provider", "provider_id", "services", True)])
        tables = {
            "service": "catalog_service",
            "unit": "directory_unit",
            "organization": "directory_organization",
        }
        self._reject_rows(
            "consumes",
            "s.kind IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
            "(SELECT 'service' AS k, key FROM catalog_service UNION ALL "
            "SELECT 'unit', key FROM directory_unit UNION ALL "
            "SELECT 'organization', key FROM directory_organization) x "
            "WHERE x.k = s.kind AND x.key = s.consumer)",
            "unknown consumer key of that kind",
            "consumer",
        )
        found = " + ".join(
            f"(CASE WHEN EXISTS (SELECT 1 FROM {tb} WHERE key = s.consumer) THEN 1 ELSE 0 END)"
            for tb in tables.values()
        )
        self._reject_rows(
            "consumes",
            f"s.kind IS NULL AND ({found}) = 0",
            "not a service, unit or organization key",
            "consumer",
        )
        for row in self._sql(
            f"SELECT s.file, s.line, s.consumer FROM stg_consumes s WHERE s.kind IS NULL AND ({found}) > 1"
        ):
            kinds = [
                k
                for k, tb in tables.items()
                if self._sql(f"SELECT 1 FROM {tb} WHERE key = %s", [row[2]])
            ]
            self.error(
                row[0],
                row[1],
                "consumer",
                row[2],
                "ambiguous key: write " + " or ".join(f"{k}:{row[2]}" for k in kinds),
                row,
            )
            if self.skip_invalid:
                self._exec("DELETE FROM stg_consumes WHERE file = %s AND line = %s", row[:2])
        if self.errors:
            return
        for kind, tb in tables.items():
            self._exec(
                f"UPDATE stg_consumes SET kind = '{kind}' WHERE kind IS NULL AND "
                f"EXISTS (SELECT 1 FROM {tb} WHERE key = stg_consumes.consumer)"
            )
        total = self._sql(
            "SELECT COUNT(*) FROM (SELECT DISTINCT kind, consumer, provider FROM stg_consumes) x"
        )[0][0]
        created = 0
        for kind, tb in tables.items():
            col = f"consumer_{kind}_id"
            created += self._exec(
                "INSERT INTO catalog_consumption (provider_id, consumer_service_id, "
                "consumer_unit_id, consumer_organization_id) "
                "SELECT DISTINCT p.id, "
                + ", ".join("c.id" if k == kind else "CAST(NULL AS BIGINT)" for k in tables)
                + f" FROM stg_consumes s JOIN catalog_service p ON p.key = s.provider "
                f"JOIN {tb} c ON c.key = s.consumer WHERE s.kind = '{kind}' AND NOT EXISTS "
                f"(SELECT 1 FROM catalog_consumption x WHERE x.provider_id = p.id AND x.{col} = c.id)"
            )
        self.result.counts["consumes"] = Counts(created, 0, total - created)

    def _involvements(self) -> None:
        refs = [
            Ref("person", "person_id", "people", True),
            Ref("team", "team_id", "teams", True),
            Ref("service", "service_id", "services"),
        ]
        self._check_refs("involvements", refs)
        if self.errors:
            return
        natural = ["person", "team", "service", "role", "date"]
        self._dedupe("involvements", natural, keep_soft=False)
        date = "CAST(s.date AS DATE)" if self.pg else "s.date"
        hours = "CAST(s.hours AS NUMERIC)" if self.pg else "s.hours"
        src = (
            f"SELECT p.id AS person_id, t.id AS team_id, sv.id AS service_id, s.role AS role, "
            f"{date} AS date, COALESCE(s.source, '') AS source, {hours} AS hours "
            "FROM stg_involvements s JOIN directory_person p ON p.key = s.person "
            "JOIN directory_team t ON t.key = s.team "
            "LEFT JOIN catalog_service sv ON sv.key = s.service"
        )
        match = (
            "v.person_id = q.person_id AND v.team_id = q.team_id AND v.role = q.role "
            "AND v.date = q.date AND v.service_id IS NOT DISTINCT FROM q.service_id"
        )
        total = self._sql("SELECT COUNT(*) FROM stg_involvements")[0][0]
        before = self._sql("SELECT COUNT(*) FROM engagements_involvement")[0][0]
        with bulk.loading("engagements_involvement", total, before, only_if_empty=True):
            created, updated = self._write_involvements(src, match)
        self.result.counts["involvements"] = Counts(created, updated, total - created - updated)

    def _write_involvements(self, src: str, match: str) -> tuple[int, int]:
        updated = self._exec(
            "UPDATE engagements_involvement AS v SET source = q.source, hours = q.hours "
            f"FROM ({src}) AS q WHERE {match} AND (v.source IS DISTINCT FROM q.source "
            "OR v.hours IS DISTINCT FROM q.hours)"
        )
        created = self._exec(
            "INSERT INTO engagements_involvement (person_id, team_id, service_id, role, date, "
            f"source, hours) SELECT q.person_id, q.team_id, q.service_id, q.role, q.date, "
            f"q.source, q.hours FROM ({src}) AS q WHERE NOT EXISTS "
            f"(SELECT 1 FROM engagements_involvement v WHERE {match})"
        )
        return created, updated


_WHAT = {
    "organizations": "organization",
    "units": "unit",
    "people": "person",
    "teams": "team",
    "services": "service",
    "requests": "request",
}

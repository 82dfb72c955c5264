"""Backup and restore of the whole database, and checksums of every table.

``clientmap backup FILE`` writes a zip: ``manifest.json`` (format, migrations, per table its
columns, row count and SHA-256) and one JSON-lines file per table, rows in primary-key order,
streamed (memory stays flat at any size). ``clientmap restore FILE`` loads it back in one
transaction into a migrated database — refusing one that already holds data unless told to
``--replace`` it — resets the sequences, and checks every table's count and checksum against the
manifest before committing. It works between SQLite and PostgreSQL in either direction.

:func:`content_checksums` fingerprints the data without surrogate keys (ids become the natural
keys they point to), so two databases that hold the same world compare equal even when their
ids differ — PostgreSQL sequences are not rolled back with a transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "clientmap-backup"
VERSION = 1
# Filled again by ``migrate`` in every database: always replaced, never "data".
REGENERATED = {"contenttypes.contenttype", "auth.permission"}
# The software's own bookkeeping, which a freshly migrated database already holds rows of: the
# derived tables' versions and stale marks, and what an app registers (``bookkeeping()``, e.g.
# voice's open-wish tally, set by ``post_migrate``). Backed up and restored like every table,
# but a database holding only these is empty: ``restore`` needs no ``--replace`` after
# ``clientmap migrate``.
BOOKKEEPING = {"core.derivedstate", "core.stalescope"}


def bookkeeping(label: str) -> None:
    """Name a table (``app_label.model``) that holds only the software's own bookkeeping."""
    BOOKKEEPING.add(label.lower())


class BackupError(Exception):
    """The file is not a backup, or cannot go into this database."""


def all_models() -> list[type[models.Model]]:
    """Every model with a table of its own, many-to-many tables included, in a stable order."""
    seen: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        seen.setdefault(meta.db_table, model)
    return [seen[t] for t in sorted(seen)]


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _rows(model: type[models.Model], using: str) -> Iterator[list[Any]]:
    names = [f.attname for f in _fields(model)]
    qs = model._base_manager.using(using).order_by("pk").values_list(*names)
    for row in qs.iterator(chunk_size=5000):
        yield [_encode(v) for v in row]


def _line(row: list[Any]) -> bytes:
    return (
        json.dumps(row, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    ).encode()


def table_checksums(using: str = DEFAULT_DB_ALIAS) -> dict[str, dict[str, Any]]:
    """Per table: row count and SHA-256 of its rows in primary-key order (ids included)."""
    out = {}
    for model in all_models():
        digest, n = hashlib.sha256(), 0
        for row in _rows(model, using):
            digest.update(_line(row))
            n += 1
        out[model._meta.label_lower] = {"count": n, "sha256": digest.hexdigest()}
    return out


def _migrations(using: str) -> list[list[str]]:
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


def backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the whole database to ``path``; returns the manifest."""
    tables = {}
    tmp = path.with_name(path.name + ".part")
    with transaction.atomic(
        using=using
    ):  # one consistent snapshot (PostgreSQL: REPEATABLE READ below)
        conn = connections[using]
        if conn.vendor == "postgresql":
            with conn.cursor() as c:
                c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for model in all_models():
                label = model._meta.label_lower
                digest, n = hashlib.sha256(), 0
                with zf.open(f"tables/{label}.jsonl", "w", force_zip64=True) as fh:
                    for row in _rows(model, using):
                        line = _line(row)
                        digest.update(line)
                        fh.write(line)
                        n += 1
                tables[label] = {
                    "table": model._meta.db_table,
                    "columns": [f.attname for f in _fields(model)],
                    "count": n,
                    "sha256": digest.hexdigest(),
                }
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "vendor": conn.vendor,
                "migrations": _migrations(using),
                "tables": tables,
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    tmp.replace(path)
    return manifest


def read_manifest(zf: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError(f"{name}: not a Clientmap backup (no readable manifest.json)") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{name}: not a Clientmap backup of version {VERSION}")
    return manifest


def holds_data(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The tables that hold rows, other than those ``migrate`` fills and the bookkeeping."""
    ignored = REGENERATED | BOOKKEEPING
    return [
        m._meta.label_lower
        for m in all_models()
        if m._meta.label_lower not in ignored and m._base_manager.using(using).exists()
    ]


def restore(path: Path, *, replace: bool = False, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Load a backup into this (migrated) database, all or nothing; returns the manifest."""
    name = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{name}: not a Clientmap backup ({exc})") from exc
    with zf:
        manifest = read_manifest(zf, name)
        missing = {tuple(m) for m in manifest["migrations"]} - {
            tuple(m) for m in _migrations(using)
        }
        if missing:
            first = ", ".join(f"{a}.{n}" for a, n in sorted(missing)[:3])
            raise BackupError(
                f"{name}: this database lacks migrations the backup was made with ({first}…): "
                "run `clientmap migrate` with the same or a newer Clientmap first."
            )
        by_label = {m._meta.label_lower: m for m in all_models()}
        unknown = sorted(set(manifest["tables"]) - set(by_label))
        if unknown:
            raise BackupError(f"{name}: tables unknown to this Clientmap: {', '.join(unknown)}")
        conn = connections[using]
        with transaction.atomic(using=using):
            occupied = holds_data(using)
            if occupied and not replace:
                raise BackupError(
                    f"The database already holds data ({', '.join(occupied[:5])}"
                    f"{'…' if len(occupied) > 5 else ''}): restore into an empty database, "
                    "or pass --replace to replace everything in it."
                )
            tables = [m._meta.db_table for m in by_label.values()]
            conn.ops.execute_sql_flush(
                conn.ops.sql_flush(no_style(), tables, reset_sequences=False, allow_cascade=True)
            )
            for label, info in manifest["tables"].items():
                model = by_label[label]
                _load(model, info["columns"], _read_lines(zf, f"tables/{label}.jsonl"), using)
            with conn.cursor() as cursor:
                for sql in conn.ops.sequence_reset_sql(no_style(), list(by_label.values())):
                    cursor.execute(sql)
            got = table_checksums(using)
            for label, info in manifest["tables"].items():
                if got[label]["count"] != info["count"] or got[label]["sha256"] != info["sha256"]:
                    raise BackupError(
                        f"{name}: table {label} does not read back as it was written "
                        f"({got[label]['count']} rows of {info['count']}); nothing was restored."
                    )
    return manifest


def _read_lines(zf: zipfile.ZipFile, member: str) -> Iterator[list[Any]]:
    with zf.open(member) as fh:
        for raw in fh:
            yield json.loads(raw)


def _load(
    model: type[models.Model], columns: list[str], rows: Iterable[list[Any]], using: str
) -> None:
    # Times written by auto_now / auto_now_add are data here: keep them as they were saved.
    stamped = [f for f in _fields(model) if _is_volatile_field(f)]
    saved = [(f.auto_now, f.auto_now_add) for f in stamped]
    for f in stamped:
        f.auto_now = f.auto_now_add = False
    try:
        _insert(model, columns, rows, using)
    finally:
        for f, (now, add) in zip(stamped, saved, strict=True):
            f.auto_now, f.auto_now_add = now, add


def _insert(
    model: type[models.Model], columns: list[str], rows: Iterable[list[Any]], using: str
) -> None:
    fields = {f.attname: f for f in _fields(model)}
    known = [(i, fields[c]) for i, c in enumerate(columns) if c in fields]
    batch: list[models.Model] = []
    for row in rows:
        values = {}
        for i, field in known:
            value = row[i]
            if value is not None and not isinstance(field, models.JSONField):
                value = field.to_python(value)
            values[field.attname] = value
        batch.append(model(**values))
        if len(batch) >= 2000:
            model._base_manager.using(using).bulk_create(batch)
            batch = []
    if batch:
        model._base_manager.using(using).bulk_create(batch)


# --- content checksums (ids replaced by what they name) -----------------------------------------

VOLATILE = {
    # Bookkeeping of the jobs themselves, sessions: they differ between two runs by design.
    "core.job",
    "core.workerbeat",
    "django_tasks_database.dbtaskresult",
    "imports.importjob",
    "sessions.session",
    "admin.logentry",
}


def _natural_field(model: type[models.Model]) -> models.Field | None:
    for f in _fields(model):
        if f.unique and not f.primary_key and not f.is_relation:
            return f
    return None


def _is_volatile_field(f: models.Field) -> bool:
    return bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))


def content_checksums(using: str = DEFAULT_DB_ALIAS) -> dict[str, dict[str, Any]]:
    """Per table: row count and SHA-256 of its rows with surrogate ids replaced by natural keys
    and the time a row was written left out — equal for equal data, whatever the ids. Fields a
    model names in ``MEASURED_FIELDS`` (how long its making took, say) are left out too: they
    measure a run, they are not its result."""
    identity: dict[str, dict[Any, Any]] = {}

    def ident(model: type[models.Model]) -> dict[Any, Any]:
        label = model._meta.label_lower
        if label not in identity:
            natural = _natural_field(model)
            if natural is not None:
                qs = model._base_manager.using(using).values_list("pk", natural.attname)
                identity[label] = {pk: _encode(v) for pk, v in qs.iterator(chunk_size=5000)}
            else:
                identity[label] = {}
                identity[label] = dict(_content_rows(model, with_pk=True))
        return identity[label]

    def _content_rows(model, with_pk=False):
        measured = getattr(model, "MEASURED_FIELDS", ())
        fields = [
            f
            for f in _fields(model)
            if not f.primary_key and not _is_volatile_field(f) and f.name not in measured
        ]
        names = ["pk", *[f.attname for f in fields]]
        for row in model._base_manager.using(using).values_list(*names).iterator(chunk_size=5000):
            values = []
            for f, v in zip(fields, row[1:], strict=True):
                if f.is_relation and v is not None:
                    target = f.related_model
                    v = ["->", target._meta.label_lower, ident(target).get(v, v)]
                values.append(_encode(v))
            yield (row[0], values) if with_pk else values

    out = {}
    for model in all_models():
        label = model._meta.label_lower
        if label in VOLATILE:
            continue
        lines = sorted(_line(v) for v in _content_rows(model))
        digest = hashlib.sha256()
        for line in lines:
            digest.update(line)
        out[label] = {"count": len(lines), "sha256": digest.hexdigest()}
    return out

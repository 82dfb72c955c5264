"""touchpoints.csv in the workbook (import and export), and the derived touchpoints rebuilt
after every import that changed something.

Columns: key, person, team, service, request, kind, at, score, comment. ``key``, ``person``,
``kind`` and ``at`` are required; ``at`` is an ISO 8601 date or date and time; ``score`` is 1–5
and goes with kind ``survey`` only (which needs one). Recorded touchpoints are upserted by key
inside the import's transaction (a bad value or unknown key stops the whole import with its
file, line and column); importing the same file again changes nothing. The derived kinds
(opened, accepted, fulfilled, declined, notices sent) are rebuilt from the requests, so they are
not exported; a row of such a kind in the file is kept as a recorded touchpoint (e.g. the
history of another tool).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from django.utils import timezone

from clientmap.catalog.models import Service
from clientmap.directory.models import Person, Team
from clientmap.engagements.models import Request
from clientmap.experience import derive
from clientmap.experience.models import Touchpoint
from clientmap.imports.workbook import Report, Section, Sheet

FILENAME = "touchpoints.csv"
COLUMNS = ["key", "person", "team", "service", "request", "kind", "at", "score", "comment"]
REQUIRED = ["key", "person", "kind", "at"]
BATCH = 5000


def _moment(sheet: Sheet, line: int, value: str) -> tuple[date | None, datetime | None]:
    """(day, at) of an ISO date or date-time; at is None for a bare date."""
    try:
        if len(value) <= 10:
            return date.fromisoformat(value), None
        moment = datetime.fromisoformat(value)
    except ValueError:
        sheet.error(line, "at", value, "not an ISO 8601 date or date and time")
        return None, None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localdate(moment), moment


def _stage(sheet: Sheet, engine) -> None:
    rows = engine.__dict__.setdefault("touchpoints", [])
    seen: dict[str, int] = {}
    kinds = [str(k) for k in Touchpoint.RECORDABLE]
    for line, r in sheet.rows():
        kind = sheet.choice(line, "kind", r["kind"], kinds)
        day, at = _moment(sheet, line, r["at"])
        score = None
        if r["score"]:
            try:
                score = int(r["score"])
            except ValueError:
                score = 0
            if not 1 <= score <= 5:
                sheet.error(line, "score", r["score"], "must be a whole number from 1 to 5")
                score = None
            elif kind and kind != Touchpoint.Kind.SURVEY:
                sheet.error(line, "score", r["score"], "a score goes with kind survey only")
        elif kind == Touchpoint.Kind.SURVEY:
            sheet.error(line, "score", None, "a survey answer needs a score from 1 to 5")
        if r["key"] in seen:
            sheet.error(line, "key", r["key"], f"the same key is already on line {seen[r['key']]}")
        seen[r["key"]] = line
        rows.append((sheet.name, line, r, kind, day, at, score))


def _keys(model, values: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    values = [v for v in values if v]
    for i in range(0, len(values), BATCH):
        out.update(model.objects.filter(key__in=values[i : i + BATCH]).values_list("key", "id"))
    return out


FIELDS = (
    "person_id",
    "team_id",
    "service_id",
    "request_id",
    "kind",
    "day",
    "at",
    "score",
    "comment",
)


def _write(engine, report: Report) -> None:
    rows = engine.__dict__.get("touchpoints") or []
    if not rows:
        return
    refs = {
        "person": (_keys(Person, {r["person"] for _, _, r, *_ in rows}), "person"),
        "team": (_keys(Team, {r["team"] for _, _, r, *_ in rows}), "team"),
        "service": (_keys(Service, {r["service"] for _, _, r, *_ in rows}), "service"),
        "request": (_keys(Request, {r["request"] for _, _, r, *_ in rows}), "request"),
    }
    existing: dict[str, Touchpoint] = {}
    keys = [r["key"] for _, _, r, *_ in rows]
    for i in range(0, len(keys), BATCH):
        for tp in Touchpoint.objects.filter(key__in=keys[i : i + BATCH]):
            existing[tp.key] = tp
    new: list[Touchpoint] = []
    changed: list[Touchpoint] = []
    for file, line, r, kind, day, at, score in rows:
        values = {}
        bad = False
        for column, (table, what) in refs.items():
            value = r[column]
            if value and value not in table:
                engine.error(file, line, column, value, f"unknown {what} key")
                bad = True
            values[f"{column}_id"] = table.get(value) if value else None
        if bad or engine.errors:
            continue
        values.update(kind=kind, day=day, at=at, score=score, comment=r["comment"])
        tp = existing.get(r["key"])
        if tp is None:
            new.append(Touchpoint(key=r["key"], derived=False, **values))
        elif tp.derived is False and any(getattr(tp, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(tp, k, v)
            changed.append(tp)
    engine.raise_errors()
    Touchpoint.objects.bulk_create(new, batch_size=BATCH)
    Touchpoint.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
    report.add("touchpoints", len(new), len(changed), len(rows) - len(new) - len(changed))


def _export(folder: Path) -> int:
    n = 0
    qs = (
        Touchpoint.objects.filter(derived=False)
        .order_by("key")
        .values_list(
            "key",
            "person__key",
            "team__key",
            "service__key",
            "request__key",
            "kind",
            "day",
            "at",
            "score",
            "comment",
        )
    )
    with open(folder / FILENAME, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for key, person, team, service, request, kind, day, at, score, comment in qs.iterator(
            chunk_size=BATCH
        ):
            when = timezone.localtime(at).isoformat() if at else day.isoformat()
            w.writerow(
                [
                    key,
                    person,
                    team or "",
                    service or "",
                    request or "",
                    kind,
                    when,
                    score or "",
                    comment,
                ]
            )
            n += 1
    return n


SECTION = Section(FILENAME, COLUMNS, REQUIRED, _stage, _write, _export, order=40)


def after_import(report: Report) -> None:
    """Rebuild the derived touchpoints once the import's requests are written."""
    derive.derive()

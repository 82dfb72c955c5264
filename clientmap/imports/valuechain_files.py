"""alerts.csv and notices.csv in the workbook: the alert feed kept for the overview, and the
impact notices already sent (import and export, lossless).

alerts.csv — ``key, component, severity, time, text``: upsert by key. The component is resolved
to a service by key, then by name (case-insensitive), as the alert ranking does; an unknown
component is kept with no service (shown as unknown), never dropped.

notices.csv — ``person, service, alert, email, language, subject, body, sent_at``: one message
sent to one person; a row with the same person, service and time is the same notice.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from clientmap.catalog.models import Service
from clientmap.directory.models import Person
from clientmap.imports.workbook import Report, Section, Sheet
from clientmap.valuechain.models import Alert, ImpactNotice

ALERT_COLUMNS = ["key", "component", "severity", "time", "text"]
NOTICE_COLUMNS = ["person", "service", "alert", "email", "language", "subject", "body", "sent_at"]


def _moment(sheet: Sheet, line: int, column: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        sheet.error(line, column, value, "not a date and time (YYYY-MM-DDTHH:MM, ISO 8601)")
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _stash(engine, name: str) -> list:
    if not hasattr(engine, "valuechain_files"):
        engine.valuechain_files = {"alerts": [], "notices": []}
    return engine.valuechain_files[name]


def _stage_alerts(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "alerts")
    for line, r in sheet.rows():
        if not r["component"]:
            sheet.error(line, "component", "", "an alert names its service or component")
        rows.append((r, _moment(sheet, line, "time", r["time"])))


def _stage_notices(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "notices")
    for line, r in sheet.rows():
        when = _moment(sheet, line, "sent_at", r["sent_at"])
        if when is None and not r["sent_at"]:
            sheet.error(line, "sent_at", "", "required: when the notice was sent")
        if r["email"] and "@" not in r["email"]:
            sheet.error(line, "email", r["email"], "not an e-mail address")
        rows.append((sheet.name, line, r, when))


def _resolver():
    by_key, by_name = {}, {}
    for pk, key, name in Service.objects.values_list("id", "key", "name"):
        by_key[key.lower()] = pk
        by_name.setdefault(name.strip().lower(), pk)
    return lambda c: by_key.get(c.strip().lower(), by_name.get(c.strip().lower()))


def _write_alerts(engine, report: Report) -> None:
    rows = _stash(engine, "alerts")
    if not rows:
        return
    resolve = _resolver()
    existing = {a.key: a for a in Alert.objects.filter(key__in=[r["key"] for r, _ in rows])}
    new, changed = [], []
    fields = ["component", "service_id", "severity", "time", "text"]
    for r, when in rows:
        values = {
            "component": r["component"],
            "service_id": resolve(r["component"]),
            "severity": r["severity"],
            "time": when,
            "text": r["text"],
        }
        alert = existing.get(r["key"])
        if alert is None:
            new.append(Alert(key=r["key"], **values))
        elif any(getattr(alert, f) != values[f] for f in fields):
            for f in fields:
                setattr(alert, f, values[f])
            changed.append(alert)
    Alert.objects.bulk_create(new, batch_size=1000)
    Alert.objects.bulk_update(changed, fields, batch_size=1000)
    report.add("alerts", len(new), len(changed), len(rows) - len(new) - len(changed))


def _write_notices(engine, report: Report) -> None:
    rows = _stash(engine, "notices")
    if not rows:
        return
    people = dict(
        Person.objects.filter(key__in={r["person"] for _, _, r, _ in rows}).values_list("key", "id")
    )
    services = dict(
        Service.objects.filter(key__in={r["service"] for _, _, r, _ in rows}).values_list(
            "key", "id"
        )
    )
    for file, line, r, _when in rows:
        if r["person"] not in people:
            engine.error(file, line, "person", r["person"], "unknown person key")
        if r["service"] not in services:
            engine.error(file, line, "service", r["service"], "unknown service key")
    engine.raise_errors()
    seen = set(
        ImpactNotice.objects.filter(person_id__in=people.values()).values_list(
            "person_id", "service_key", "sent_at"
        )
    )
    new = []
    for _file, _line, r, when in rows:
        ident = (people[r["person"]], r["service"], when)
        if ident in seen:
            continue
        seen.add(ident)
        new.append(
            ImpactNotice(
                person_id=people[r["person"]],
                service_id=services[r["service"]],
                service_key=r["service"],
                alert_key=r["alert"],
                email=r["email"],
                language=r["language"],
                subject=r["subject"],
                body=r["body"],
                sent_at=when,
            )
        )
    ImpactNotice.objects.bulk_create(new, batch_size=1000)
    report.add("impact notices", len(new), 0, len(rows) - len(new))


def _csv(folder: Path, name: str, header: list[str], rows) -> int:
    n = 0
    with open(folder / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
            n += 1
    return n


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _export_alerts(folder: Path) -> int:
    rows = (
        (k, c, s, _iso(t), x)
        for k, c, s, t, x in Alert.objects.order_by("key").values_list(
            "key", "component", "severity", "time", "text"
        )
    )
    return _csv(folder, "alerts.csv", ALERT_COLUMNS, rows)


def _export_notices(folder: Path) -> int:
    rows = (
        (p, s, a, e, lang, subj, body, _iso(t))
        for p, s, a, e, lang, subj, body, t in ImpactNotice.objects.order_by(
            "sent_at", "person__key"
        ).values_list(
            "person__key",
            "service_key",
            "alert_key",
            "email",
            "language",
            "subject",
            "body",
            "sent_at",
        )
    )
    return _csv(folder, "notices.csv", NOTICE_COLUMNS, rows)


SECTIONS = [
    Section(
        "alerts.csv",
        ALERT_COLUMNS,
        ["key", "component"],
        _stage_alerts,
        _write_alerts,
        _export_alerts,
        order=50,
        notes="an alert feed kept for the overview; `component` is a service key or name (an unknown one is kept and shown as unknown); `time` a date and time",
    ),
    Section(
        "notices.csv",
        NOTICE_COLUMNS,
        ["person", "service", "email", "subject", "sent_at"],
        _stage_notices,
        _write_notices,
        _export_notices,
        order=60,
        notes="impact notices already sent ([value-chain.md](value-chain.md)); the same person, service and time is the same notice",
    ),
]

"""wishes.csv, votes.csv and comments.csv in the workbook (import and export).

Written after the core files, inside the same transaction: a bad value or an unknown key stops
the whole import like any other file. Importing the same files again changes nothing.
"""

from __future__ import annotations

import csv
from datetime import datetime, time
from pathlib import Path

from django.utils import timezone

from clientmap.catalog.models import Service
from clientmap.core.csvfiles import escape_exact
from clientmap.directory.models import Person, Team
from clientmap.imports.workbook import Report, Section, Sheet
from clientmap.voice.models import Comment, Vote, Wish

WISH_COLUMNS = [
    "key",
    "author",
    "title",
    "text",
    "team",
    "service",
    "status",
    "created",
    "visibility",
    "merged_into",
]
VOTE_COLUMNS = ["wish", "person", "created"]
COMMENT_COLUMNS = ["wish", "person", "created", "text"]


def _when(sheet: Sheet, line: int, column: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        day = sheet.date(line, column, value)
        if day is None:
            return None
        moment = datetime.combine(day, time())
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _stash(engine, name: str) -> list:
    if not hasattr(engine, "voice"):
        engine.voice = {"wishes": [], "votes": [], "comments": []}
    return engine.voice[name]


def _stage_wishes(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "wishes")
    for line, r in sheet.rows():
        status = (
            sheet.choice(line, "status", r["status"], Wish.Status.values) if r["status"] else "new"
        )
        vis = (
            sheet.choice(line, "visibility", r["visibility"], Wish.Visibility.values)
            if r["visibility"]
            else "public"
        )
        rows.append((sheet.name, line, r, status, vis, _when(sheet, line, "created", r["created"])))


def _stage_votes(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "votes")
    for line, r in sheet.rows():
        rows.append((sheet.name, line, r, _when(sheet, line, "created", r["created"])))


def _stage_comments(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "comments")
    for line, r in sheet.rows():
        rows.append((sheet.name, line, r, _when(sheet, line, "created", r["created"])))


def _keys(model, values: set[str]) -> dict[str, int]:
    return dict(model.objects.filter(key__in=values).values_list("key", "id"))


def _write_wishes(engine, report: Report) -> None:
    rows = _stash(engine, "wishes")
    if not rows:
        return
    people = _keys(Person, {r["author"] for _, _, r, *_ in rows})
    teams = _keys(Team, {r["team"] for _, _, r, *_ in rows if r["team"]})
    services = _keys(Service, {r["service"] for _, _, r, *_ in rows if r["service"]})
    existing = {w.key: w for w in Wish.objects.filter(key__in=[r["key"] for _, _, r, *_ in rows])}
    created = updated = 0
    for file, line, r, status, vis, when in rows:
        refs, bad = {}, False
        for column, table, value, what in (
            ("author", people, r["author"], "person"),
            ("team", teams, r["team"], "team"),
            ("service", services, r["service"], "service"),
        ):
            if value and value not in table:
                engine.error(file, line, column, value, f"unknown {what} key")
                bad = True
            refs[column] = table.get(value) if value else None
        values = {
            "author_id": refs["author"],
            "title": r["title"],
            "text": r["text"],
            "team_id": refs["team"],
            "service_id": refs["service"],
            "status": status,
            "visibility": vis,
        }
        if bad or engine.errors:
            continue
        wish = existing.get(r["key"])
        if wish is None:
            wish = Wish.objects.create(key=r["key"], **values)
            if when:
                Wish.objects.filter(pk=wish.pk).update(created=when)
            created += 1
        elif any(getattr(wish, k) != v for k, v in values.items()):
            Wish.objects.filter(pk=wish.pk).update(**values)
            updated += 1
    engine.raise_errors()
    # merged_into: a wish of this file or one already stored (a duplicate folded into it).
    merges = {r["key"]: r["merged_into"] for _, _, r, *_ in rows if r.get("merged_into")}
    targets = _keys(Wish, set(merges.values()))
    for file, line, r, *_ in rows:
        into = r.get("merged_into")
        if into and (into not in targets or into == r["key"]):
            engine.error(file, line, "merged_into", into, "unknown wish key (or the wish itself)")
    engine.raise_errors()
    current = dict(
        Wish.objects.filter(key__in=[r["key"] for _, _, r, *_ in rows]).values_list(
            "key", "merged_into_id"
        )
    )
    touched = set()
    for _file, _line, r, *_ in rows:
        want = targets.get(r.get("merged_into") or "", None)
        if current.get(r["key"]) != want:
            Wish.objects.filter(key=r["key"]).update(merged_into_id=want)
            touched.add(r["key"])
    updated += len(touched & set(existing))  # a new wish merged on arrival counts as created
    report.add("wishes", created, updated, len(rows) - created - updated)


def _write_votes(engine, report: Report) -> None:
    rows = _stash(engine, "votes")
    if not rows:
        return
    wishes = _keys(Wish, {r["wish"] for _, _, r, _ in rows})
    people = _keys(Person, {r["person"] for _, _, r, _ in rows})
    new = []
    for file, line, r, when in rows:
        bad = False
        if r["wish"] not in wishes:
            engine.error(file, line, "wish", r["wish"], "unknown wish key")
            bad = True
        if r["person"] not in people:
            engine.error(file, line, "person", r["person"], "unknown person key")
            bad = True
        if not bad and not engine.errors:
            vote = Vote(wish_id=wishes[r["wish"]], person_id=people[r["person"]])
            vote.created = when
            new.append(vote)
    engine.raise_errors()
    had = set(
        Vote.objects.filter(wish_id__in=set(wishes.values())).values_list("wish_id", "person_id")
    )
    # ``created`` is auto_now_add (bulk_create overwrites it): set the file's times afterwards,
    # on the votes this import added.
    when = {
        (v.wish_id, v.person_id): v.created
        for v in new
        if v.created and (v.wish_id, v.person_id) not in had
    }
    before = Vote.objects.count()
    Vote.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    created = Vote.objects.count() - before
    if when:
        fix = []
        for vote in Vote.objects.filter(wish_id__in={w for w, _ in when}).only(
            "id", "wish_id", "person_id", "created"
        ):
            t = when.get((vote.wish_id, vote.person_id))
            if t and vote.created != t:
                vote.created = t
                fix.append(vote)
        Vote.objects.bulk_update(fix, ["created"], batch_size=1000)
    from clientmap.voice.services import _recount

    _recount(list(set(wishes.values())))
    report.add("votes", created, 0, len(rows) - created)


def _write_comments(engine, report: Report) -> None:
    rows = _stash(engine, "comments")
    if not rows:
        return
    wishes = _keys(Wish, {r["wish"] for _, _, r, _ in rows})
    people = _keys(Person, {r["person"] for _, _, r, _ in rows})
    have = set(
        Comment.objects.filter(wish_id__in=wishes.values()).values_list(
            "wish_id", "person_id", "text"
        )
    )
    created = 0
    for file, line, r, when in rows:
        if r["wish"] not in wishes:
            engine.error(file, line, "wish", r["wish"], "unknown wish key")
            continue
        if r["person"] not in people:
            engine.error(file, line, "person", r["person"], "unknown person key")
            continue
        natural = (wishes[r["wish"]], people[r["person"]], r["text"])
        if natural in have:
            continue
        c = Comment.objects.create(wish_id=natural[0], person_id=natural[1], text=r["text"])
        if when:
            Comment.objects.filter(pk=c.pk).update(created=when)
        have.add(natural)
        created += 1
    engine.raise_errors()
    report.add("comments", created, 0, len(rows) - created)


def _export(name: str, header: list[str], rows) -> int:
    def write(folder: Path) -> int:
        n = 0
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows():
                w.writerow([escape_exact("" if v is None else v) for v in row])
                n += 1
        return n

    return write


def _wish_rows():
    for w in Wish.objects.select_related("author", "team", "service", "merged_into").order_by(
        "key"
    ):
        yield (
            w.key,
            w.author.key,
            w.title,
            w.text,
            w.team.key if w.team_id else "",
            w.service.key if w.service_id else "",
            w.status,
            w.created.isoformat(),
            w.visibility,
            w.merged_into.key if w.merged_into_id else "",
        )


def _vote_rows():
    for wish, person, created in Vote.objects.order_by("wish__key", "person__key").values_list(
        "wish__key", "person__key", "created"
    ):
        yield wish, person, created.isoformat()


def _comment_rows():
    for wish, person, created, text in Comment.objects.order_by("wish__key", "created").values_list(
        "wish__key", "person__key", "created", "text"
    ):
        yield wish, person, created.isoformat(), text


SECTIONS = [
    Section(
        "wishes.csv",
        WISH_COLUMNS,
        ["key", "author", "title"],
        _stage_wishes,
        _write_wishes,
        _export("wishes.csv", WISH_COLUMNS, _wish_rows),
        order=10,
        notes="the wish portal ([voice.md](voice.md)); `merged_into` is the key of the wish a duplicate was folded into",
    ),
    Section(
        "votes.csv",
        VOTE_COLUMNS,
        ["wish", "person"],
        _stage_votes,
        _write_votes,
        _export("votes.csv", VOTE_COLUMNS, _vote_rows),
        order=20,
        notes="one vote per person and wish",
    ),
    Section(
        "comments.csv",
        COMMENT_COLUMNS,
        ["wish", "person", "text"],
        _stage_comments,
        _write_comments,
        _export("comments.csv", COMMENT_COLUMNS, _comment_rows),
        order=30,
        notes="`wish` a wish key, `person` a person key",
    ),
]

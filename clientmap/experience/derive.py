"""Derived touchpoints: the stored ones rebuilt set-based, the others read from the requests.

Only what a reader cannot get from one request row by an index is stored: a request's
**promise** (``fulfilled`` with its delay, ``due`` for an open request's target date — the rows
the satisfaction figures group by team, service, organization and customer kind over their
partial indexes) and one touchpoint per **impact notice** sent (V2's "tell the affected
customers"). A request's ``opened``, ``accepted`` and ``declined`` touchpoints are a pure
function of its row, shown only on one person's journey: they are read from the requests there
(``events``, by the requester's index), never stored. Requests carry no first-answer date today:
a first answer is known when it is recorded (``touchpoints.csv``, the staff form or the API,
kind ``first_answer``), and it then sits on the same timeline.

A full rebuild computes the new set into a temporary table and writes only the difference
(touchpoints that vanished are deleted, new ones inserted), so rebuilding after a small change
writes a handful of rows; the first build inserts straight, one ``INSERT … SELECT`` per kind,
with the secondary indexes dropped and rebuilt once (``core.bulk.loading``). A scoped rebuild
(a few requests or notices, in the saving transaction) deletes and inserts just their rows.
Recorded touchpoints are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from clientmap.core import bulk
from clientmap.engagements.models import Request
from clientmap.experience import rules, store
from clientmap.experience.models import DeriveState, Touchpoint

TABLE = Touchpoint._meta.db_table
COLUMNS = (
    "derived",
    "person_id",
    "team_id",
    "service_id",
    "request_id",
    "notice_id",
    "kind",
    "day",
    "at",
    "score",
    "delay",
    "comment",
)
REQUEST_PARTS = 2  # the request part of ``_select`` repeats its condition this many times
_SAME = ("person_id", "team_id", "service_id", "kind", "day", "at", "delay", "comment")


def _true() -> str:
    return "TRUE" if connection.vendor == "postgresql" else "1"


def _notice_day() -> str:
    if connection.vendor == "postgresql":
        return "CAST(n.sent_at AS date)"
    return "date(n.sent_at)"


def _select(request_where: str = "1 = 1", notice_where: str = "1 = 1") -> str:
    """The derived rows, as one SELECT with the COLUMNS above."""
    return " UNION ALL ".join(_branches(request_where, notice_where))


def _branches(request_where: str = "1 = 1", notice_where: str = "1 = 1") -> list[str]:
    """The derived rows, as one SELECT per kind (REQUEST_PARTS over the requests, then the
    notices), each with the COLUMNS above."""
    t = _true()
    k = Touchpoint.Kind
    null_ts = "CAST(NULL AS timestamp)" if connection.vendor == "postgresql" else "NULL"
    base = (
        f"SELECT {t} AS derived, r.requester_id AS person_id, r.team_id AS team_id, "
        "r.service_id AS service_id, r.id AS request_id, CAST(NULL AS bigint) AS notice_id, "
        "'{kind}' AS kind, {day} AS day, "
        f"{null_ts} AS at, CAST(NULL AS integer) AS score, {{delay}} AS delay, '' AS comment "
        "FROM engagements_request r WHERE {cond} AND " + request_where
    )
    no = "CAST(NULL AS integer)"
    late = rules.promise_late_sql()
    parts = [
        base.format(
            kind=k.FULFILLED,
            day="r.closed",
            cond=rules.promise_kept_or_late_sql(),
            delay=late,
        ),
        base.format(
            kind=k.DUE,
            day="r.target",
            cond=rules.promise_open_sql(),
            delay=no,
        ),
        f"SELECT {t}, n.person_id, sv.team_id, n.service_id, CAST(NULL AS bigint), n.id, "
        f"'{k.NOTICE}', {_notice_day()}, n.sent_at, CAST(NULL AS integer), {no}, n.subject "
        "FROM valuechain_impactnotice n LEFT JOIN catalog_service sv ON sv.id = n.service_id "
        "WHERE " + notice_where,
    ]
    return parts


# --- the request touchpoints read from the requests, not stored ---------------------------------

# A request's opened, accepted and declined touchpoints, in the order of its life (a journey
# shows the later one first when two fall on one day).
EVENT_KINDS = (Touchpoint.Kind.OPENED, Touchpoint.Kind.ACCEPTED, Touchpoint.Kind.DECLINED)


def _event_select(where: str = "1 = 1") -> str:
    """(request_id, person_id, team_id, service_id, kind, day, step) of the requests matching
    ``where`` (SQL over ``r``): one row per EVENT_KINDS touchpoint, ``step`` its place in
    EVENT_KINDS. This is what the rebuild stored for these kinds before they were read here."""
    k = Touchpoint.Kind
    cols = "r.id AS request_id, r.requester_id AS person_id, r.team_id AS team_id, r.service_id"
    return " UNION ALL ".join(
        [
            f"SELECT {cols}, '{k.OPENED}' AS kind, r.opened AS day, 0 AS step "
            f"FROM engagements_request r WHERE {where}",
            f"SELECT {cols}, '{k.ACCEPTED}', r.accepted, 1 FROM engagements_request r "
            f"WHERE r.accepted IS NOT NULL AND {where}",
            f"SELECT {cols}, '{k.DECLINED}', COALESCE(r.closed, r.accepted, r.opened), 2 "
            f"FROM engagements_request r WHERE r.status = '{Request.Status.DECLINED}' AND {where}",
        ]
    )


def _requester_where(person_id: int, team_id: int | None, params: list) -> str:
    params.append(person_id)
    if team_id is None:
        return "r.requester_id = %s"
    params.append(team_id)
    return "r.requester_id = %s AND r.team_id = %s"


def count_events(person_id: int, team_id: int | None = None) -> int:
    """How many opened, accepted and declined touchpoints ``person`` has (with ``team``): one
    aggregate over their requests (the requester's index)."""
    params: list = []
    where = _requester_where(person_id, team_id, params)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) + COUNT(r.accepted) + COALESCE(SUM(CASE WHEN r.status = "
            f"'{Request.Status.DECLINED}' THEN 1 ELSE 0 END), 0) "
            f"FROM engagements_request r WHERE {where}",
            params,
        )
        return int(cursor.fetchone()[0] or 0)


def events(person, team=None, limit: int | None = None) -> list[Touchpoint]:
    """The opened, accepted and declined touchpoints of ``person``'s requests (with ``team``),
    newest first (a day's later step first, then the higher request id), the newest ``limit``:
    unsaved ``Touchpoint`` objects (``derived``, no id) with their request, team and service
    loaded — two queries."""
    from datetime import date

    params: list = []
    where = _requester_where(person.pk, team.pk if team is not None else None, params)
    params *= 3
    sql = f"SELECT request_id, kind, day FROM ({_event_select(where)}) e "
    sql += "ORDER BY day DESC, step DESC, request_id DESC"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(int(limit))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    requests = Request.objects.select_related("team", "service").in_bulk({r for r, _k, _d in found})
    out = []
    for rid, kind, day in found:
        r = requests[rid]
        tp = Touchpoint(
            derived=True,
            person=person,
            team=r.team,
            service=r.service,
            request=r,
            kind=kind,
            day=date.fromisoformat(day) if isinstance(day, str) else day,
        )
        out.append(tp)
    return out


def _ids(column: str, ids: Iterable[int], params: list) -> str:
    ids = sorted({int(i) for i in ids})
    params.extend(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


def derive(
    *, request_ids: Iterable[int] | None = None, notice_ids: Iterable[int] | None = None
) -> int:
    """Rebuild the derived touchpoints: all of them, or those of some requests or notices.

    Returns the number of derived touchpoints afterwards (all) or written (scoped)."""
    started = time.perf_counter()
    cols = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if request_ids is not None or notice_ids is not None:
            rq_params: list = []
            nt_params: list = []
            rq = list(request_ids or [])
            nt = list(notice_ids or [])
            rw = _ids("r.id", rq, rq_params) if rq else "1 = 0"
            nw = _ids("n.id", nt, nt_params) if nt else "1 = 0"
            params = rq_params * REQUEST_PARTS + nt_params
            delete_params: list = []
            conds = []
            if rq:
                conds.append(_ids("request_id", rq, delete_params))
            if nt:
                conds.append(_ids("notice_id", nt, delete_params))
            if not conds:
                return 0
            # The satisfaction groups of these requests' promises, before and after (notices
            # are no figure). The DELETE and the INSERT write the same set of requests.
            touched: list = []
            mine = f"t.derived = {_true()} AND {_ids('t.request_id', rq, touched)}" if rq else ""
            if mine:
                store.touch_where(mine, touched)
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE derived = {_true()} AND ({' OR '.join(conds)})",
                delete_params,
            )
            cursor.execute(f"INSERT INTO {TABLE} ({cols}) {_select(rw, nw)}", params)
            written = cursor.rowcount
            if mine:
                store.touch_where(mine, touched)
            return written
        cursor.execute(f"SELECT 1 FROM {TABLE} WHERE derived = {_true()} LIMIT 1")
        if cursor.fetchone() is None:
            total = _from_empty(cursor)
        else:
            _difference(cursor)
            cursor.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE derived = {_true()}")
            total = cursor.fetchone()[0]
        store.mark_stale()
    DeriveState.objects.all().delete()
    DeriveState.objects.create(
        computed_at=timezone.now(), seconds=time.perf_counter() - started, touchpoints=total
    )
    return total


def _from_empty(cursor) -> int:
    """The first build: one INSERT … SELECT per kind (no compound SELECT to stage), with the
    table's secondary indexes (and on PostgreSQL its foreign keys) dropped and built once
    after, then fresh planner statistics. Returns the rows written."""
    cols = ", ".join(COLUMNS)
    # at most one promise per request (fulfilled and due exclude each other), one per notice
    cursor.execute(
        "SELECT (SELECT COUNT(*) FROM engagements_request) "
        "+ (SELECT COUNT(*) FROM valuechain_impactnotice)"
    )
    incoming = cursor.fetchone()[0]
    # The rows already there are the recorded ones only; the indexes are dropped however many
    # (``existing`` 0): at 1 000 000 requests with 300 000 recorded rows, keeping them (and
    # PostgreSQL's foreign-key triggers) for the 800 000 promises took 18 s of CPU on SQLite
    # against 11 s dropped and rebuilt, and 40 s of the PostgreSQL server's CPU against 13 s.
    written = 0
    with bulk.loading(TABLE, incoming, 0):
        for branch in _branches():
            cursor.execute(f"INSERT INTO {TABLE} ({cols}) {branch}")
            written += max(cursor.rowcount, 0)
    if connection.vendor == "postgresql" and incoming < bulk.THRESHOLD:
        # The planner's statistics of a table that just grew are wrong until then (above the
        # threshold ``bulk.loading`` analyzed it; SQLite's indexes were built anew, and with
        # them their statistics).
        cursor.execute(f"ANALYZE {TABLE}")
    return written


def _difference(cursor) -> None:
    cols = ", ".join(COLUMNS)
    t = _true()
    cursor.execute("DROP TABLE IF EXISTS cm_new_touchpoint")
    cursor.execute(f"CREATE TEMPORARY TABLE cm_new_touchpoint AS {_select()}")
    cursor.execute("CREATE INDEX cm_new_touchpoint_r ON cm_new_touchpoint (request_id, kind)")
    cursor.execute("CREATE INDEX cm_new_touchpoint_n ON cm_new_touchpoint (notice_id)")
    same = " AND ".join(f"NOT (n.{c} IS DISTINCT FROM {TABLE}.{c})" for c in _SAME)
    same_x = " AND ".join(f"NOT (n.{c} IS DISTINCT FROM x.{c})" for c in _SAME)
    for ident, present in (
        ("n.request_id = {t}.request_id AND n.kind = {t}.kind", "request_id IS NOT NULL"),
        ("n.notice_id = {t}.notice_id", "notice_id IS NOT NULL"),
    ):
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE derived = {t} AND {present} AND NOT EXISTS ("
            f"SELECT 1 FROM cm_new_touchpoint n WHERE {ident.format(t=TABLE)} AND {same})"
        )
        cursor.execute(
            f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM cm_new_touchpoint n "
            f"WHERE n.{present} AND NOT EXISTS (SELECT 1 FROM {TABLE} x WHERE x.derived = {t} "
            f"AND {ident.format(t='x')} AND {same_x})"
        )
    # derived rows whose request or notice is gone
    cursor.execute(
        f"DELETE FROM {TABLE} WHERE derived = {t} AND request_id IS NULL AND notice_id IS NULL"
    )
    cursor.execute("DROP TABLE cm_new_touchpoint")


def state() -> DeriveState | None:
    return DeriveState.objects.first()


def catch_up_notices() -> int:
    """Derive the impact notices sent since the last rebuild (notices are bulk-created, with no
    save signal, and never edited): one INSERT … SELECT of the notices with a higher id."""
    cols = ", ".join(COLUMNS)
    t = _true()
    where = (
        f"n.id > (SELECT COALESCE(MAX(x.notice_id), 0) FROM {TABLE} x "
        f"WHERE x.notice_id IS NOT NULL AND x.derived = {t})"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} ({cols}) {_select('1 = 0', where)}")
        return cursor.rowcount

"""Derived touchpoints: rebuilt set-based from the requests and the impact notices.

One ``INSERT … SELECT`` writes, for every request, a touchpoint when it was opened, accepted
(when the accepted date is known), fulfilled (when fulfilled with a closing date) or declined
(on its closing date, else its latest known date); and one touchpoint per impact notice sent
(V2's "tell the affected customers"). Requests carry no first-answer date today: a first answer
is known when it is recorded (``touchpoints.csv``, the staff form or the API, kind
``first_answer``), and it then sits on the same timeline.

A full rebuild computes the new set into a temporary table and writes only the difference
(touchpoints that vanished are deleted, new ones inserted), so rebuilding after a small change
writes a handful of rows; the first build inserts straight, with the secondary indexes dropped
and rebuilt once (``core.bulk.loading``). A scoped rebuild (a few requests or notices, after a
save) deletes and inserts just their rows. Recorded touchpoints are never touched.
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
REQUEST_PARTS = 5  # the request part of ``_select`` repeats its condition this many times
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
    s = Request.Status
    null_ts = "CAST(NULL AS timestamp)" if connection.vendor == "postgresql" else "NULL"
    base = (
        f"SELECT {t} AS derived, r.requester_id AS person_id, r.team_id AS team_id, "
        "r.service_id AS service_id, r.id AS request_id, CAST(NULL AS bigint) AS notice_id, "
        "'{kind}' AS kind, {day} AS day, "
        f"{null_ts} AS at, CAST(NULL AS integer) AS score, {{delay}} AS delay, '' AS comment "
        "FROM engagements_request r WHERE {cond} AND " + request_where
    )
    no = "CAST(NULL AS integer)"
    late = (
        "CASE WHEN r.target IS NULL THEN NULL WHEN r.closed > r.target "
        f"THEN {rules.days_between('r.closed', 'r.target')} ELSE 0 END"
    )
    parts = [
        base.format(kind=k.OPENED, day="r.opened", cond="1 = 1", delay=no),
        base.format(kind=k.ACCEPTED, day="r.accepted", cond="r.accepted IS NOT NULL", delay=no),
        base.format(
            kind=k.FULFILLED,
            day="r.closed",
            cond=f"r.status = '{s.FULFILLED}' AND r.closed IS NOT NULL",
            delay=late,
        ),
        base.format(
            kind=k.DECLINED,
            day="COALESCE(r.closed, r.accepted, r.opened)",
            cond=f"r.status = '{s.DECLINED}'",
            delay=no,
        ),
        base.format(
            kind=k.DUE,
            day="r.target",
            cond=f"r.target IS NOT NULL AND r.status IN ({rules.q(rules.OPEN)})",
            delay=no,
        ),
        f"SELECT {t}, n.person_id, sv.team_id, n.service_id, CAST(NULL AS bigint), n.id, "
        f"'{k.NOTICE}', {_notice_day()}, n.sent_at, CAST(NULL AS integer), {no}, n.subject "
        "FROM valuechain_impactnotice n LEFT JOIN catalog_service sv ON sv.id = n.service_id "
        "WHERE " + notice_where,
    ]
    return parts


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
    cursor.execute("SELECT COUNT(*) FROM engagements_request")
    incoming = cursor.fetchone()[0] * 3
    cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
    written = 0
    with bulk.loading(TABLE, incoming, cursor.fetchone()[0]):
        for branch in _branches():
            cursor.execute(f"INSERT INTO {TABLE} ({cols}) {branch}")
            written += max(cursor.rowcount, 0)
    if connection.vendor == "postgresql":
        # The planner's statistics of a table that just grew tenfold are wrong until then
        # (SQLite's indexes were dropped and built anew, and with them their statistics).
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

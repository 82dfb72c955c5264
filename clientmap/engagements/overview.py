"""The overview's "how well do we serve them" (the experience area adds satisfaction beside it),
and the request figures of "what do they ask of us" (the voice area's block)."""

from __future__ import annotations

from django.db import connection

from clientmap.engagements import selectors
from clientmap.engagements.models import TeamRequestFigures
from clientmap.engagements.selectors import RECENT_DAYS

# The organization's totals (one row) left-joined with the asking teams, in the order shown:
# the totals come back even when no team asks (one row of nulls for the team).
_ASKS = """
SELECT t.key, t.name, f.open, f.recent, tot.total, tot.open, tot.recent, tot.teams
FROM (SELECT COALESCE(SUM(total), 0) AS total, COALESCE(SUM(open), 0) AS open,
             COALESCE(SUM(recent), 0) AS recent,
             COALESCE(SUM(CASE WHEN open > 0 OR recent > 0 THEN 1 ELSE 0 END), 0) AS teams
      FROM {figures}) tot
LEFT JOIN ({figures} f INNER JOIN {team} t ON t.id = f.team_id)
       ON f.open > 0 OR f.recent > 0
ORDER BY f.open DESC, f.recent DESC, t.name ASC, t.key ASC
LIMIT %s
"""


def asks(limit: int = 8) -> dict:
    """``selectors.asks()`` (today's stored figures per team) in one query instead of two: the
    organization's totals and the first ``limit`` asking teams, read together (equal: tested in
    tests/web/test_overview_asks_equal.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_tables(_ASKS), [limit])
        rows = cursor.fetchall()
    _key, _name, _open, _recent, total, open_, recent, team_count = rows[0]
    teams = [
        {"team__key": key, "team__name": name, "open": n_open, "recent": n_recent}
        for key, name, n_open, n_recent, *_totals in rows
        if key is not None
    ]
    top = (teams[0]["open"] if teams else 0) or 1  # the first row has the most open
    for t in teams:
        t["pct"] = round(100 * t["open"] / top)
    return {
        "total": total,
        "open": open_,
        "recent": recent,
        "days": RECENT_DAYS,
        "teams": teams,
        "team_count": team_count,
    }


# Whether any team has a measured request (one row) left-joined with the teams that have one in
# either window, by name: the answer to "is anything measured" comes back with no team row too.
_SERVED = """
SELECT t.key, t.name, f.n, f.on_time, f.n_before, f.on_time_before, m.measured
FROM (SELECT EXISTS (SELECT 1 FROM {figures} WHERE measured > 0) AS measured) m
LEFT JOIN ({figures} f INNER JOIN {team} t ON t.id = f.team_id)
       ON f.n > 0 OR f.n_before > 0
ORDER BY t.name ASC, t.key ASC
"""


def _tables(sql: str) -> str:
    from clientmap.directory.models import Team

    return sql.format(
        figures=connection.ops.quote_name(TeamRequestFigures._meta.db_table),
        team=connection.ops.quote_name(Team._meta.db_table),
    )


def served() -> dict:
    """``selectors.service_levels()`` (today's stored figures per team) in one query instead of
    two when no team has a measured request in either window (tested equal in
    tests/web/test_overview_asks_equal.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_tables(_SERVED))
        rows = cursor.fetchall()
    names = ("team__key", "team__name", "n", "on_time", "n_before", "on_time_before")
    teams = [dict(zip(names, row[:6], strict=True)) for row in rows if row[0] is not None]
    return {"served": selectors._served(teams, bool(teams) or bool(rows[0][6]))}

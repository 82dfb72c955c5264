"""The overview's request figures, stored per team (``TeamRequestFigures``) instead of grouping
every request on every request of the overview ("what do they ask", "how well served").

One row per team that has requests, as of a day: its requests, open ones, those opened in the
last ``RECENT_DAYS``, and the fulfilled ones with a target and closing date — all time, and
closed by their target in the last ``WINDOW_DAYS`` and the ``WINDOW_DAYS`` before.

Kept current two ways, both set-based and both in the writing transaction:

- **every write of a request** through the ORM (``apps.py``: ``pre_save``, ``post_save``,
  ``post_delete``) recomputes the row of its team — and of its former team when it moved — with
  one ``GROUP BY`` over that team's requests (the (team, status) index);
- **every whole rebuild of the customer relations** (``customers.summary``: the imports, which
  write requests in bulk, and the first read of a new day, when the windows move) rebuilds every
  row with one ``INSERT … SELECT … GROUP BY``. Bulk writers of requests always end with one.

The figures are those of ``selectors.asks`` and ``selectors.service_levels`` for ``as_of``; a
call for another day computes them from the requests (the reference query).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from clientmap.engagements.models import Request, TeamRequestFigures
from clientmap.engagements.selectors import MEASURED, ON_TIME, OPEN, RECENT_DAYS, WINDOW_DAYS

COLUMNS = (
    "total",
    "open",
    "recent",
    "measured",
    "n",
    "on_time",
    "n_before",
    "on_time_before",
)


def _grouped(today: date, team_ids: list[int] | None):
    since = today - timedelta(days=RECENT_DAYS)
    now_from = today - timedelta(days=WINDOW_DAYS)
    then_from = now_from - timedelta(days=WINDOW_DAYS)
    recent = MEASURED & Q(closed__gt=now_from, closed__lte=today)
    before = MEASURED & Q(closed__gt=then_from, closed__lte=now_from)
    qs = Request.objects.all() if team_ids is None else Request.objects.filter(team_id__in=team_ids)
    return (
        qs.order_by()
        .values("team_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN)),
            recent=Count("id", filter=Q(opened__gte=since)),
            measured=Count("id", filter=MEASURED),
            n=Count("id", filter=recent),
            on_time=Count("id", filter=recent & ON_TIME),
            n_before=Count("id", filter=before),
            on_time_before=Count("id", filter=before & ON_TIME),
        )
    )


def _write(today: date, team_ids: list[int] | None) -> None:
    table = TeamRequestFigures._meta.db_table
    sql, params = _grouped(today, team_ids).query.sql_with_params()
    cols = ", ".join(("team_id", *COLUMNS))
    as_of = connection.ops.adapt_datefield_value(today)
    with transaction.atomic(), connection.cursor() as cursor:
        if team_ids is None:
            cursor.execute(f"DELETE FROM {table}")
        else:
            marks = ", ".join(["%s"] * len(team_ids))
            cursor.execute(f"DELETE FROM {table} WHERE team_id IN ({marks})", team_ids)
        picked = ", ".join(f"g.{c}" for c in ("team_id", *COLUMNS))
        cursor.execute(
            f"INSERT INTO {table} ({cols}, as_of) SELECT {picked}, %s FROM ({sql}) g",
            [as_of, *params],
        )


def rebuild(today: date | None = None) -> None:
    """Every team's row, from every request (one ``INSERT … SELECT … GROUP BY``)."""
    _write(today or timezone.localdate(), None)


def refresh_teams(team_ids: Iterable[int]) -> None:
    """These teams' rows, from their requests (a team left without requests has none)."""
    ids = sorted({int(t) for t in team_ids if t is not None})
    if ids:
        _write(timezone.localdate(), ids)


# --- receivers (connected in EngagementsConfig.ready) -----------------------------------------


def remember_team(sender, instance: Request, **kwargs) -> None:
    if instance.pk:
        instance._figures_team = (
            Request.objects.filter(pk=instance.pk).values_list("team_id", flat=True).first()
        )


def request_changed(sender, instance: Request, **kwargs) -> None:
    refresh_teams({instance.team_id, getattr(instance, "_figures_team", None)})

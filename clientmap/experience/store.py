"""The satisfaction tables as a derived table (``core.derived``, name ``satisfaction``).

``experience_satisfactionrow`` holds the X1 figures of every team, service, organization and
customer kind over the default window (``rules.window_days``, up to today), once for everyone
(``customer_kind`` = "") and once per customer kind, so a satisfaction page sorts, filters and
pages its 50 rows in SQL instead of building every group. A rebuild is set-based: per grouping,
the three grouped queries of ``selectors`` (answers, promises, surveys sent), grouped by the
group and the customer kind at once; everyone's row of a group is the sum of its kinds' rows
(every count is additive and the kinds partition the rows). ~12 queries and one bulk insert.

Staleness is ``core.derived``'s: the table is marked stale, in the writing transaction, by every
rebuild of the derived touchpoints (``derive.derive``: imports, request saves), every save or
delete of a touchpoint or survey, and every rebuild of the customer relations (the kinds come
from them); a new day or another window (``parameters``) rebuilds it too. It is registered
without a ``refresh``: its only readers, the satisfaction pages, bring it current
(``ensure_current``), so no other page and no writer's commit pays for a whole rebuild. One team's figures
(``?team=``) are not stored: they are that team's grouped queries, a few hundred rows at most,
built by ``rows`` in memory (the same function the rebuild uses).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers.models import Kind
from clientmap.experience import report, rules, selectors
from clientmap.experience.models import SatisfactionRow

TABLE = "satisfaction"
GROUPINGS = ("team", "service", "organization", "kind")
KINDS = tuple(Kind.values)


def parameters() -> str:
    """What the table is built for besides its inputs: the day and the window."""
    return f"{timezone.localdate().isoformat()}|{rules.window_days()}"


def mark_stale(*_args, **_kwargs) -> None:
    """Note, in the current transaction, that the figures changed (a signal receiver too)."""
    derived.mark_stale(TABLE, everyone=True)


def _names(by: str, ids: list) -> dict:
    """The report's (key, name, team key) per group, with "" for what a row stores empty."""
    return {g: tuple(v or "" for v in names) for g, names in report._names(by, ids).items()}


def _row(by: str, group, kind: str, fig: selectors.Figures, names: dict) -> SatisfactionRow:
    key, name, team_key = names.get(group, ("", "", ""))
    a, p, r = fig.answers, fig.promises, fig.responses
    return SatisfactionRow(
        by=by,
        customer_kind=kind,
        group_id=group if by != "kind" else None,
        group=key if by != "kind" else str(group),
        name=name,
        team_key=team_key,
        answers=a.answers,
        good=a.good,
        score_sum=a.score_sum,
        recent=a.recent,
        recent_good=a.recent_good,
        before=a.before,
        before_good=a.before_good,
        sent=r.sent,
        answered=r.answered,
        due=p.due,
        kept=p.kept,
        overdue=p.overdue,
        delays={str(d): n for d, n in sorted(p.delays.items())},
        csat=a.csat,
        mean_score=a.mean_score,
        csat_trend=a.csat_trend,
        response_rate=r.rate,
        kept_share=p.kept_share,
        median_delay=p.median_delay_days,
    )


def rows(
    by: str,
    *,
    team_ids: list[int] | None = None,
    customer_kind: str | None = None,
    as_of: date | None = None,
    window_days: int | None = None,
    cached: bool = False,
) -> list[SatisfactionRow]:
    """The rows (unsaved) of grouping ``by``: for everyone ("") and each customer kind, or only
    for ``customer_kind`` when given ("" = everyone); ordered by name then key. ``cached``:
    the figures through ``selectors.figures``' cache (a page), else computed (a rebuild)."""
    as_of = as_of or timezone.localdate()
    window_days = window_days or rules.window_days()
    if cached:
        found = selectors.figures(
            by, as_of=as_of, window_days=window_days, team_ids=team_ids, with_kind=True
        )
    else:
        found = selectors._figures(
            by, as_of, window_days, team_ids, None, None, False, with_kind=True
        )
    everyone: dict = {}
    for (group, _kind), fig in found.items():
        everyone[group] = everyone[group] + fig if group in everyone else fig
    names = _names(by, list(everyone))
    out = []
    if customer_kind in (None, ""):
        out += [_row(by, g, "", fig, names) for g, fig in everyone.items()]
    for (group, kind), fig in found.items():
        if customer_kind is None or customer_kind == kind:
            out.append(_row(by, group, kind, fig, names))
    out.sort(key=lambda r: (r.customer_kind, r.name, r.group, r.group_id or 0))
    return out


def rebuild() -> int:
    """Every grouping's rows, written anew (in the caller's transaction). Returns the rows."""
    made = []
    for by in GROUPINGS:
        made += rows(by)
    SatisfactionRow.objects.all().delete()
    SatisfactionRow.objects.bulk_create(made, batch_size=2000)
    return len(made)


def ensure_current() -> bool:
    """Bring the table current if it is stale (its ``core.derived`` version moved, or the day or
    the window changed): the satisfaction pages call this, its only readers, so that no other
    page and no writer's commit waits for the rebuild. True when it rebuilt."""
    from clientmap.core.models import DerivedState

    version, built, built_for = derived.versions().get(TABLE, (0, 0, ""))
    if version and built == version and built_for == parameters():
        return False
    with transaction.atomic():
        # Lock the state first: a write landing meanwhile waits, then marks it stale again.
        DerivedState.objects.select_for_update().filter(name=TABLE).first()
        rebuild()
        derived.mark_built(TABLE)
    return True

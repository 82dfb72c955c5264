"""The satisfaction tables as a derived table (``core.derived``, name ``satisfaction``).

``experience_satisfactionrow`` holds the X1 figures of every team, service, organization and
customer kind over the default window (``rules.window_days``, up to today), once for everyone
(``customer_kind`` = "") and once per customer kind, so a satisfaction page sorts, filters and
pages its 50 rows in SQL instead of building every group. A whole rebuild is set-based: per
grouping (team, service, organization), the three grouped queries of ``selectors`` (answers,
promises, surveys sent), grouped by the group and the customer kind at once; everyone's row of a
group is the sum of its kinds' rows, and the customer kinds' own rows are the sums of the teams'
rows of each kind (every count is additive; the kinds partition the rows, and so do the teams,
"(none)" included). Nine queries and one bulk insert.

**Scoped.** A write records which groups it touched (``SatisfactionChange`` rows: a team, a
service, an organization, or everything), in its own transaction, and bumps the table's
``core.derived`` version: an answered survey touches its team, its service and its person's
organization; a derived touchpoint rebuilt for some requests, the groups of their old and new
promises; a customer-relations rebuild for some people (their customer kinds), every group those
people have rows in; a rename, that group. The next read rebuilds just those groups — the same
queries filtered to them — and folds the customer kinds' rows again from the teams' rows. A new
day or another window (``parameters``), a rebuild of every derived touchpoint (an import), a
whole rebuild of the relations, a deletion of a team, service or organization, or more than
``MAX_GROUPS`` groups pending rebuild the table whole.

It is registered without a ``refresh``: its only readers, the satisfaction pages, bring it
current (``ensure_current``), so no other page and no writer's commit pays for it. One team's
figures (``?team=``) are not stored: they are that team's grouped queries, a few hundred rows at
most, built by ``rows`` in memory (the same function the rebuild uses).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers.models import Kind
from clientmap.experience import report, rules, selectors
from clientmap.experience.models import FIGURE_KINDS, SatisfactionChange, SatisfactionRow

TABLE = "satisfaction"
GROUPINGS = ("team", "service", "organization", "kind")
SCOPED = ("team", "service", "organization")  # the groupings a change names; kinds are folded
EVERYTHING = "all"
KINDS = tuple(Kind.values)
MAX_GROUPS = 500  # pending groups above which one whole rebuild is cheaper


def parameters() -> str:
    """What the table is built for besides its inputs: the day and the window."""
    return f"{timezone.localdate().isoformat()}|{rules.window_days()}"


def mark_stale(*_args, **_kwargs) -> None:
    """Note, in the current transaction, that every group may have changed (a signal receiver
    too): the next read rebuilds the table whole."""
    SatisfactionChange.objects.create(by=EVERYTHING)
    derived.mark_stale(TABLE, everyone=True)


def touch(
    *,
    teams: Iterable[int | None] = (),
    services: Iterable[int | None] = (),
    organizations: Iterable[int | None] = (),
    people: Iterable[int | None] = (),
) -> None:
    """Note, in the current transaction, that these groups' figures changed: teams, services
    (None: the rows without one), organizations, and the organizations of ``people`` — one
    INSERT … SELECT and the version bump."""
    selects: list[str] = []
    params: list = []
    for by, ids in (("team", teams), ("service", services), ("organization", organizations)):
        for g in sorted(set(ids), key=lambda i: (i is not None, i or 0)):
            if by == "organization" and g is None:
                continue
            selects.append(f"SELECT '{by}', CAST(%s AS bigint)")
            params.append(g)
    people = sorted({int(p) for p in people if p is not None})
    if people:
        selects.append(
            "SELECT 'organization', organization_id FROM directory_person "
            f"WHERE id IN ({', '.join(['%s'] * len(people))})"
        )
        params += people
    if selects:
        _insert(" UNION ALL ".join(selects), params)


def touch_where(where: str, params: list) -> None:
    """Note that the groups of the touchpoints matching ``where`` (SQL over ``t``) changed:
    their teams, services and people's organizations (before and after a rebuild of some
    derived touchpoints)."""
    kinds = rules.q(FIGURE_KINDS)
    base = f"FROM experience_touchpoint t WHERE t.kind IN ({kinds}) AND ({where})"
    _insert(
        f"SELECT DISTINCT 'team', t.team_id {base} UNION "
        f"SELECT DISTINCT 'service', t.service_id {base} UNION "
        "SELECT DISTINCT 'organization', p.organization_id FROM experience_touchpoint t "
        f"JOIN directory_person p ON p.id = t.person_id WHERE t.kind IN ({kinds}) AND ({where})",
        params * 3,
    )


def touch_people(person_ids: Iterable[int]) -> None:
    """Note that everything of these people may count differently (their customer kind, their
    organization): every team, service and organization they have figures in."""
    people = sorted({int(p) for p in person_ids if p is not None})
    if not people:
        return
    if len(people) > MAX_GROUPS:
        mark_stale()
        return
    marks = ", ".join(["%s"] * len(people))
    touch_where(f"t.person_id IN ({marks})", people)
    _insert(
        f"SELECT DISTINCT 'team', team_id FROM experience_survey WHERE person_id IN ({marks}) "
        "UNION SELECT DISTINCT 'service', service_id FROM experience_survey "
        f"WHERE person_id IN ({marks}) UNION SELECT 'organization', organization_id "
        f"FROM directory_person WHERE id IN ({marks})",
        people * 3,
    )


def _insert(select: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {SatisfactionChange._meta.db_table} ("by", group_id) {select}', params
        )
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
    team_ids: list[int | None] | None = None,
    service_ids: list[int | None] | None = None,
    org_ids: list[int] | None = None,
    customer_kind: str | None = None,
    as_of: date | None = None,
    window_days: int | None = None,
    cached: bool = False,
) -> list[SatisfactionRow]:
    """The rows (unsaved) of grouping ``by``: for everyone ("") and each customer kind, or only
    for ``customer_kind`` when given ("" = everyone); ordered by name then key. The filters
    (``team_ids``, ``service_ids``, ``org_ids``; None in a list is the rows without one) keep
    only those rows. ``cached``: the figures through ``selectors.figures``' cache (a page), else
    computed (a rebuild)."""
    as_of = as_of or timezone.localdate()
    window_days = window_days or rules.window_days()
    if cached:
        found = selectors.figures(
            by,
            as_of=as_of,
            window_days=window_days,
            team_ids=team_ids,
            service_ids=service_ids,
            org_ids=org_ids,
            with_kind=True,
        )
    else:
        found = selectors._figures(
            by, as_of, window_days, team_ids, org_ids, service_ids, False, with_kind=True
        )
    return _made(by, found, customer_kind)


def _made(by: str, found: dict, customer_kind: str | None = None) -> list[SatisfactionRow]:
    """The rows of ``found`` ((group, customer kind) → figures): everyone's row of each group
    (the sum of its kinds') and each kind's, or only ``customer_kind``'s."""
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


def _kind_rows(team_rows: Iterable[SatisfactionRow]) -> list[SatisfactionRow]:
    """The customer kinds' rows, folded from the teams' rows of each kind: the teams ("(none)"
    included) partition the rows of every kind."""
    found: dict = {}
    for r in team_rows:
        if r.customer_kind:
            key = (r.customer_kind, r.customer_kind)
            found[key] = found[key] + r.figures if key in found else r.figures
    return _made("kind", found)


_COUNTS = (
    "answers",
    "good",
    "score_sum",
    "recent",
    "recent_good",
    "before",
    "before_good",
    "due",
    "kept",
    "overdue",
    "sent",
    "answered",
)


def _kind_rows_stored() -> list[SatisfactionRow]:
    """``_kind_rows`` of the teams' rows as stored, summed from their columns (thousands of
    teams: plain numbers, not a model and its figures per row)."""
    sums: dict[str, list[int]] = {}
    delays: dict[str, dict[int, int]] = {}
    rows = (
        SatisfactionRow.objects.filter(by="team")
        .exclude(customer_kind="")
        .values_list("customer_kind", "delays", *_COUNTS)
    )
    for kind, histogram, *counts in rows:
        total = sums.setdefault(kind, [0] * len(_COUNTS))
        for i, n in enumerate(counts):
            total[i] += n
        merged = delays.setdefault(kind, {})
        for d, n in histogram.items():
            merged[int(d)] = merged.get(int(d), 0) + n
    found = {}
    for kind, c in sums.items():
        found[(kind, kind)] = selectors.Figures(
            selectors.Answers(*c[:7]),
            selectors.Promises(c[7], c[8], c[9], delays[kind]),
            selectors.Responses(c[10], c[11]),
        )
    return _made("kind", found)


def rebuild() -> int:
    """Every grouping's rows, written anew (in the caller's transaction). Returns the rows."""
    made = []
    for by in SCOPED:
        made += rows(by)
    made += _kind_rows(r for r in made if r.by == "team")
    SatisfactionRow.objects.all().delete()
    SatisfactionRow.objects.bulk_create(made, batch_size=2000)
    return len(made)


def _group_filter(by: str, ids: set) -> dict:
    """The ``rows`` filter keeping the rows of these groups."""
    name = {"team": "team_ids", "service": "service_ids", "organization": "org_ids"}[by]
    return {name: sorted(ids, key=lambda i: (i is not None, i or 0))}


def _parts(ids: set) -> list[set]:
    given = {i for i in ids if i is not None}
    return [part for part in (given, {None} if None in ids else set()) if part]


def refresh(groups: dict[str, set]) -> int:
    """Rebuild just these groups (grouping → group ids, None the "(none)" group), then the
    customer kinds' rows from the teams' (in the caller's transaction). Returns the rows
    written."""
    written = 0
    for by in SCOPED:
        ids = groups.get(by)
        if not ids:
            continue
        # The "(none)" group apart: an OR with IS NULL would read every row of the window.
        made = [r for part in _parts(ids) for r in rows(by, **_group_filter(by, part))]
        given = [i for i in ids if i is not None]
        old = SatisfactionRow.objects.filter(by=by)
        gone = old.filter(group_id__in=given) if given else old.none()
        if None in ids:
            gone = gone | old.filter(group_id__isnull=True)
        gone.delete()
        SatisfactionRow.objects.bulk_create(made, batch_size=2000)
        written += len(made)
    if groups.get("team"):
        made = _kind_rows_stored()
        SatisfactionRow.objects.filter(by="kind").delete()
        SatisfactionRow.objects.bulk_create(made)
        written += len(made)
    return written


def _pending() -> tuple[list[int], dict[str, set] | None]:
    """The ids of the changes recorded and the groups they name (None: everything)."""
    ids, groups, everything = [], {}, False
    for pk, by, group in SatisfactionChange.objects.values_list("id", "by", "group_id"):
        ids.append(pk)
        if by == EVERYTHING:
            everything = True
        elif by in SCOPED:
            groups.setdefault(by, set()).add(group)
    if everything or sum(len(g) for g in groups.values()) > MAX_GROUPS:
        return ids, None
    return ids, groups


def ensure_current() -> bool:
    """Bring the table current if it is stale (its ``core.derived`` version moved, or the day or
    the window changed): the satisfaction pages call this, its only readers, so that no other
    page and no writer's commit waits for the rebuild. Rebuilds only the groups the changes
    recorded name when it can (see the module). True when it rebuilt."""
    from clientmap.core.models import DerivedState

    version, built, built_for = derived.versions().get(TABLE, (0, 0, ""))
    if version and built == version and built_for == parameters():
        return False
    with transaction.atomic():
        # Lock the state first: a write landing meanwhile waits, then marks it stale again.
        DerivedState.objects.select_for_update().filter(name=TABLE).first()
        version, built, built_for = derived.versions().get(TABLE, (0, 0, ""))
        ids, groups = _pending()
        if groups is None or not built or built_for != parameters():
            rebuild()
        else:
            refresh(groups)
        for i in range(0, len(ids), 500):
            SatisfactionChange.objects.filter(pk__in=ids[i : i + 500]).delete()
        derived.mark_built(TABLE)
    return True

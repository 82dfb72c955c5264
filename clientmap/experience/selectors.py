"""X1 figures, set-based: CSAT, mean score, response rate and promises kept, grouped by team,
service, organization or customer kind, over a window and by month.

Every figure is one grouped query (answers, surveys sent, promises); the median delay comes from
a histogram of delays grouped in SQL (delays are whole days, so the histogram is small). See
``rules`` for what each figure means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from clientmap.directory.models import Organization
from clientmap.experience import rules
from clientmap.experience.models import FIGURE_KINDS, Touchpoint

BY = ("team", "service", "organization", "kind", "all")
FEW_ORGANIZATIONS = 20  # up to this many, an organization filter goes through their people
# The condition of the touchpoints' partial indexes for the figures (models.FIGURE_KINDS), named
# in every figure query: SQLite uses a partial index only when the query holds its condition's
# very term (PostgreSQL would prove it from ``kind = …``).
FIGURE_ROWS = "{alias}.kind IN (" + ", ".join(f"'{k}'" for k in FIGURE_KINDS) + ")"


# --- the contract the fit area codes against ----------------------------------------------------


@dataclass(frozen=True)
class OrgExperience:
    answers: int  # survey answers (touchpoints of kind survey with a score) in the window
    csat: float | None  # share of answers scoring 4-5, 0..1; None when answers == 0
    mean_score: float | None  # 1..5
    csat_trend: float | None  # CSAT of the last 90 days minus CSAT of the 90 days before
    promises_due: int  # requests with a target date fulfilled (or overdue) in the window
    promises_kept: float | None  # share delivered by the target date, 0..1
    median_delay_days: float | None  # median days late over the late ones (None if none)


def organization_experience(
    *,
    org_ids: Iterable[int] | None = None,
    as_of: date | None = None,
    window_days: int = 365,
) -> dict[int, OrgExperience]:
    """Per organization (of the answering/requesting person), set-based (two aggregate
    queries). Organizations with no answer and no promise due are absent."""
    ids = None if org_ids is None else sorted({int(i) for i in org_ids})
    if ids is not None and not ids:
        return {}
    as_of = as_of or timezone.localdate()
    answers = _answers("organization", as_of=as_of, window_days=window_days, org_ids=ids)
    promises = _promises("organization", as_of=as_of, window_days=window_days, org_ids=ids)
    out = {}
    for org in set(answers) | set(promises):
        a = answers.get(org, _EMPTY_ANSWERS)
        p = promises.get(org, _EMPTY_PROMISES)
        out[org] = OrgExperience(
            answers=a.answers,
            csat=a.csat,
            mean_score=a.mean_score,
            csat_trend=a.csat_trend,
            promises_due=p.due,
            promises_kept=p.kept_share,
            median_delay_days=p.median_delay_days,
        )
    return out


# --- building blocks ---------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Answers:
    answers: int = 0
    good: int = 0
    score_sum: int = 0
    recent: int = 0
    recent_good: int = 0
    before: int = 0
    before_good: int = 0

    @property
    def csat(self) -> float | None:
        return _share(self.good, self.answers)

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.answers if self.answers else None

    @property
    def csat_trend(self) -> float | None:
        if not self.recent or not self.before:
            return None
        return self.recent_good / self.recent - self.before_good / self.before


@dataclass(frozen=True)
class Promises:
    due: int = 0
    kept: int = 0
    overdue: int = 0  # still open past the target date
    delays: dict[int, int] = field(default_factory=dict)  # days late → requests

    @property
    def kept_share(self) -> float | None:
        return _share(self.kept, self.due)

    @property
    def late(self) -> int:
        return self.due - self.kept

    @property
    def median_delay_days(self) -> float | None:
        return rules.median(self.delays)


@dataclass(frozen=True)
class Responses:
    sent: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return _share(self.answered, self.sent)


_EMPTY_ANSWERS = Answers()
_EMPTY_PROMISES = Promises()


def _home_id() -> int | None:
    return Organization.objects.filter(is_home=True).values_list("id", flat=True).first()


def _dimension(by: str, alias: str, person_col: str, home: int | None) -> tuple[str, str]:
    """(extra join, group expression) for grouping rows of ``alias`` by ``by``."""
    if by == "team":
        return "", f"{alias}.team_id"
    if by == "service":
        return "", f"{alias}.service_id"
    if by == "organization":
        return "", "p.organization_id"
    if by == "kind":
        return rules.kind_sql(f"{alias}.team_id", person_col, home)
    if by == "all":
        return "", "CAST(0 AS integer)"  # not a bare 0: GROUP BY 0 would be a position
    raise ValueError(f"by must be one of {', '.join(BY)}")


def _filters(
    alias: str,
    params: dict,
    *,
    team_ids: list[int] | None,
    org_ids: list[int] | None,
    service_ids: list[int] | None = None,
) -> str:
    parts = []
    # A few organizations: their people's rows, found through the person index, rather than
    # every row of the window filtered by the person's organization.
    org_column = (
        f"{alias}.person_id IN (SELECT po.id FROM directory_person po WHERE po.organization_id"
        if org_ids is not None and 0 < len(org_ids) <= FEW_ORGANIZATIONS
        else "p.organization_id"
    )
    for name, column, ids in (
        ("team", f"{alias}.team_id", team_ids),
        ("org", org_column, org_ids),
        ("service", f"{alias}.service_id", service_ids),
    ):
        if ids is None:
            continue
        if not ids:
            parts.append("1 = 0")
            continue
        names = []
        for i, v in enumerate(x for x in ids if x is not None):
            params[f"{name}{i}"] = int(v)
            names.append(f"%({name}{i})s")
        close = ")" if column.endswith("organization_id") and "SELECT" in column else ""
        ors = [f"{column} IN ({', '.join(names)}){close}"] if names else []
        if len(names) < len(ids):  # None: the rows without one (the "(none)" group)
            ors.append(f"{column} IS NULL")
        parts.append(ors[0] if len(ors) == 1 else f"({' OR '.join(ors)})")
    return "".join(f" AND {p}" for p in parts)


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _grouped(
    by: str,
    *,
    table: str,
    alias: str,
    day: str,
    select: str,
    where: str,
    params: dict,
    team_ids: list[int] | None,
    org_ids: list[int] | None,
    service_ids: list[int] | None,
    monthly: bool,
    home: int | None,
    also_group_by: str = "",
    with_kind: bool = False,
) -> tuple[list[tuple], int]:
    """The one query skeleton of every figure: rows of ``table`` (as ``alias``) that match
    ``where`` and the team/organization/service filters, grouped by the dimension ``by`` (and by
    the customer kind with ``with_kind``, the month of ``day`` with ``monthly``, and
    ``also_group_by``), selecting the group key, the kind, the month, then ``select``. Returns
    the rows and how many leading columns are the key (1 to 3)."""
    if (by == "kind" or with_kind) and home is None:
        home = _home_id()
    join, group = _dimension(by, alias, f"{alias}.person_id", home)
    kind = ""
    if with_kind:
        kind_join, kind_expr = rules.kind_sql(f"{alias}.team_id", f"{alias}.person_id", home)
        join = join or kind_join
        kind = f", {kind_expr}"
    person = ""
    if by in ("organization", "kind") or org_ids is not None or with_kind:
        person = f"JOIN directory_person p ON p.id = {alias}.person_id"
    month = f", {rules.month_of(day)}" if monthly else ""
    extra = f", {also_group_by}" if also_group_by else ""
    filters = _filters(alias, params, team_ids=team_ids, org_ids=org_ids, service_ids=service_ids)
    if table == Touchpoint._meta.db_table:
        filters += f" AND {FIGURE_ROWS.format(alias=alias)}"
    sql = f"""
        SELECT {group} AS g{kind}{month}, {select}
        FROM {table} {alias}
        {person}
        {join}
        WHERE {where}{filters}
        GROUP BY {group}{kind}{month}{extra}
    """
    return _rows(sql, params), 1 + bool(monthly) + bool(with_kind)


def _answers(
    by: str,
    *,
    as_of: date,
    window_days: int,
    team_ids: list[int] | None = None,
    org_ids: list[int] | None = None,
    service_ids: list[int] | None = None,
    monthly: bool = False,
    home: int | None = None,
    with_kind: bool = False,
) -> dict:
    """Answers in (as_of − window, as_of] grouped by ``by`` (and month with ``monthly``)."""
    recent = as_of - timedelta(days=rules.RECENT_DAYS)
    before = as_of - timedelta(days=2 * rules.RECENT_DAYS)
    lo = as_of - timedelta(days=window_days)
    params: dict = {
        "kind": Touchpoint.Kind.SURVEY.value,
        "as_of": as_of,
        "lo": lo,
        "recent": recent,
        "before": before,
        "from": min(lo, before),
    }
    rows, width = _grouped(
        by,
        table="experience_touchpoint",
        alias="t",
        day="t.day",
        select="""
          SUM(CASE WHEN t.day > %(lo)s THEN 1 ELSE 0 END),
          SUM(CASE WHEN t.day > %(lo)s AND t.score >= 4 THEN 1 ELSE 0 END),
          SUM(CASE WHEN t.day > %(lo)s THEN t.score ELSE 0 END),
          SUM(CASE WHEN t.day > %(recent)s THEN 1 ELSE 0 END),
          SUM(CASE WHEN t.day > %(recent)s AND t.score >= 4 THEN 1 ELSE 0 END),
          SUM(CASE WHEN t.day > %(before)s AND t.day <= %(recent)s THEN 1 ELSE 0 END),
          SUM(CASE WHEN t.day > %(before)s AND t.day <= %(recent)s AND t.score >= 4
                   THEN 1 ELSE 0 END)""",
        where="""t.kind = %(kind)s AND t.score IS NOT NULL
          AND t.day <= %(as_of)s AND t.day > %(from)s""",
        params=params,
        team_ids=team_ids,
        org_ids=org_ids,
        service_ids=service_ids,
        monthly=monthly,
        home=home,
        with_kind=with_kind,
    )
    out = {}
    for row in rows:
        key = tuple(row[:width]) if width > 1 else row[0]
        counts = [int(x or 0) for x in row[width:]]
        if monthly and not counts[0]:
            continue
        out[key] = Answers(*counts)
    return out


def _promises(
    by: str,
    *,
    as_of: date,
    window_days: int,
    team_ids: list[int] | None = None,
    org_ids: list[int] | None = None,
    service_ids: list[int] | None = None,
    monthly: bool = False,
    home: int | None = None,
    with_kind: bool = False,
) -> dict:
    """Promises due in (as_of − window, as_of] grouped by ``by``: one query over the derived
    touchpoints (``fulfilled`` with its delay, ``due`` for an open request's target date),
    grouped by the delay in days and folded here into counts and a delay histogram per group."""
    params: dict = {
        "as_of": as_of,
        "lo": as_of - timedelta(days=window_days),
        "fulfilled": Touchpoint.Kind.FULFILLED.value,
        "due": Touchpoint.Kind.DUE.value,
    }
    delay = rules.promise_delay_sql()
    still_open = "CASE WHEN t.kind = %(due)s THEN 1 ELSE 0 END"
    rows, width = _grouped(
        by,
        table="experience_touchpoint",
        alias="t",
        day="t.day",
        select=f"{delay} AS delay, {still_open}, COUNT(*)",
        where=rules.promise_due_sql(),
        params=params,
        team_ids=team_ids,
        org_ids=org_ids,
        service_ids=service_ids,
        monthly=monthly,
        home=home,
        also_group_by=f"{delay}, {still_open}",
        with_kind=with_kind,
    )
    acc: dict = {}
    for row in rows:
        key = tuple(row[:width]) if width > 1 else row[0]
        d, is_open, n = int(row[width]), int(row[width + 1]), int(row[width + 2])
        a = acc.setdefault(key, {"due": 0, "kept": 0, "overdue": 0, "delays": {}})
        a["due"] += n
        if d <= 0:
            a["kept"] += n
        else:
            a["delays"][d] = a["delays"].get(d, 0) + n
        if is_open:
            a["overdue"] += n
    return {k: Promises(**v) for k, v in acc.items()}


def _responses(
    by: str,
    *,
    as_of: date,
    window_days: int,
    team_ids: list[int] | None = None,
    org_ids: list[int] | None = None,
    service_ids: list[int] | None = None,
    monthly: bool = False,
    home: int | None = None,
    with_kind: bool = False,
) -> dict:
    """Surveys sent in the window, and how many were answered, grouped by ``by``."""
    _start, end = rules.day_bounds(as_of)
    lo, _ = rules.day_bounds(as_of - timedelta(days=window_days - 1))
    rows, width = _grouped(
        by,
        table="experience_survey",
        alias="s",
        day="s.sent_at",
        select="COUNT(*), SUM(CASE WHEN s.answered_at IS NOT NULL THEN 1 ELSE 0 END)",
        where="s.sent_at >= %(lo)s AND s.sent_at < %(end)s",
        params={"lo": lo, "end": end},
        team_ids=team_ids,
        org_ids=org_ids,
        service_ids=service_ids,
        monthly=monthly,
        home=home,
        with_kind=with_kind,
    )
    out = {}
    for row in rows:
        key = tuple(row[:width]) if width > 1 else row[0]
        out[key] = Responses(int(row[width] or 0), int(row[width + 1] or 0))
    return out


# --- the satisfaction table (pages, CLI, API) ----------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Every X1 figure of one group (a team, service, organization, kind, or everything)."""

    answers: Answers = _EMPTY_ANSWERS
    promises: Promises = _EMPTY_PROMISES
    responses: Responses = field(default_factory=Responses)

    def __add__(self, other: Figures) -> Figures:
        a, b = self.answers, other.answers
        delays = dict(self.promises.delays)
        for d, n in other.promises.delays.items():
            delays[d] = delays.get(d, 0) + n
        return Figures(
            Answers(*(getattr(a, f) + getattr(b, f) for f in Answers.__dataclass_fields__)),
            Promises(
                self.promises.due + other.promises.due,
                self.promises.kept + other.promises.kept,
                self.promises.overdue + other.promises.overdue,
                delays,
            ),
            Responses(
                self.responses.sent + other.responses.sent,
                self.responses.answered + other.responses.answered,
            ),
        )

    def as_dict(self) -> dict:
        a, p, r = self.answers, self.promises, self.responses
        return {
            "answers": a.answers,
            "csat": a.csat,
            "mean_score": a.mean_score,
            "csat_trend": a.csat_trend,
            "surveys_sent": r.sent,
            "surveys_answered": r.answered,
            "response_rate": r.rate,
            "promises_due": p.due,
            "promises_kept": p.kept,
            "promises_kept_share": p.kept_share,
            "promises_overdue": p.overdue,
            "median_delay_days": p.median_delay_days,
        }


def figures(
    by: str = "team",
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    team_ids: list[int] | None = None,
    org_ids: list[int] | None = None,
    service_ids: list[int] | None = None,
    monthly: bool = False,
    with_kind: bool = False,
    marks: tuple | None = None,
) -> dict:
    """Group key (an id, a kind, or 0 for ``all``; with ``with_kind`` a (key, customer kind)
    pair; with ``monthly`` the key and then 'YYYY-MM') → ``Figures``. Three grouped queries.
    ``marks``: the ``fingerprint()`` when the caller already read it."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    as_of = as_of or timezone.localdate()
    window_days = window_days or rules.window_days()
    key = _cache_key(
        "figures",
        by,
        as_of,
        window_days,
        team_ids,
        org_ids,
        service_ids,
        monthly,
        with_kind,
        marks=marks,
    )
    found = cache.get(key)
    if found is None:
        found = _figures(by, as_of, window_days, team_ids, org_ids, service_ids, monthly, with_kind)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _figures(
    by, as_of, window_days, team_ids, org_ids, service_ids, monthly, with_kind=False
) -> dict:
    kw = {
        "as_of": as_of,
        "window_days": window_days,
        "team_ids": team_ids,
        "org_ids": org_ids,
        "service_ids": service_ids,
        "monthly": monthly,
        "home": _home_id() if by == "kind" or with_kind else None,
        "with_kind": with_kind,
    }
    answers = _answers(by, **kw)
    promises = _promises(by, **kw)
    responses = _responses(by, **kw)
    keys = set(answers) | set(promises) | set(responses)
    return {
        k: Figures(
            answers.get(k, _EMPTY_ANSWERS),
            promises.get(k, _EMPTY_PROMISES),
            responses.get(k, Responses()),
        )
        for k in keys
    }


# --- a cache of figures, keyed by what they are computed from ---------------------------------

CACHE_SECONDS = 300


def fingerprint() -> tuple:
    """Cheap (index-only) marks of the tables the figures read: any answer, survey sent,
    touchpoint recorded or rebuild of the derived touchpoints gives new ids; deletions and
    updates bump ``invalidate``'s generation (and the cache lives ``CACHE_SECONDS`` at most)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT MAX(id) FROM experience_touchpoint), "
            "(SELECT MAX(id) FROM experience_survey), "
            "(SELECT MAX(computed_at) FROM experience_derivestate)"
        )
        marks = cursor.fetchone()
    return (
        connection.alias,
        connection.settings_dict.get("NAME"),
        cache.get(_GENERATION_KEY, 0),
        *marks,
    )


_GENERATION_KEY = "clientmap:experience:generation"


def invalidate(*_args, **_kwargs) -> None:
    """Drop every cached figure (connected to updates and deletions of their inputs)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, None)


def _cache_key(*parts, marks: tuple | None = None) -> str:
    import hashlib

    raw = repr((parts, fingerprint() if marks is None else marks)).encode()
    return "clientmap:experience:" + hashlib.sha1(raw, usedforsecurity=False).hexdigest()


def as_json(exp: OrgExperience) -> dict:
    return asdict(exp)


# --- one person's journey ----------------------------------------------------------------------


JOURNEY_PAGE = 50  # timeline entries a page of the journey shows


class JourneyItems:
    """A person's timeline as a sequence for a paginator: the stored touchpoints, the surveys
    sent and the request touchpoints read from the requests (opened, accepted, declined:
    ``derive.events``), newest first. Its length is the three counts; a slice reads only the
    newest ``stop`` of each source and merges them (the first ``stop`` entries of the merged
    order are among those). On one day and time, stored touchpoints come first (newest id
    first), then surveys, then the request touchpoints (a later step first)."""

    def __init__(self, person, *, team=None, as_of: date | None = None) -> None:
        from clientmap.experience.models import Survey

        self.person, self.team = person, team
        self.as_of = as_of or timezone.localdate()
        self.tps = Touchpoint.objects.filter(person=person)
        self.surveys = Survey.objects.filter(person=person)
        if team is not None:
            self.tps = self.tps.filter(team=team)
            self.surveys = self.surveys.filter(team=team)
        self.touchpoints: int | None = None  # how many stored touchpoints, when already known
        self._count: int | None = None

    def count(self) -> int:
        from clientmap.experience import derive

        if self._count is None:
            if self.touchpoints is None:
                self.touchpoints = self.tps.count()
            events = derive.count_events(self.person.pk, self.team.pk if self.team else None)
            self._count = self.touchpoints + self.surveys.count() + events
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start, stop = item.start or 0, item.stop
        if stop is None:
            stop = self.count()
        if stop <= start:
            return []
        tps = self.tps.select_related("team", "service", "request").order_by(
            "-day", F("at").desc(nulls_last=True), "-id"
        )
        surveys = self.surveys.select_related("team", "request").order_by("-sent_at", "-id")
        from clientmap.experience import derive

        items: list[dict] = [self._touchpoint(tp) for tp in tps[:stop]]
        for sv in surveys[:stop]:
            items.append(
                {
                    "type": "survey",
                    "day": timezone.localtime(sv.sent_at).date(),
                    "at": sv.sent_at,
                    "survey": sv,
                    "team": sv.team,
                }
            )
        items += [self._touchpoint(tp) for tp in derive.events(self.person, self.team, stop)]
        # Python's sort is stable, also reversed: entries of one day and time keep the order
        # their query gave them.
        items.sort(key=lambda i: (i["day"], i["at"].timestamp() if i["at"] else 0), reverse=True)
        return items[start:stop]

    def _touchpoint(self, tp: Touchpoint) -> dict:
        item = {"type": "touchpoint", "day": tp.day, "at": tp.at, "tp": tp, "team": tp.team}
        if tp.kind == Touchpoint.Kind.FULFILLED and tp.delay is not None:
            item["promise"] = "kept" if tp.delay <= 0 else "missed"
            item["late_days"] = tp.delay
        elif tp.kind == Touchpoint.Kind.DUE and tp.day < self.as_of:
            item["promise"] = "missed"
            item["late_days"] = (self.as_of - tp.day).days
        return item


def journey(person, *, team=None, limit: int = JOURNEY_PAGE, as_of: date | None = None) -> dict:
    """Every touchpoint of ``person`` with every team, newest first, with the surveys sent and
    the promises (kept, late, or overdue and still open) marked: ``items`` (the newest
    ``limit``; ``timeline`` pages them all) and the summary over **every** touchpoint, not only
    the ones shown — answers, CSAT, promises kept and missed — in one aggregate query."""
    from clientmap.experience import derive

    derive.catch_up_notices()
    timeline = JourneyItems(person, team=team, as_of=as_of)
    fulfilled, due = Touchpoint.Kind.FULFILLED, Touchpoint.Kind.DUE
    agg = timeline.tps.aggregate(
        touchpoints=Count("id"),
        answers=Count("id", filter=Q(score__gt=0)),
        good=Count("id", filter=Q(score__gte=4)),
        kept=Count("id", filter=Q(kind=fulfilled, delay__lte=0)),
        late=Count("id", filter=Q(kind=fulfilled, delay__gt=0)),
        overdue=Count("id", filter=Q(kind=due, day__lt=timeline.as_of)),
    )
    timeline.touchpoints = agg["touchpoints"]
    return {
        "items": timeline[:limit],
        "timeline": timeline,
        "answers": agg["answers"],
        "csat": _share(agg["good"], agg["answers"]),
        "kept": agg["kept"],
        "missed": agg["late"] + agg["overdue"],
    }


# --- never asked --------------------------------------------------------------------------------


def never_asked(*, team=None, months: int | None = None, as_of: date | None = None):
    """The active C1 customers (of ``team``, or of any team) who were never asked for feedback
    nor answered a survey, or not in the last ``months`` months (default
    ``CLIENTMAP_NEVER_ASKED_MONTHS``, 12). Paying customers first, then those never asked,
    then the longest unasked; annotated ``rank`` (0 paying, 1 external non-paying, 2
    internal), ``last_asked`` and ``last_answered``."""
    from django.db.models import (
        Case,
        Exists,
        F,
        IntegerField,
        Max,
        OuterRef,
        Q,
        Subquery,
        Value,
        When,
    )

    from clientmap.customers.models import CustomerRelation, Kind
    from clientmap.directory.models import Person
    from clientmap.experience.models import Survey

    as_of = as_of or timezone.localdate()
    months = rules.never_asked_months() if months is None else months
    cutoff_day = as_of - timedelta(days=round(months * 30.44))
    cutoff, _ = rules.day_bounds(cutoff_day)
    rel = CustomerRelation.objects.filter(person=OuterRef("pk"), is_customer=True, active=True)
    if team is not None:
        rel = rel.filter(team=team)
    rank = (
        rel.annotate(
            r=Case(
                When(kind=Kind.EXTERNAL_PAYING, then=Value(0)),
                When(kind=Kind.EXTERNAL_NONPAYING, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("r")
        .values("r")[:1]
    )
    asked = Survey.objects.filter(person=OuterRef("pk"))
    answered = Touchpoint.objects.filter(person=OuterRef("pk"), kind=Touchpoint.Kind.SURVEY)
    if team is not None:
        asked = asked.filter(Q(team=team) | Q(team__isnull=True))
        answered = answered.filter(Q(team=team) | Q(team__isnull=True))
    last_asked = asked.order_by().values("person").annotate(m=Max("sent_at")).values("m")[:1]
    last_answered = answered.order_by().values("person").annotate(m=Max("day")).values("m")[:1]
    return (
        Person.objects.filter(Exists(rel))
        .exclude(Exists(asked.filter(sent_at__gte=cutoff)))
        .exclude(Exists(answered.filter(day__gte=cutoff_day)))
        .annotate(
            rank=Subquery(rank, output_field=IntegerField()),
            last_asked=Subquery(last_asked),
            last_answered=Subquery(last_answered),
        )
        .select_related("organization")
        .order_by("rank", F("last_asked").asc(nulls_first=True), "name", "pk")
    )


# --- the value chain's view of satisfaction (V1) ------------------------------------------------


def reached_paying_organizations(team, *, direct: bool = False, graph=None) -> list[int]:
    """Ids of the paying organizations ``team``'s work reaches (valuechain V1)."""
    from clientmap.valuechain.rules import TEAM, load_graph

    g = graph or load_graph()
    node = g.node(TEAM, team.pk)
    if node < 0:
        return []
    bits = g.team_bits(direct=direct)[node - g.offsets[TEAM]]
    return sorted(int(g.db_id[i]) for i in g.bits_to_nodes(bits))


def value_chain_satisfaction(team, *, as_of: date | None = None, window_days: int | None = None):
    """For ``team``: its direct customers' satisfaction (answers about the team) beside the
    satisfaction of the paying customers its work reaches through the value chain — every
    answer given by people of those paying organizations, about any team — and of those
    reached directly (not only through the home organization)."""
    as_of = as_of or timezone.localdate()
    kw = {"as_of": as_of, "window_days": window_days}
    reached = reached_paying_organizations(team)
    direct_reach = reached_paying_organizations(team, direct=True)
    own = figures("all", team_ids=[team.pk], **kw).get(0, Figures())
    paying = figures("all", org_ids=reached, **kw).get(0, Figures()) if reached else Figures()
    paying_direct = (
        figures("all", org_ids=direct_reach, **kw).get(0, Figures()) if direct_reach else Figures()
    )
    return {
        "direct_customers": own,
        "paying_reached": paying,
        "paying_reached_directly": paying_direct,
        "paying_organizations": len(reached),
        "paying_organizations_directly": len(direct_reach),
        "organization_ids": reached,
    }


def overview_figures() -> dict:
    """The first screen's satisfaction block: overall figures and the never-asked count (the
    tables' fingerprint read once for both)."""
    marks = fingerprint()
    return {
        "satisfaction": figures("all", marks=marks).get(0, Figures()),
        "never_asked": never_asked_count(marks=marks),
    }


def never_asked_count(*, team=None, months: int | None = None, marks: tuple | None = None) -> int:
    """How many are on the never-asked list: the length of the list cached like the figures,
    kept beside it under the same fingerprint (a count does not unpickle every id)."""
    key = _cache_key(
        "never-count",
        team.pk if team is not None else None,
        months,
        timezone.localdate(),
        marks=marks,
    )
    count = cache.get(key)
    if count is None:
        count = len(never_asked_ids(team=team, months=months, marks=marks))
        cache.set(key, count, CACHE_SECONDS)
    return count


def never_asked_ids(
    *, team=None, months: int | None = None, marks: tuple | None = None
) -> list[int]:
    """The ids of the never-asked list in its order, cached under the figures' fingerprint (a
    survey sent, an answer, a touchpoint, a rebuild of the relations gives a new list), so a
    page of the list reads 50 people, not every customer."""
    key = _cache_key(
        "never-ids",
        team.pk if team is not None else None,
        months,
        timezone.localdate(),
        marks=marks,
    )
    ids = cache.get(key)
    if ids is None:
        ids = list(never_asked(team=team, months=months).values_list("pk", flat=True))
        cache.set(key, ids, CACHE_SECONDS)
    return ids


class NeverAskedPage:
    """The never-asked list as a sequence for a paginator: its length is the cached list's, and
    a slice reads just those people (annotated as ``never_asked`` annotates them)."""

    def __init__(self, *, team=None, months: int | None = None) -> None:
        self.team, self.months = team, months
        self.ids = never_asked_ids(team=team, months=months)

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        chunk = self.ids[item]
        found = {
            p.pk: p for p in never_asked(team=self.team, months=self.months).filter(pk__in=chunk)
        }
        return [found[i] for i in chunk if i in found]

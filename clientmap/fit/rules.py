"""K1, mutual fit: two axes per account, four groups, set-based.

An *account* is a customer organization (not the home organization) that has account data
(invoices, approvals, ratings, referrals, intents), experience data, or external customers.

Each axis is a weighted mean of its parts, each part scored 0 (bad) … 1 (good). A part without
data is *no data*: it is shown as such and weighs nothing (the weights of the parts present are
renormalised); an axis without any part is no data too. Never zero.

*The customer wants us* (A): satisfaction level, satisfaction trend, promises kept (experience),
attestations (voice: "it helped" answers), repeat requests (agreed requests in the window),
explicit intent (the latest intent: renew / expand / reduce / leave).

*We want the customer* (B): overdue receivables by amount (share of the window's invoicing
overdue now) and by days (mean days late of the invoices due in the window), chronic debt
(share of the last N months with a late invoice), approval delays (median days important
questions waited), decision makers (people with a *decides* involvement in the window; one or
two is ideal), friendliness (staff ratings 1–5), reputation (referrals, case studies, mentions,
awards).

Groups (seed 004): 1 both want; 2 the customer wants, we are unsure; 3 the customer does not
want, we do; 4 neither. An axis with no data is *not established* (below its threshold): a
group needs evidence. An account with no data on both axes has no group.

Group 3 and 4 accounts get a diagnosis of the customer side: *what we deliver* (promises missed,
or low satisfaction with what was delivered) or *how we sell* (delivery looks fine, yet intent,
repeat requests or attestations are low), or *unknown* (no delivery data: ask them).

One recompute reads everything in a few grouped queries and writes one snapshot per account.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization
from clientmap.engagements.models import Involvement, Request
from clientmap.fit import config, sources
from clientmap.fit.models import (
    Approval,
    Intent,
    Invoice,
    Override,
    Rating,
    Recompute,
    Referral,
    Snapshot,
)

AXIS_A = ["satisfaction", "trend", "promises", "attestations", "repeat", "intent"]
AXIS_B = [
    "overdue_amount",
    "overdue_days",
    "chronic",
    "approvals",
    "decision_makers",
    "friendliness",
    "reputation",
]
WEIGHT_KEY = {
    "satisfaction": "w_satisfaction",
    "trend": "w_trend",
    "promises": "w_promises",
    "attestations": "w_attestations",
    "repeat": "w_repeat",
    "intent": "w_intent",
    "overdue_amount": "w_overdue_amount",
    "overdue_days": "w_overdue_days",
    "chronic": "w_chronic",
    "approvals": "w_approvals",
    "decision_makers": "w_decision_makers",
    "friendliness": "w_friendliness",
    "reputation": "w_reputation",
}
INTENT_SCORE = {"renew": 1.0, "expand": 1.0, "reduce": 0.25, "leave": 0.0}
REFERRAL_WEIGHT = {"referral": 1.0, "case_study": 1.0, "public_mention": 0.5, "award": 1.0}

# diagnosis codes
DELIVER_PROMISES = "deliver_promises"
DELIVER_SATISFACTION = "deliver_satisfaction"
HOW_WE_SELL = "how_we_sell"
UNKNOWN = "unknown"


def clamp(x: float) -> float:
    # at 0 and at 1 either branch gives the same: < or <=, > or >= alike
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)  # pragma: no mutate (see above)


@dataclass
class Facts:
    """Everything known about one account, before scoring."""

    revenue: Decimal = Decimal(0)
    invoiced: Decimal | None = None
    overdue: Decimal = Decimal(0)
    invoices_due: int = 0
    late_days: float = 0.0
    late_months: int = 0
    due_months: int = 0
    has_invoices: bool = False
    approval_days: list[float] = field(default_factory=list)
    decision_makers: int = 0
    rating_mean: float | None = None
    ratings: int = 0
    reputation: float | None = None
    referrals: int = 0
    intent: str | None = None
    agreed_requests: int = 0
    ever_requests: int = 0
    att_answered: int = 0
    att_helped: int = 0
    experience: sources.Experience | None = None


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return float(s[mid]) if n % 2 else (s[mid - 1] + s[mid]) / 2.0


def score_parts(f: Facts, cfg: dict[str, float]) -> dict[str, dict]:
    """Each part: ``{"v": value shown, "s": score 0..1, "n": how many observations}``;
    parts without data are absent."""
    parts: dict[str, dict] = {}
    e = f.experience
    if e is not None and e.csat is not None:
        parts["satisfaction"] = {"v": round(e.csat, 4), "s": clamp(e.csat), "n": e.answers}
    if e is not None and e.csat_trend is not None:
        span = cfg["trend_span"]
        parts["trend"] = {
            "v": round(e.csat_trend, 4),
            "s": clamp(0.5 + e.csat_trend / (2 * span)),
            "n": e.answers,
        }
    if e is not None and e.promises_kept is not None and e.promises_due:
        parts["promises"] = {
            "v": round(e.promises_kept, 4),
            "s": clamp(e.promises_kept),
            "n": e.promises_due,
        }
    if f.att_answered:
        share = f.att_helped / f.att_answered
        parts["attestations"] = {"v": round(share, 4), "s": clamp(share), "n": f.att_answered}
    if f.ever_requests:
        target = cfg["repeat_target"]
        parts["repeat"] = {
            "v": f.agreed_requests,
            "s": clamp((f.agreed_requests - 1) / (target - 1)),
            "n": f.agreed_requests,
        }
    if f.intent is not None:
        parts["intent"] = {"v": f.intent, "s": INTENT_SCORE[f.intent], "n": 1}

    if f.invoiced or f.overdue:
        # nothing invoiced in the window yet something overdue: all of it is overdue
        share = min(float(f.overdue / f.invoiced), 1.0) if f.invoiced else 1.0
        parts["overdue_amount"] = {
            "v": round(share, 4),
            "s": clamp(1 - share / cfg["overdue_share_bad"]),
            "n": float(f.overdue),
        }
    if f.invoices_due:
        days = f.late_days / f.invoices_due
        parts["overdue_days"] = {
            "v": round(days, 1),
            "s": clamp(1 - days / cfg["overdue_days_bad"]),
            "n": f.invoices_due,
        }
    if f.due_months:
        share = f.late_months / f.due_months
        parts["chronic"] = {"v": round(share, 4), "s": clamp(1 - share), "n": f.late_months}
    if f.approval_days:
        med = _median(f.approval_days)
        ok, bad = cfg["approval_ok_days"], cfg["approval_bad_days"]
        parts["approvals"] = {
            "v": round(med, 1),
            "s": clamp(1 - (med - ok) / max(bad - ok, 1e-9)),
            "n": len(f.approval_days),
        }
    if f.decision_makers:
        n = f.decision_makers
        ideal, bad = cfg["decision_makers_ideal"], cfg["decision_makers_bad"]
        s = clamp(1 - (n - ideal) / max(bad - ideal, 1e-9))  # up to the ideal count: 1
        parts["decision_makers"] = {"v": n, "s": s, "n": n}
    if f.ratings:
        parts["friendliness"] = {
            "v": round(f.rating_mean, 2),
            "s": clamp((f.rating_mean - 1) / 4),
            "n": f.ratings,
        }
    if f.referrals:
        parts["reputation"] = {
            "v": round(f.reputation, 2),
            "s": clamp(f.reputation / cfg["reputation_target"]),
            "n": f.referrals,
        }
    return parts


def axis(parts: dict[str, dict], names: list[str], cfg: dict[str, float]) -> float | None:
    """Weighted mean of the parts present (weights renormalised); None without any."""
    total = weight = 0.0
    for name in names:
        p = parts.get(name)
        w = cfg[WEIGHT_KEY[name]]
        # a weight of 0 adds nothing to either sum: <= 0 or < 0 alike
        if p is None or w <= 0:  # pragma: no mutate (see above)
            continue
        total += w * p["s"]
        weight += w
    return round(total / weight, 4) if weight else None


def place(wants_us: float | None, we_want: float | None, cfg: dict[str, float]) -> int | None:
    """The seed's four groups. No data on an axis is not established; none on both: no group."""
    if wants_us is None and we_want is None:
        return None
    a = wants_us is not None and wants_us >= cfg["wants_us_threshold"]
    b = we_want is not None and we_want >= cfg["we_want_threshold"]
    if a and b:
        return 1
    if a:
        return 2
    if b:
        return 3
    return 4


def diagnose(parts: dict[str, dict], group: int | None, cfg: dict[str, float]) -> str:
    """For accounts that do not want us (3, 4): is it what we deliver, or how we sell?"""
    if group not in (3, 4):
        return ""
    promises = parts.get("promises")
    if promises is not None and promises["v"] < cfg["promises_ok"]:
        return DELIVER_PROMISES
    satisfaction = parts.get("satisfaction")
    if satisfaction is not None and satisfaction["v"] < cfg["satisfaction_ok"]:
        return DELIVER_SATISFACTION
    if promises is not None or satisfaction is not None:
        return HOW_WE_SELL
    return UNKNOWN


# --- reading the facts: a few grouped queries for every account ---------------------------


def _days(a: str, b: str) -> str:
    if connection.vendor == "postgresql":
        return f"({a} - {b})"
    return f"CAST(julianday({a}) - julianday({b}) AS INTEGER)"


def _month(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {col})"
    return f"substr({col}, 1, 7)"  # SQLite keeps dates as ISO text: YYYY-MM


_TOKEN = re.compile(r"\{(\w+)\}")


def _bind(sql: str, values: dict) -> tuple[str, list]:
    params: list = []

    def sub(m: re.Match) -> str:
        params.append(values[m.group(1)])
        return "%s"

    return _TOKEN.sub(sub, sql), params


def account_ids(only: list[int] | None = None) -> list[int]:
    """Customer organizations with anything to place them by (among ``only`` when given)."""
    org = OuterRef("pk")
    has = (
        Q(Exists(Invoice.objects.filter(organization=org)))
        | Q(Exists(Approval.objects.filter(organization=org)))
        | Q(Exists(Rating.objects.filter(organization=org)))
        | Q(Exists(Referral.objects.filter(organization=org)))
        | Q(Exists(Intent.objects.filter(organization=org)))
        | Q(Exists(CustomerRelation.objects.filter(person__organization=org, is_customer=True)))
    )
    orgs = Organization.objects.filter(is_home=False)
    if only is not None:
        orgs = orgs.filter(pk__in=only)
    # values_list() without a field gives the id first: the same
    return sorted(
        set(orgs.filter(has).values_list("pk", flat=True))
    )  # pragma: no mutate (see above)


def _among(column: str, only: list[int] | None) -> str:
    """The SQL condition that keeps the rows of the organizations ``only`` (all: None)."""
    if only is None:
        return ""
    return f" AND {column} IN ({', '.join(str(int(i)) for i in only) or 'NULL'})"


def _invoice_facts(
    facts: dict[int, Facts], as_of: date, start: date, cstart: date, only: list[int] | None
) -> None:
    late = "(due < {asof} AND (paid IS NULL OR paid > due))"
    sql = f"""
        SELECT organization_id,
          SUM(CASE WHEN paid >= {{start}} AND paid <= {{asof}} THEN amount ELSE 0 END),
          SUM(CASE WHEN issued >= {{start}} AND issued <= {{asof}} THEN amount ELSE 0 END),
          SUM(CASE WHEN issued <= {{asof}} AND due < {{asof}} AND (paid IS NULL OR paid > {{asof}})
                   THEN amount ELSE 0 END),
          SUM(CASE WHEN due >= {{start}} AND due <= {{asof}} THEN 1 ELSE 0 END),
          SUM(CASE WHEN due >= {{start}} AND due <= {{asof}} AND {late} THEN
                CASE WHEN paid IS NOT NULL AND paid <= {{asof}} THEN {_days("paid", "due")}
                     ELSE {_days("{asof}", "due")} END
              ELSE 0 END),
          COUNT(DISTINCT CASE WHEN due >= {{cstart}} AND due <= {{asof}} AND {late}
                THEN {_month("due")} END),
          COUNT(DISTINCT CASE WHEN due >= {{cstart}} AND due <= {{asof}} THEN {_month("due")} END)
        FROM {Invoice._meta.db_table}
        WHERE (due >= {{lo}} OR issued >= {{lo}} OR paid IS NULL OR paid >= {{lo}})
          {_among("organization_id", only)}
        GROUP BY organization_id
    """
    # Invoices wholly before the window and the chronic months (issued, due and paid) count for
    # nothing: the WHERE skips them before the CASEs.
    sql, params = _bind(
        sql, {"asof": as_of, "start": start, "cstart": cstart, "lo": min(start, cstart)}
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for org_id, revenue, invoiced, overdue, n_due, late_days, late_m, due_m in cursor:
            f = facts.get(org_id)
            if f is None:
                continue
            f.has_invoices = True
            f.revenue = Decimal(revenue or 0)
            f.invoiced = Decimal(invoiced or 0)
            f.overdue = Decimal(overdue or 0)
            f.invoices_due = int(n_due or 0)
            f.late_days = float(late_days or 0)
            f.late_months = int(late_m or 0)
            f.due_months = int(due_m or 0)


def _approval_facts(
    facts: dict[int, Facts], as_of: date, start: date, only: list[int] | None
) -> None:
    # pragma: no mutate start (SQL is case-blind; ``only`` narrows the read, see ``collect``)
    waited = _days(
        "CASE WHEN answered IS NOT NULL AND answered <= {asof} THEN answered ELSE {asof} END",
        "asked",
    )
    sql = f"""
        SELECT organization_id, {waited}
        FROM {Approval._meta.db_table}
        WHERE important = {{yes}} AND asked >= {{start}} AND asked <= {{asof}}
          {_among("organization_id", only)}
    """
    # pragma: no mutate end
    sql, params = _bind(sql, {"asof": as_of, "start": start, "yes": True})
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for org_id, days in cursor:
            f = facts.get(org_id)
            if f is not None:
                f.approval_days.append(max(float(days), 0.0))


def collect(
    org_ids: list[int],
    as_of: date,
    cfg: dict[str, float],
    *,
    only: bool = False,  # pragma: no mutate (narrows the reads, below)
) -> dict[int, Facts]:
    """The facts of ``org_ids``: read for every organization at once (the recompute), or with
    ``only`` for just these (a few accounts amended after a write)."""
    window = int(cfg["window_days"])
    start = as_of - timedelta(days=window)
    cstart = _months_back(as_of, int(cfg["chronic_months"]))
    facts = {o: Facts() for o in org_ids}
    # ``only`` narrows every read to ``org_ids``; the facts are kept for them alone either way
    # pragma: no mutate start (the same facts)
    among = list(org_ids) if only else None
    _invoice_facts(facts, as_of, start, cstart, among)
    _approval_facts(facts, as_of, start, among)
    # pragma: no mutate end

    def grouped(qs, *values, org="organization_id", order=()):
        """``values`` of ``qs`` (among the accounts at hand), in ``order`` — no model ordering,
        which would join the GROUP BY of an aggregate."""
        if among is not None:
            qs = qs.filter(**{f"{org}__in": among})
        return qs.order_by(*order).values_list(*values)

    for org_id, n in grouped(
        Involvement.objects.filter(
            role=Involvement.Role.DECIDES,
            date__gte=start,
            date__lte=as_of,
            person__organization__is_home=False,  # pragma: no mutate (home is no account: a narrower read)
        )
        .values("person__organization_id")
        .annotate(n=Count("person_id", distinct=True)),
        "person__organization_id",
        "n",
        org="person__organization_id",
    ):
        if org_id in facts:
            facts[org_id].decision_makers = n
    for org_id, mean, n in grouped(
        Rating.objects.filter(date__gte=start, date__lte=as_of)
        .values("organization_id")
        .annotate(mean=Avg("score"), n=Count("id")),
        "organization_id",
        "mean",
        "n",
    ):
        if org_id in facts:
            facts[org_id].rating_mean = float(mean)
            facts[org_id].ratings = n
    for org_id, kind, n in grouped(
        Referral.objects.filter(date__gte=start, date__lte=as_of)
        .values("organization_id", "kind")  # pragma: no mutate (values_list below groups by both)
        .annotate(n=Count("id")),
        "organization_id",
        "kind",
        "n",
    ):
        f = facts.get(org_id)
        if f is not None:
            weight = REFERRAL_WEIGHT.get(kind, 1.0)  # pragma: no mutate (every kind has one)
            f.reputation = (f.reputation or 0.0) + weight * n
            f.referrals += n
    for org_id, wants in grouped(
        Intent.objects.filter(date__gte=start, date__lte=as_of),
        "organization_id",
        "wants",
        order=("organization_id", "date", "id"),
    ):
        if org_id in facts:
            facts[org_id].intent = wants  # the latest one wins
    for org_id, agreed, ever in grouped(
        # pragma: no mutate start (home is no account: a narrower read)
        Request.objects.filter(requester__organization__is_home=False, opened__lte=as_of)
        # pragma: no mutate end
        .values("requester__organization_id")
        .annotate(
            agreed=Count(
                "id",
                filter=Q(status__in=Request.AGREED, opened__gte=start),  # opened by as of
            ),
            ever=Count("id"),
        ),
        "requester__organization_id",
        "agreed",
        "ever",
        org="requester__organization_id",
    ):
        if org_id in facts:
            facts[org_id].agreed_requests = agreed
            facts[org_id].ever_requests = ever
    from clientmap.voice.models import Attestation

    for org_id, answered, helped in grouped(
        # answered_at__isnull=False is implied by the date range (NULL is in no range): its
        # removal is equivalent; the other arguments are pinned by tests/fit/test_facts.py
        Attestation.objects.filter(  # pragma: no mutate (see above)
            answered_at__isnull=False,
            answered_at__date__gte=start,
            answered_at__date__lte=as_of,
            helped__isnull=False,
        )
        .values("person__organization_id")
        .annotate(answered=Count("id"), helped=Count("id", filter=Q(helped=True))),
        "person__organization_id",
        "answered",
        "helped",
        org="person__organization_id",
    ):
        if org_id in facts:
            facts[org_id].att_answered = answered
            facts[org_id].att_helped = helped
    # all organizations at once (no IN list of every account id): the others are skipped here
    for org_id, e in sources.experience(among, as_of=as_of, window_days=window).items():
        if org_id in facts:
            facts[org_id].experience = e
    return facts


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``day``'s month."""
    y, m = day.year, day.month - (months - 1)
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


# --- overrides ----------------------------------------------------------------------------


def active_overrides(as_of: date, org_ids: list[int] | None = None) -> dict[int, Override]:
    """The newest override in force per organization on ``as_of``."""
    qs = Override.objects.filter(cleared_at__isnull=True, expires__gte=as_of).order_by(
        "organization_id", "created_at", "id"
    )
    if org_ids is not None:
        qs = qs.filter(organization_id__in=org_ids)
    return {o.organization_id: o for o in qs}


# --- the recompute ------------------------------------------------------------------------


@dataclass
class Placement:
    organization_id: int
    wants_us: float | None
    we_want: float | None
    computed_group: int | None
    group: int | None
    diagnosis: str
    revenue: Decimal
    parts: dict


# ``only`` (here and in ``collect``) only narrows what is read to the accounts at hand: the same
# placements either way
def evaluate(
    facts: dict[int, Facts],
    as_of: date,
    cfg: dict[str, float],
    *,
    only: bool = False,  # pragma: no mutate (see above)
) -> list[Placement]:
    overrides = active_overrides(as_of, list(facts) if only else None)  # pragma: no mutate (above)
    out = []
    for org_id, f in facts.items():
        parts = score_parts(f, cfg)
        a = axis(parts, AXIS_A, cfg)
        b = axis(parts, AXIS_B, cfg)
        computed = place(a, b, cfg)
        o = overrides.get(org_id)
        group = o.group if o is not None else computed
        out.append(
            Placement(
                org_id,
                a,
                b,
                computed,
                group,
                diagnose(parts, computed, cfg),
                f.revenue,
                parts,
            )
        )
    return out


def _insert_snapshots(run_id: int, placements: list[Placement]) -> None:
    """One snapshot per placement, from plain values (the parts as JSON text): COPY on
    PostgreSQL, ``executemany`` on SQLite — no model instances, no per-field preparation, a
    fraction of ``bulk_create``'s time at 10 000 accounts."""
    qn = connection.ops.quote_name
    cols = (
        "recompute_id",
        "organization_id",
        "wants_us",
        "we_want",
        "computed_group",
        "group",
        "diagnosis",
        "revenue",
        "parts",
    )
    table = qn(Snapshot._meta.db_table)
    names = ", ".join(qn(c) for c in cols)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    rows = [
        (
            run_id,
            p.organization_id,
            p.wants_us,
            p.we_want,
            p.computed_group,
            p.group,
            p.diagnosis,
            str(Decimal(p.revenue).quantize(Decimal("0.01"))),
            dumps(p.parts),
        )
        for p in placements
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the server parses no SQL per row (an INSERT of 10 000 rows spends seconds
            # binding and parsing parameters; COPY a fraction of one)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(cols))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def recompute(as_of: date | None = None, *, live: bool = False) -> Recompute:
    """Place every account and record the run (a snapshot per account); ``live``: a run the
    writes of the day may amend (``refresh``)."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    cfg = config.current()
    ids = account_ids()
    facts = collect(ids, as_of, cfg)
    placements = evaluate(facts, as_of, cfg)
    with transaction.atomic():
        run = Recompute.objects.create(
            as_of=as_of,
            window_days=int(cfg["window_days"]),
            config=cfg,
            accounts=len(ids),
            live=live,
        )
        _insert_snapshots(run.pk, placements)
        run.group_counts = count_groups(run.pk)
        run.seconds = round(time.perf_counter() - started, 3)
        Recompute.objects.filter(pk=run.pk).update(
            seconds=run.seconds, group_counts=run.group_counts
        )
        if as_of == timezone.localdate() and not live:
            # current for today: readers need not run it again (a live run is made by the
            # refresh, inside ``derived.rebuild``, which records the build itself)
            derived.mark_built(TABLE)
    prune(as_of)
    return run


def count_groups(run_id: int) -> dict[str, int]:
    """How many of the run's snapshots are in each computed group: ``{"1": n, …, "none": n}``
    (one grouped query over the run's snapshots; stored on the run as ``group_counts``)."""
    rows = (
        Snapshot.objects.filter(recompute_id=run_id)
        .values_list("computed_group")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {("none" if g is None else str(g)): n for g, n in rows}


# --- pruning the history --------------------------------------------------------------------

# Every recompute of the last KEEP_DAILY_DAYS days is kept ("moves since last month" compares the
# latest with one at least 30 days older); before that, the last recompute of each month (the
# history, the timelines and the trend, month by month). A daily recompute of 10 000 accounts
# then keeps about 450 000 + 120 000 a year snapshots instead of 3.6 million a year.
KEEP_DAILY_DAYS = 45


def keep_daily_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "CLIENTMAP_FIT_KEEP_DAILY_DAYS", KEEP_DAILY_DAYS))


def prune(as_of: date | None = None) -> int:
    """Delete the recomputes (and their snapshots) the history no longer needs: older than
    ``keep_daily_days()`` before ``as_of`` and not the last of their month. Set-based: one
    DELETE of snapshots per 500 recomputes. Returns how many recomputes went."""
    as_of = as_of or timezone.localdate()
    cutoff = as_of - timedelta(days=keep_daily_days())
    last_of_month: dict[tuple[int, int], tuple[date, int]] = {}
    old = list(Recompute.objects.filter(as_of__lt=cutoff).values_list("as_of", "id"))
    for day, pk in old:
        month = (day.year, day.month)
        last_of_month[month] = max(last_of_month.get(month, (day, pk)), (day, pk))
    keep = {pk for _day, pk in last_of_month.values()}
    doomed = sorted(pk for _day, pk in old if pk not in keep)
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(doomed), 500):
            chunk = doomed[i : i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {Snapshot._meta.db_table} WHERE recompute_id IN ({marks})", chunk
            )
            cursor.execute(f"DELETE FROM {Recompute._meta.db_table} WHERE id IN ({marks})", chunk)
    return len(doomed)


# --- staleness: the one mechanism (``core.derived``) -----------------------------------------

TABLE = "fit_placements"


def parameters() -> str:
    """What the placements are built for besides their inputs: the day. Debts age and windows
    move, so a new day places everyone again (registered with ``core.derived`` in
    ``FitConfig.ready``: the first read of a day — a page, the API, the CLI — recomputes, and
    the daily runs are the history)."""
    return timezone.localdate().isoformat()


def refresh(changes: derived.Changes) -> None:
    """Bring the placements current (called by ``derived.ensure_current``). A change of a few
    accounts (a saved invoice, approval, rating, request…: ``fit/signals.py``) amends the
    latest run for just them when that run is a *live* one of today with today's settings;
    anything else — everyone, a new day, other settings, a run kept as made (the daily job's,
    an import's) — is a new live recompute as of today, unless there is nothing to place and
    nothing placed before. So the history keeps the runs as made, and at most one live run
    after each, however many single writes came in."""
    today = timezone.localdate()
    run = Recompute.objects.order_by("-id").first()
    if (
        not changes.everyone
        and run is not None
        and run.live
        and run.as_of == today
        and run.config == config.current()
    ):
        amend(run, _organizations_of(changes))
        return
    if run is None and not account_ids():
        return
    recompute(as_of=today, live=True)  # pragma: no mutate (recompute's default day is today too)


def _organizations_of(changes: derived.Changes) -> list[int]:
    from clientmap.directory.models import Person

    people = Person.objects.filter(pk__in=sorted(changes.person_ids))  # every person has one
    return sorted(
        set(changes.organization_ids) | set(people.values_list("organization_id", flat=True))
    )


def amend(run: Recompute, org_ids: list[int]) -> int:
    """Place ``org_ids`` again in ``run`` (today's recompute) from their current data: their
    snapshots are replaced (an organization that is no account any more loses its own; one that
    became one gains it), the run's count and time follow. Returns how many were placed."""
    cfg = config.current()
    ids = account_ids(org_ids)
    # pragma: no mutate start (``only`` narrows the reads, see ``evaluate``)
    placements = evaluate(collect(ids, run.as_of, cfg, only=True), run.as_of, cfg, only=True)
    # pragma: no mutate end
    with transaction.atomic():
        gone, _ = Snapshot.objects.filter(recompute=run, organization_id__in=org_ids).delete()
        _insert_snapshots(run.pk, placements)
        run.accounts = run.accounts - gone + len(placements)
        run.group_counts = count_groups(run.pk)
        run.computed_at = timezone.now()
        # a save, not an update: whoever follows the placement runs (voice's stored demand) is told
        # pragma: no mutate start (saving every field: the others are unchanged)
        run.save(update_fields=["accounts", "group_counts", "computed_at"])
        # pragma: no mutate end
    return len(placements)


def decision_makers(org_id: int, as_of: date, window_days: int):
    """The account's people with a *decides* involvement inside the window (C1)."""
    from clientmap.directory.models import Person

    start = as_of - timedelta(days=window_days)
    return Person.objects.filter(
        organization_id=org_id,
        involvements__role=Involvement.Role.DECIDES,
        involvements__date__gte=start,
        involvements__date__lte=as_of,
    ).distinct()

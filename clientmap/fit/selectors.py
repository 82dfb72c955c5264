"""Reading the fit: current placements (latest recompute + overrides in force today),
explanations, moves between groups, history, the matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientmap.directory.models import Organization
from clientmap.fit import config, rules
from clientmap.fit.models import Group, Override, Recompute, Snapshot

POLICY = {
    1: _("Extra effort: evening or weekend help, small improvements after the project ends."),
    2: _("Everything at a good level, with strict rules of the game for both sides."),
    3: _("Find out whether it is how we sell or what we deliver; grow or let go."),
    4: _("Part carefully."),
}
SHORT = {
    1: pgettext_lazy("fit group", "Top"),
    2: pgettext_lazy("fit group", "Customer wants, we are unsure"),
    3: pgettext_lazy("fit group", "Customer does not want, we do"),
    4: pgettext_lazy("fit group", "Neither"),
}
DIAGNOSIS = {
    rules.DELIVER_PROMISES: _("What we deliver: promises missed"),
    rules.DELIVER_SATISFACTION: _("What we deliver: low satisfaction with what was delivered"),
    rules.HOW_WE_SELL: _(
        "How we sell: deliveries keep their promises and satisfy, yet the customer does not want more"
    ),
    rules.UNKNOWN: _("Unknown: no satisfaction or promise data; ask the customer"),
}
PART_LABEL = {
    "satisfaction": _("Satisfaction level"),
    "trend": _("Satisfaction trend"),
    "promises": _("Promises kept"),
    "attestations": _("Attestations"),
    "repeat": _("Repeat requests"),
    "intent": _("Explicit intent"),
    "overdue_amount": _("Overdue receivables (amount)"),
    "overdue_days": _("Overdue receivables (days)"),
    "chronic": _("Chronic debt"),
    "approvals": _("Approval delays"),
    "decision_makers": _("Decision makers"),
    "friendliness": _("Friendliness"),
    "reputation": _("Reputation value"),
}
INTENT_LABEL = {
    "renew": _("renew"),
    "expand": _("expand"),
    "reduce": _("reduce"),
    "leave": _("leave"),
}


def latest() -> Recompute | None:
    return Recompute.objects.order_by("-id").first()


@dataclass
class Current:
    organization_id: int
    wants_us: float | None
    we_want: float | None
    computed_group: int | None
    group: int | None
    diagnosis: str
    revenue: Decimal
    parts: dict
    override: Override | None


def current(
    org_ids: list[int] | None = None, *, run: Recompute | None = None
) -> dict[int, Current]:
    """Placements of the latest recompute, with overrides in force *today* (an override that
    expired since the recompute no longer counts; one made since does). Two queries."""
    run = run or latest()
    if run is None:
        return {}
    qs = Snapshot.objects.filter(recompute=run)
    if org_ids is not None:
        qs = qs.filter(organization_id__in=org_ids)
    overrides = rules.active_overrides(timezone.localdate(), org_ids)
    out = {}
    for s in qs.only(
        "organization_id",
        "wants_us",
        "we_want",
        "computed_group",
        "diagnosis",
        "revenue",
        "parts",
    ):
        o = overrides.get(s.organization_id)
        out[s.organization_id] = Current(
            s.organization_id,
            s.wants_us,
            s.we_want,
            s.computed_group,
            o.group if o else s.computed_group,
            s.diagnosis,
            s.revenue,
            s.parts,
            o,
        )
    return out


def account_url(org_key: str) -> str:
    return reverse("fit:account", args=[org_key])


def account_url_maker():
    """A fast ``account_url`` for many keys: one ``reverse`` and string work per key (the same
    quoting as ``reverse``), for the matrix's thousands of points."""
    from urllib.parse import quote

    marker = "0fitkey0"
    head, tail = reverse("fit:account", args=[marker]).split(marker)
    safe = "!$&'()*+,;=/~:@"
    return lambda key: f"{head}{quote(key, safe=safe)}{tail}"


def badges(org_ids: list[int]) -> dict[int, dict]:
    """The badge of each account (hook of ``clientmap.core.hooks``). Three queries."""
    placed = current(org_ids)
    if not placed:
        return {}
    keys = dict(Organization.objects.filter(pk__in=list(placed)).values_list("pk", "key"))
    out = {}
    for org_id, c in placed.items():
        b = badge_of(c, keys[org_id])
        if b is not None:
            out[org_id] = b
    return out


def badge_of(c: Current | None, org_key: str) -> dict | None:
    if c is None or c.group is None:
        return None
    return {
        "group": c.group,
        "computed_group": c.computed_group,
        "name": SHORT[c.group],
        "policy": POLICY[c.group],
        "override": c.override is not None,
        "diagnosis": DIAGNOSIS.get(c.diagnosis) if c.diagnosis else None,
        "url": account_url(org_key),
    }


def group_by_organization() -> dict[int, int]:
    """Hook of the alert ranking: group per organization id."""
    return {o: c.group for o, c in current().items() if c.group is not None}


def revenue_by_organization() -> dict[int, float]:
    return {o: float(c.revenue) for o, c in current().items() if c.revenue}


# --- explanation --------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def _fmt_value(part: str, v) -> str:
    if part in {"satisfaction", "promises", "attestations", "overdue_amount", "chronic"}:
        return _pct(float(v))
    if part == "trend":
        return f"{float(v) * 100:+.0f} pp"
    if part == "intent":
        return str(INTENT_LABEL.get(v, v))
    if part in {"overdue_days", "approvals"}:
        return str(_("%(n)s days") % {"n": v})
    return str(v)


def _rule(part: str, cfg: dict) -> str:
    c = {k: (int(v) if float(v).is_integer() else v) for k, v in cfg.items()}
    texts = {
        "satisfaction": _("share satisfied; low below %(x)s") % {"x": _pct(cfg["satisfaction_ok"])},
        "trend": _("change of the share satisfied; %(x)s pp up scores 1, as much down 0")
        % {"x": round(cfg["trend_span"] * 100)},
        "promises": _("share of promises kept; missed below %(x)s")
        % {"x": _pct(cfg["promises_ok"])},
        "attestations": _("share of attestations saying it helped"),
        "repeat": _("agreed requests in the window; 1 scores 0, %(n)s or more score 1")
        % {"n": c["repeat_target"]},
        "intent": _("latest stated intent: renew or expand 1, reduce 0.25, leave 0"),
        "overdue_amount": _("overdue now, as a share of the window's invoicing; %(x)s scores 0")
        % {"x": _pct(cfg["overdue_share_bad"])},
        "overdue_days": _("mean days late of invoices due in the window; %(n)s days score 0")
        % {"n": c["overdue_days_bad"]},
        "chronic": _("share of the last %(m)s months with a late invoice; chronic from %(x)s")
        % {"m": c["chronic_months"], "x": _pct(cfg["chronic_share"])},
        "approvals": _(
            "median days important questions waited; %(ok)s days score 1, %(bad)s score 0"
        )
        % {"ok": c["approval_ok_days"], "bad": c["approval_bad_days"]},
        "decision_makers": _(
            "people deciding in the window; up to %(ideal)s ideal, %(bad)s score 0"
        )
        % {"ideal": c["decision_makers_ideal"], "bad": c["decision_makers_bad"]},
        "friendliness": _("staff ratings 1–5; 1 scores 0, 5 scores 1"),
        "reputation": _("referrals, case studies, awards (mentions count half); %(n)s score 1")
        % {"n": c["reputation_target"]},
    }
    return str(texts[part])


def explain(parts: dict, cfg: dict) -> dict[str, list[dict]]:
    """Both axes' parts, in order: label, value, score, weight, share of the axis, rule;
    parts without data say so and weigh nothing."""
    out = {}
    for axis_name, names in (("wants_us", rules.AXIS_A), ("we_want", rules.AXIS_B)):
        present = [n for n in names if n in parts and cfg[rules.WEIGHT_KEY[n]] > 0]
        total = sum(cfg[rules.WEIGHT_KEY[n]] for n in present)
        rows = []
        for n in names:
            p = parts.get(n)
            w = cfg[rules.WEIGHT_KEY[n]]
            rows.append(
                {
                    "part": n,
                    "label": str(PART_LABEL[n]),
                    "no_data": p is None,
                    "value": None if p is None else p["v"],
                    "shown": str(_("no data")) if p is None else _fmt_value(n, p["v"]),
                    "score": None if p is None else p["s"],
                    "count": None if p is None else p.get("n"),
                    "weight": w,
                    "share": round(w / total, 4) if p is not None and total and w > 0 else 0.0,
                    "rule": _rule(n, cfg),
                }
            )
        out[axis_name] = rows
    return out


def reasons(c: Current, cfg: dict) -> list[str]:
    """Plain-words reasons for the placement: axes against thresholds, strongest parts,
    parts without data, diagnosis, override."""
    words: list[str] = []
    ta, tb = cfg["wants_us_threshold"], cfg["we_want_threshold"]
    for value, threshold, yes, no, none in (
        (
            c.wants_us,
            ta,
            _("the customer wants us: %(v)s ≥ %(t)s"),
            _("the customer does not want us: %(v)s < %(t)s"),
            _("no data on whether the customer wants us"),
        ),
        (
            c.we_want,
            tb,
            _("we want the customer: %(v)s ≥ %(t)s"),
            _("we are unsure about the customer: %(v)s < %(t)s"),
            _("no data on whether we want the customer"),
        ),
    ):
        if value is None:
            words.append(str(none))
        else:
            words.append(
                str(
                    (yes if value >= threshold else no)
                    % {"v": f"{value:.2f}", "t": f"{threshold:.2f}"}
                )
            )
    ex = explain(c.parts, cfg)
    for rows in ex.values():
        for r in rows:
            if not r["no_data"]:
                words.append(f"{r['label']}: {r['shown']} → {r['score']:.2f}")
    missing = [r["label"] for rows in ex.values() for r in rows if r["no_data"]]
    if missing:
        words.append(str(_("no data: %(parts)s") % {"parts": ", ".join(missing)}))
    if c.diagnosis:
        words.append(str(DIAGNOSIS[c.diagnosis]))
    if c.override is not None:
        words.append(
            str(
                _("override to group %(g)s until %(d)s: %(r)s")
                % {
                    "g": c.override.group,
                    "d": c.override.expires.isoformat(),
                    "r": c.override.reason,
                }
            )
        )
    return words


def no_data_parts(parts: dict) -> list[str]:
    return [n for n in rules.AXIS_A + rules.AXIS_B if n not in parts]


def run_config(run: Recompute | None) -> dict:
    return {**config.DEFAULTS, **(run.config if run else config.current())}


# --- moves and history --------------------------------------------------------------------


def timeline(org_id: int, limit: int = 200) -> list[dict]:
    """The account's group at each recompute where it changed (oldest first)."""
    rows = list(
        Snapshot.objects.filter(organization_id=org_id)
        .order_by("-recompute_id")
        .values(
            "recompute_id", "recompute__as_of", "group", "computed_group", "wants_us", "we_want"
        )[:limit]
    )
    rows.reverse()
    start = object()
    out: list[dict] = []
    last: object = start
    for r in rows:
        if last is start or r["group"] != last:
            out.append(
                {
                    "as_of": r["recompute__as_of"],
                    "recompute": r["recompute_id"],
                    "from": None if last is start else last,
                    "group": r["group"],
                    "computed_group": r["computed_group"],
                    "wants_us": r["wants_us"],
                    "we_want": r["we_want"],
                }
            )
            last = r["group"]
    return out


def baseline(run: Recompute, days: int = 30) -> Recompute | None:
    """The recompute to compare ``run`` with: the latest one at least ``days`` older, else the
    oldest before it."""
    before = Recompute.objects.filter(pk__lt=run.pk)
    return (
        before.filter(as_of__lte=run.as_of - timedelta(days=days)).order_by("-id").first()
        or before.order_by("id").first()
    )


def moves(run: Recompute | None = None, *, since: Recompute | None = None, days: int = 30):
    """Accounts whose group differs between ``since`` (default: about a month before) and
    ``run`` (default: the latest). One query."""
    run = run or latest()
    if run is None:
        return None, []
    since = since or baseline(run, days)
    if since is None:
        return None, []
    before = Snapshot.objects.filter(recompute=since, organization_id=OuterRef("organization_id"))
    qs = (
        Snapshot.objects.filter(recompute=run)
        .annotate(before=Subquery(before.values("group")[:1]))
        .filter(~Q(before=F("group")) | Q(before__isnull=True, group__isnull=False))
        .exclude(before__isnull=True, group__isnull=True)
        .select_related("organization")
        .order_by("group", "organization__name")
    )
    return since, [
        {
            "organization": s.organization,
            "from": s.before,
            "to": s.group,
            "wants_us": s.wants_us,
            "we_want": s.we_want,
        }
        for s in qs
    ]


def history(limit: int = 50) -> list[dict]:
    """Recomputes, newest first, with the count per group and the moves from the previous run."""
    from django.db.models import Count

    runs = list(Recompute.objects.order_by("-id")[:limit])
    if not runs:
        return []
    ids = [r.pk for r in runs]
    per_group: dict[int, dict] = {r.pk: {} for r in runs}
    for rid, g, n in (
        Snapshot.objects.filter(recompute_id__in=ids)
        .values("recompute_id", "group")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("recompute_id", "group", "n")
    ):
        per_group[rid][g] = n
    out = []
    for i, r in enumerate(runs):
        prev = runs[i + 1] if i + 1 < len(runs) else None
        moved = None
        if prev is not None:
            _since, m = moves(r, since=prev)
            moved = len(m)
        out.append(
            {
                "id": r.pk,
                "as_of": r.as_of,
                "computed_at": r.computed_at,
                "accounts": r.accounts,
                "seconds": r.seconds,
                "groups": {g: per_group[r.pk].get(g, 0) for g in (1, 2, 3, 4)},
                "unplaced": per_group[r.pk].get(None, 0),
                "moves": moved,
            }
        )
    return out


def group_counts(placed: dict[int, Current]) -> dict[int, int]:
    c = {g: 0 for g in (1, 2, 3, 4)}
    for p in placed.values():
        if p.group in c:
            c[p.group] += 1
    return c


def overview() -> dict:
    """The first screen's block: key accounts (group 1) and the count per group (keys prefixed:
    they are merged into the overview's figures)."""
    placed = current()
    if not placed:
        return {"fit_counts": None, "fit_key": [], "fit_key_total": 0}
    counts = group_counts(placed)
    top_ids = [o for o, c in placed.items() if c.group == 1]
    top = sorted(((placed[o].revenue, o) for o in top_ids), key=lambda x: (-x[0], x[1]))[:10]
    orgs = Organization.objects.in_bulk([o for _, o in top])
    return {
        "fit_counts": [(g, SHORT[g], POLICY[g], counts[g]) for g in (1, 2, 3, 4)],
        "fit_key": [{"org": orgs[o], "revenue": r} for r, o in top if o in orgs],
        "fit_key_total": len(top_ids),
    }


def names() -> list[tuple[int, object, object]]:
    return [(g, SHORT[g], POLICY[g]) for g in Group.values]


def as_of_today() -> date:
    return timezone.localdate()


def org_ids_in_group(group: int):
    """A subquery of the organization ids whose group today is ``group`` (latest recompute,
    overrides in force winning) — for SQL that weights by group (voice's demand)."""
    from django.db.models import Exists

    today = timezone.localdate()
    run = latest()
    in_force = Override.objects.filter(
        organization_id=OuterRef("pk"), cleared_at__isnull=True, expires__gte=today
    )
    # The newest override in force decides; computed group otherwise.
    newest = in_force.order_by("-created_at", "-id").values("group")[:1]
    computed = Snapshot.objects.filter(
        recompute_id=run.pk if run else -1, organization_id=OuterRef("pk")
    ).values("computed_group")[:1]
    return (
        Organization.objects.annotate(
            o_group=Subquery(newest), c_group=Subquery(computed), has_o=Exists(in_force)
        )
        .filter(Q(has_o=True, o_group=group) | Q(has_o=False, c_group=group))
        .values("pk")
    )


def matrix_rows(run: Recompute | None) -> list[dict]:
    """Every account of ``run`` for the matrix and its table (no parts): two queries, the
    snapshots read by a plain cursor (no per-row model conversion at 10 000 accounts)."""
    if run is None:
        return []
    from django.db import connection

    overrides = rules.active_overrides(timezone.localdate())
    sql = (
        "SELECT s.organization_id, o.key, o.name, s.wants_us, s.we_want, s.computed_group, "
        f"s.diagnosis, CAST(s.revenue AS {'DOUBLE PRECISION' if connection.vendor == 'postgresql' else 'REAL'}) "
        f"FROM {Snapshot._meta.db_table} s JOIN {Organization._meta.db_table} o "
        "ON o.id = s.organization_id WHERE s.recompute_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk])
        rows = cursor.fetchall()
    out = []
    for org_id, key, name, a, b, computed, diagnosis, revenue in rows:
        o = overrides.get(org_id)
        g = o.group if o else computed
        out.append(
            {
                "id": org_id,
                "key": key,
                "name": name,
                "wants_us": a,
                "we_want": b,
                "computed_group": computed,
                "group": g,
                "override": o is not None,
                "diagnosis": DIAGNOSIS.get(diagnosis) if diagnosis else None,
                "diagnosis_code": diagnosis,
                "revenue": revenue or 0.0,
                "name_short": SHORT.get(g) if g else None,
            }
        )
    return out


# --- the matrix page, cached per recompute ------------------------------------------------------

MATRIX_CACHE_SECONDS = 300  # bounds how long a renamed organization keeps its old name here


def _matrix_mark(run: Recompute) -> str:
    """What the matrix of ``run`` is computed from besides the run itself (immutable once
    written): the overrides (made, cleared or expired since) and the day. One query."""
    from django.db import connection
    from django.db.models import Count, Max

    o = Override.objects.aggregate(n=Count("id"), last=Max("id"), cleared=Max("cleared_at"))
    return "|".join(
        str(x)
        for x in (
            connection.settings_dict.get("NAME"),
            run.pk,
            run.computed_at.isoformat() if run.computed_at else "",
            o["n"],
            o["last"],
            o["cleared"],
            timezone.localdate(),
        )
    )


def _cache_key(*parts) -> str:
    import hashlib

    return "clientmap:fit:" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


def matrix(run: Recompute | None) -> dict:
    """Every account of ``run`` in the table's order (group, biggest revenue, name), the count
    per group and of the unplaced: computed once per run and state of the overrides, then read
    from the cache (the matrix page at 10 000 accounts reads one cache entry, not 10 000 rows)."""
    from django.core.cache import cache

    if run is None:
        return {
            "rows": [],
            "counts": {g: 0 for g in Group.values},
            "unplaced": 0,
            "points": 0,
            "mark": "",
        }
    mark = _matrix_mark(run)
    key = _cache_key("matrix", mark)
    found = cache.get(key)
    if found is not None:
        return found
    rows = matrix_rows(run)
    counts = {g: 0 for g in Group.values}
    unplaced = 0
    for r in rows:
        if r["group"] in counts:
            counts[r["group"]] += 1
        else:
            unplaced += 1
    for r in rows:  # cached for every language: the words are put in by ``in_words``
        r["diagnosis"] = r["name_short"] = None
    rows.sort(key=lambda r: (r["group"] or 9, -r["revenue"], r["name"]))
    points = sum(1 for r in rows if r["wants_us"] is not None and r["we_want"] is not None)
    found = {
        "rows": rows,
        "counts": counts,
        "unplaced": unplaced,
        "points": points,
        "mark": mark,
    }
    cache.set(key, found, MATRIX_CACHE_SECONDS)
    return found


def in_words(rows: list[dict]) -> list[dict]:
    """Rows of ``matrix()`` (a page of them) with the diagnosis and group name in the current
    language."""
    return [
        {
            **r,
            "diagnosis": DIAGNOSIS.get(r["diagnosis_code"]) if r["diagnosis_code"] else None,
            "name_short": SHORT.get(r["group"]) if r["group"] else None,
        }
        for r in rows
    ]


def matrix_chart(run: Recompute | None, data: dict, highlight: int | None = None):
    """The 2×2 SVG of ``data`` (``matrix(run)``), cached per run, overrides, highlighted group
    and language."""
    from django.core.cache import cache
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    from clientmap.fit import svg

    key = _cache_key("chart", data["mark"], highlight, get_language())
    found = cache.get(key)
    if found is not None:
        return mark_safe(found)  # noqa: S308 - the cached SVG was escaped when it was drawn
    cfg = run_config(run)
    points = [
        svg.Point(r["key"], r["name"], r["wants_us"], r["we_want"], r["group"], r["revenue"])
        for r in data["rows"]
        if r["wants_us"] is not None and r["we_want"] is not None
    ]
    quadrants = {g: (str(SHORT[g]), str(POLICY[g]), f"?group={g}#accounts") for g in Group.values}
    chart = svg.matrix(
        points,
        threshold_x=cfg["wants_us_threshold"],
        threshold_y=cfg["we_want_threshold"],
        quadrants=quadrants,
        url_for=account_url_maker(),
        highlight=highlight,
    )
    cache.set(key, str(chart), MATRIX_CACHE_SECONDS)
    return chart

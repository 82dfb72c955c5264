"""The overview's "where should we put our extra effort": the teams whose paying customers this
month's alerts reach most often, and the people who are nobody's customer."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from django.db.models import Count
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers import summary
from clientmap.customers.models import CustomerRelation, Kind, NobodysCustomer
from clientmap.directory.models import Person, Team
from clientmap.valuechain.graph import SERVICE, TEAM, load_graph
from clientmap.valuechain.models import Alert

SHOWN = 5


def month_start(today: date | None = None) -> datetime:
    today = today or timezone.localdate()
    return timezone.make_aware(datetime.combine(today.replace(day=1), time()))


def alerts_by_team(today: date | None = None) -> dict:
    """For each team: how many of this month's alerts affect it (the alert's service is one its
    work depends on, or its own), counting only teams with paying customers, most first."""
    since = month_start(today)
    # one grouped read: the alerts per service, those of no known service under None
    per_service = dict(
        Alert.objects.filter(time__gte=since)
        .values_list("service_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(per_service.values())
    unknown = per_service.pop(None, 0)
    counts: Counter[int] = Counter()
    if per_service:
        g = load_graph()
        for service_id, n in per_service.items():
            node = g.node(SERVICE, service_id)
            if node < 0:
                continue
            order, _pred = g.bfs([node])
            for team_id in g.db_id[g.of_type(order, TEAM)].tolist():
                counts[int(team_id)] += n
    paying = (
        dict(
            CustomerRelation.objects.filter(
                team_id__in=list(counts), is_customer=True, kind=Kind.EXTERNAL_PAYING
            )
            .values_list("team_id")
            .annotate(n=Count("person", distinct=True))
            .order_by()
        )
        if counts
        else {}
    )
    names, labels = {}, {}
    if paying:
        for pk, key, name in Team.objects.filter(pk__in=list(paying)).values_list(
            "pk", "key", "name"
        ):
            names[pk], labels[pk] = key, name
    rows = sorted(
        (
            {"key": names[t], "name": labels[t], "alerts": counts[t], "paying": paying[t]}
            for t in paying
            if paying[t]
        ),
        key=lambda r: (-r["alerts"], -r["paying"], r["name"]),
    )
    top = max([r["alerts"] for r in rows] or [1])
    for r in rows:
        r["pct"] = round(100 * r["alerts"] / top)
    return {
        "since": since,
        "total": total,
        "unknown": unknown,
        "teams": rows[:SHOWN],
        "team_count": len(rows),
    }


@derived.current
def nobodys_customers(earlier: dict | None = None) -> dict:
    """People who are nobody's customer: how many, and the first few by name — both stored
    with the relations (``customers.summary``: everyone but the customers, and the list of
    nobody's customers), not every person tested against every relation. ``earlier``: the
    overview's customer figures (``people_total``, ``nobody``: the same stored row), when
    already read."""
    if earlier is not None and "people_total" in earlier and "nobody" in earlier:
        everyone, total = earlier["people_total"], earlier["nobody"]
    else:
        org = summary.organization()
        everyone, total = org.people, org.people - org.customers
    # the stored list drives the query (a semi-join on its ids), whatever the planner knows
    nobody = NobodysCustomer.objects.values("person_id")
    qs = Person.objects.filter(pk__in=nobody).order_by("name", "pk")
    return {
        "total": total,
        "people": list(qs.select_related("organization")[:SHOWN]),
        "everyone": everyone,
    }


def effort(today: date | None = None, earlier: dict | None = None) -> dict:
    try:
        alerts = alerts_by_team(today)
    except Exception:  # noqa: BLE001 — the overview must open even if the graph cannot load
        alerts = {"total": 0, "unknown": 0, "teams": [], "team_count": 0, "since": None}
    nobody = nobodys_customers(earlier)
    return {
        "effort": {
            "alerts": alerts,
            "nobody": nobody,
            "has_data": bool(alerts["total"] or nobody["everyone"]),
        }
    }


def kept_alerts(team_key: str = "", today: date | None = None) -> list:
    """This month's kept alerts as feed alerts (for the ranking page); with ``team_key``, only
    those whose service that team's work depends on (or runs)."""
    from clientmap.valuechain.feed import Alert as FeedAlert

    qs = Alert.objects.filter(time__gte=month_start(today)).select_related("service")
    rows = list(qs.order_by("-time", "key"))
    if team_key:
        team = Team.objects.filter(key=team_key).first()
        if team is None:
            return []
        g = load_graph()
        t = g.node(TEAM, team.pk)
        keep: set[int] = set()
        for sid in {a.service_id for a in rows if a.service_id}:
            node = g.node(SERVICE, sid)
            if node >= 0:
                order, _pred = g.bfs([node])
                if t in set(g.of_type(order, TEAM).tolist()):
                    keep.add(sid)
        rows = [a for a in rows if a.service_id in keep]
    return [
        FeedAlert(
            key=a.key,
            component=a.service.key if a.service_id else a.component,
            severity=a.severity,
            time=a.time.isoformat() if a.time else "",
            text=a.text,
            line=i,
        )
        for i, a in enumerate(rows, 1)
    ]

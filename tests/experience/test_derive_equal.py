"""The derivation that stores only a request's promises (fulfilled, due) and the notices, and reads
its opened, accepted and declined touchpoints from the requests (``derive.events``), gives
exactly the touchpoints of the old definition — every kind stored — on random worlds
(``tests.factories.random_world``): as a whole, and on each person's journey (every team, one
team), page and API."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clientmap.engagements.models import Request
from clientmap.experience import derive, selectors
from clientmap.experience.models import Touchpoint
from clientmap.valuechain.models import ImpactNotice
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NO = "CAST(NULL AS integer)"
OLD_KINDS = ("opened", "accepted", "fulfilled", "declined", "due", "notice")


def _old_select() -> str:
    """The derived touchpoints as the old definition stored them: one row per request for each
    of opened, accepted (when known), fulfilled (with a closing date; its delay), declined (on
    its closing date, else its latest known date), due (an agreed open request's target), and
    one per impact notice. Columns: person, team, service, request, notice, kind, day, delay,
    comment (the subject of a notice). Written out here on purpose: it is the reference."""
    days = (
        "(r.closed - r.target)"
        if connection.vendor == "postgresql"
        else "CAST(julianday(r.closed) - julianday(r.target) AS integer)"
    )
    late = f"CASE WHEN r.target IS NULL THEN NULL WHEN r.closed > r.target THEN {days} ELSE 0 END"
    base = (
        "SELECT r.requester_id AS person_id, r.team_id AS team_id, r.service_id AS service_id, "
        "r.id AS request_id, CAST(NULL AS bigint) AS notice_id, '{kind}' AS kind, {day} AS day, "
        "{delay} AS delay, '' AS comment FROM engagements_request r WHERE {cond}"
    )
    notice_day = (
        "CAST(n.sent_at AS date)" if connection.vendor == "postgresql" else "date(n.sent_at)"
    )
    return " UNION ALL ".join(
        [
            base.format(kind="opened", day="r.opened", delay=NO, cond="1 = 1"),
            base.format(kind="accepted", day="r.accepted", delay=NO, cond="r.accepted IS NOT NULL"),
            base.format(
                kind="fulfilled",
                day="r.closed",
                delay=late,
                cond="r.status = 'fulfilled' AND r.closed IS NOT NULL",
            ),
            base.format(
                kind="declined",
                day="COALESCE(r.closed, r.accepted, r.opened)",
                delay=NO,
                cond="r.status = 'declined'",
            ),
            base.format(
                kind="due",
                day="r.target",
                delay=NO,
                cond="r.target IS NOT NULL AND r.status IN ('accepted', 'in_progress')",
            ),
            f"SELECT n.person_id, sv.team_id, n.service_id, CAST(NULL AS bigint), n.id, 'notice', "
            f"{notice_day}, {NO}, n.subject FROM valuechain_impactnotice n "
            "LEFT JOIN catalog_service sv ON sv.id = n.service_id",
        ]
    )


def _rows(sql: str, params=()) -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return Counter(tuple(None if v is None else str(v) for v in row) for row in cursor)


def _world(seed: int):
    """A random world (factories.random_world) whose requests get random accepted, closing and
    target dates (some missing), services, and a few impact notices and recorded touchpoints."""
    rnd = random.Random(seed)
    people, teams = f.random_world(rnd, people=12, teams=4, requests=150)
    services = [f.service(t) for t in teams]
    for r in Request.objects.order_by("id"):
        accepted = r.opened + timedelta(days=rnd.randrange(0, 5)) if rnd.random() < 0.7 else None
        closed = (
            (accepted or r.opened) + timedelta(days=rnd.randrange(0, 60))
            if rnd.random() < 0.6
            else None
        )
        target = accepted + timedelta(days=rnd.randrange(0, 30)) if accepted else None
        Request.objects.filter(pk=r.pk).update(
            accepted=accepted,
            closed=closed,
            target=target if rnd.random() < 0.8 else None,
            service=rnd.choice([None, *[s for s in services if s.team_id == r.team_id]]),
        )
    for i in range(6):
        ImpactNotice.objects.create(
            person=rnd.choice(people),
            service=rnd.choice(services) if rnd.random() < 0.7 else None,
            subject=f"notice {i}",
            sent_at=timezone.now() - timedelta(days=rnd.randrange(1, 50)),
        )
    for i in range(8):  # recorded ones, of the derived kinds too: never rebuilt, always shown
        Touchpoint.objects.create(
            person=rnd.choice(people),
            team=rnd.choice([None, *teams]),
            kind=rnd.choice(["meeting", "opened", "declined"]),
            day=TODAY - timedelta(days=rnd.randrange(400)),
            key=f"rec-{seed}-{i}",
        )
    return people, teams


def _now_derived() -> Counter:
    """Every derived touchpoint as the new derivation gives it: stored, and read from requests."""
    stored = _rows(
        "SELECT person_id, team_id, service_id, request_id, notice_id, kind, day, delay, comment "
        f"FROM {derive.TABLE} WHERE derived = {derive._true()}"
    )
    read = _rows(
        "SELECT person_id, team_id, service_id, request_id, NULL, kind, day, NULL, '' "
        f"FROM ({derive._event_select()}) e"
    )
    return stored + read


def _entry(tp: Touchpoint) -> tuple:
    return (tp.kind, str(tp.day), tp.request_id, tp.team_id, tp.service_id, tp.derived)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_derivation_equals_the_old_definition(seed) -> None:
    people, teams = _world(seed)
    derive.derive()
    old = _rows(_old_select())
    assert sum(old.values()) > 300 and {k for (_p, _t, _s, _r, _n, k, *_x) in old} == set(OLD_KINDS)
    assert _now_derived() == old
    # nothing of what is read from the requests is stored
    assert not Touchpoint.objects.filter(derived=True, kind__in=derive.EVENT_KINDS).exists()


@pytest.mark.parametrize("seed", [21, 22])
def test_every_journey_shows_the_old_touchpoints(seed, staff_client) -> None:
    people, teams = _world(seed)
    derive.derive()
    old = _rows(
        f"SELECT person_id, kind, day, request_id, team_id, service_id FROM ({_old_select()}) o"
    )
    for person in people:
        for team in (None, *teams):
            expected = Counter(
                (
                    kind,
                    day,
                    None if r is None else int(r),
                    None if t is None else int(t),
                    None if s is None else int(s),
                    True,
                )
                for (p, kind, day, r, t, s), n in old.items()
                for _ in range(n)
                if int(p) == person.pk and (team is None or t == str(team.pk))
            )
            mine = Touchpoint.objects.filter(derived=False, person=person)
            if team is not None:
                mine = mine.filter(team=team)
            expected += Counter(_entry(tp) for tp in mine)
            j = selectors.journey(person, team=team, limit=0)
            timeline = j["timeline"]
            items = timeline[0 : timeline.count()]
            got = Counter(_entry(i["tp"]) for i in items if i["type"] == "touchpoint")
            assert got == expected, (person.key, team and team.key)
            days = [i["day"] for i in items]
            assert days == sorted(days, reverse=True)  # newest first
    # page by page (each slice reads the newest of each source only), the same entries
    busiest = max(people, key=lambda p: Request.objects.filter(requester=p).count())
    timeline = selectors.journey(busiest, limit=0)["timeline"]
    whole = [(i["day"], i["type"], i.get("tp") and _entry(i["tp"])) for i in timeline[0:10_000]]
    paged = [
        (i["day"], i["type"], i.get("tp") and _entry(i["tp"]))
        for start in range(0, timeline.count(), 7)
        for i in timeline[start : start + 7]
    ]
    assert len(whole) == timeline.count() > 20 and Counter(paged) == Counter(whole)
    assert [x[0] for x in paged] == [x[0] for x in whole]
    # the API gives the same entries, newest first
    body = staff_client.get(f"/api/experience/people/{busiest.key}/journey?limit=1000").json()
    items = selectors.journey(busiest, limit=0)["timeline"]
    touchpoints = [i["tp"] for i in items[0 : items.count()] if i["type"] == "touchpoint"]
    assert body["count"] == len(touchpoints)
    assert Counter((x["kind"], x["day"], x["request"]) for x in body["items"]) == Counter(
        (t.kind, str(t.day), t.request.key if t.request_id else None) for t in touchpoints
    )
    assert [x["day"] for x in body["items"]] == sorted(
        (x["day"] for x in body["items"]), reverse=True
    )

"""Every main page and list endpoint runs the same number of SQL queries in a small world and in
one three times bigger: an N+1 (a query per row) fails here. The pinned numbers are what each
page costs today, warm (the value-chain graph cached, derived tables current); when a change
adds a query on purpose, update its pin and say why in the commit.

Measured with Django's ``CaptureQueriesContext`` — the same as ``django_assert_num_queries``,
but one world is built once per size for every page.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientmap.core import derived
from clientmap.customers import rules
from clientmap.voice import services as voice
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date.today()

# name: url
PAGES = {
    "home": "/",
    "teams": "/teams/",
    "team": "/teams/qt-0/",
    "team-prospects": "/teams/qt-0/?status=prospects",
    "evidence": "/teams/qt-0/evidence/qp-0/",
    "people": "/people/",
    "person": "/people/qp-0/",
    "organizations": "/directory/",
    "organization": "/directory/qo-0/",
    "value-map": "/value-chain/",
    "value-team": "/value-chain/teams/qt-0/",
    "value-service": "/value-chain/services/qs-0/",
    "unreached": "/value-chain/no-paying-customer/",
    "cycles": "/value-chain/cycles/",
    "alerts": "/value-chain/alerts/",
    "voice-portal": "/voice/",
    "voice-portal-by-demand": "/voice/?sort=demand",
    "voice-wish": "/voice/wishes/qw-0/",
    "voice-coverage": "/voice/coverage/",
    "imports": "/imports/",
    "api-team-customers": "/api/customers/teams/qt-0/customers",
    "api-evidence": "/api/customers/teams/qt-0/customers/qp-0/evidence",
    "api-person": "/api/customers/people/qp-0",
    "api-organizations": "/api/directory/organizations",
    "api-units": "/api/directory/units",
    "api-people": "/api/directory/people",
    "api-teams": "/api/directory/teams",
    "api-team": "/api/directory/teams/qt-0",
    "api-reach": "/api/valuechain/teams/qt-0/reach",
    "api-impact": "/api/valuechain/services/qs-0/impact",
    "api-lens": "/api/valuechain/teams/qt-0/lens",
    "api-cycles": "/api/valuechain/cycles",
    "api-isolated": "/api/valuechain/isolated-services",
    "api-unreached": "/api/valuechain/teams-without-paying-customers",
    "api-wishes": "/api/voice/wishes",
    "api-wishes-by-demand": "/api/voice/wishes?sort=demand",
    "api-coverage": "/api/voice/coverage",
    "api-import-jobs": "/api/imports/jobs",
}

# Queries per page, warm. Every request pays 2 for the session and the user and 1 for
# ``derived.ensure_current`` (nothing stale; asked once per request, the selectors' and the
# graph's later calls answer from it, the graph's version included — 1–2 fewer on every page
# that asked again); pages with fit badges (the accounts are placed by
# ``derived`` on the day's first read) pay 2–3 for the latest run, its snapshots and overrides.
# Regenerate: CLIENTMAP_PRINT_QUERY_PINS=1 pytest -s.
PINS: dict[str, int] = {
    "home": 15,  # -9: derived.ensure_current once per request (and the graph's version from it), the
    # month's alerts in one grouped read, the experience fingerprint once, the team count read
    # with the stored summary, nobody's customers counted from the customers block; -2: the
    # request totals and the asking teams in one query (the open wishes: a stored row, not a
    # count), "how well served" in one when nothing is measured
    "teams": 6,
    "team": 15,  # + the team links (its services)
    "team-prospects": 15,
    "evidence": 11,
    "people": 6,
    "person": 12,  # +1: customer-of says why requests to the own team did not count
    "organizations": 7,
    "organization": 15,
    "value-map": 4,  # + the teams of the highlight form
    "value-team": 11,  # + the team links; +1: the reach set of the teams reached (its counts: one more, by join, for a small set as here; none for a large one)
    "value-service": 17,  # + the team links, the recipients shown before sending; -2: the recipients, their counts and languages read from the reach set (a join of its teams here; stored rows for a large set), not from per-person EXISTS over the team list
    "unreached": 4,
    "cycles": 3,
    "alerts": 4,
    "voice-portal": 6,  # demand stored on the wish (voice.store)
    "voice-portal-by-demand": 6,
    "voice-wish": 10,
    "voice-coverage": 5,  # coverage and attestation in two aggregates; no team list, no home
    "imports": 4,
    "api-team-customers": 10,
    "api-evidence": 10,
    "api-person": 9,  # +1: the same reason
    "api-organizations": 9,
    "api-units": 5,
    "api-people": 9,
    "api-teams": 5,
    "api-team": 6,
    "api-reach": 7,  # +1: the reach set of the teams reached
    "api-impact": 8,  # +1: the reach set of the teams reached
    "api-lens": 7,
    "api-cycles": 3,
    "api-isolated": 3,
    "api-unreached": 4,
    "api-wishes": 5,
    "api-wishes-by-demand": 5,
    "api-coverage": 5,  # the same two aggregates
    "api-import-jobs": 4,
}


def grow(n: int) -> None:
    """A world of ``n`` teams (two services each, chained), ``3 n`` people in three
    organizations (one paying), requests, involvements, memberships, wishes and votes."""
    home = f.home_org(key="qo-home")
    orgs = [f.org(key=f"qo-{i}", name=f"Org {i}") for i in range(3)]
    units = [f.unit(orgs[i % 3], key=f"qu-{i}") for i in range(n)]
    teams = [f.team(key=f"qt-{i}", name=f"Team {i}") for i in range(n)]
    services = []
    for i, t in enumerate(teams):
        services += [f.service(t, key=f"qs-{i}"), f.service(t, key=f"qs-{i}-b")]
    for a, b in zip(services, services[1:], strict=False):
        f.consumes(b, a)
    f.consumes(orgs[0], services[-1])
    f.consumes(units[0], services[0])
    people = [
        f.person(orgs[i % 3] if i % 4 else home, key=f"qp-{i}", name=f"Person {i}")
        for i in range(3 * n)
    ]
    for i, p in enumerate(people):
        t = teams[i % n]
        f.request(p, t, key=f"qr-{i}", payment="cash" if i % 3 == 1 else "free", opened=TODAY)
        f.request(p, t, key=f"qr-{i}-x", status="declined", opened=TODAY - timedelta(days=3))
        f.involvement(p, teams[(i + 1) % n], "specifies", date=TODAY)
    for i in range(n):
        f.team(key=f"qt-m-{i}", members=[people[i]])
    for i in range(n):
        w = voice.submit_wish(people[i], f"Wish number {i}", key=f"qw-{i}")
        for p in people[: 2 + i % 3]:
            voice.vote(w, p)
        voice.comment(w, people[-1], "me too")
    rules.recompute()
    derived.ensure_current()


def measure(client, url: str) -> int:
    assert client.get(url).status_code == 200, url  # warm: graph cached, tables current
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def staff(client):
    client.force_login(f.user("qc-staff", staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("n", [3, 9])
def test_query_counts_do_not_grow_with_the_world(staff, n):
    grow(n)
    measured = {name: measure(staff, url) for name, url in PAGES.items()}
    if os.environ.get("CLIENTMAP_PRINT_QUERY_PINS"):
        print({k: v for k, v in measured.items()})
    wrong = {
        name: (count, PINS.get(name)) for name, count in measured.items() if PINS.get(name) != count
    }
    assert not wrong, f"(measured, pinned) per page at n={n}: {wrong}"

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from clientmap.customers import rules
from tests import factories as f


@pytest.fixture
def world(home):
    """A team with one customer of every kind, a lapsed one, a prospect and a manager."""
    acme = f.org(key="acme", name="Acme Corp")
    library = f.org(key="library", name="City Library")
    member = f.person(key="member", name="Mia Member")
    t = f.team(key="apps", name="Application team", members=[member])
    other = f.team(key="idle", name="Idle team")
    svc = f.service(t, key="svc-erp", name="ERP hosting")
    boss = f.person(key="boss", name="Bea Boss")
    alice = f.person(key="alice", name="Alice Internal", manager=boss)
    bob = f.person(acme, key="bob", name="Bob Paying", email="bob@acme.example")
    carol = f.person(library, key="carol", name="Carol Nonpaying")
    dave = f.person(key="dave", name="Dave Lapsed")
    erin = f.person(key="erin", name="Erin Prospect")
    loner = f.person(key="loner", name="Lou Loner")
    f.request(alice, t, key="REQ-A1", title="New report", status="fulfilled")
    f.request(bob, t, key="REQ-B1", title="Licences", payment="cash", service=svc)
    f.involvement(carol, t, "decides", source="Signed the order")
    f.involvement(dave, t, "specifies", date=date.today() - timedelta(days=800))
    f.request(erin, t, key="REQ-E1", status="declined")
    rules.recompute()
    return SimpleNamespace(
        team=t,
        other=other,
        service=svc,
        member=member,
        boss=boss,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        erin=erin,
        loner=loner,
        acme=acme,
        library=library,
    )


@pytest.fixture
def web(client, world):
    client.force_login(f.user("webstaff", staff=True))
    return client

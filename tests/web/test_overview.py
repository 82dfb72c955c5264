"""The overview answers the four questions: each block renders its figures (with links to the
page that explains them) on a world with data, and says "No data yet" on an empty one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientmap.engagements.models import Request
from clientmap.valuechain.models import Alert
from clientmap.voice.models import Vote, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKS = ["who", "ask", "served", "effort"]


def block(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    ends = [html.find(f'id="{other}"', start + 1) for other in BLOCKS if other != name]
    ends = [e for e in ends if e > start]
    return html[start : min(ends) if ends else len(html)]


def test_empty_world_says_no_data_yet_in_every_block(staff_client) -> None:
    html = staff_client.get("/").content.decode()
    for name in BLOCKS:
        assert "No data yet" in block(html, name), name


def world():
    """A team with a paying customer, requests on time and late, a wish with votes, an alert."""
    today = timezone.localdate()
    f.home_org()
    client_org = f.org(key="acme", name="Acme")
    team = f.team(key="t-ops", name="Operations")
    svc = f.service(team, key="svc-ops", name="Operations service")
    f.consumes(client_org, svc)
    buyer = f.person(client_org, key="buyer", name="Bea Buyer")
    f.person(client_org, key="idle", name="Ida Idle")
    for i, late in enumerate([False, False, True]):
        closed = today - timedelta(days=5 + i)
        f.request(
            buyer,
            team,
            key=f"R{i}",
            status="fulfilled",
            payment="cash",
            opened=closed - timedelta(days=10),
            accepted=closed - timedelta(days=9),
            target=closed + (timedelta(days=-1) if late else timedelta(days=1)),
            closed=closed,
        )
    f.request(buyer, team, key="R-open", status="accepted", payment="cash", opened=today)
    wish = Wish.objects.create(
        key="W1", author=buyer, title="Faster exports", team=team, vote_count=1
    )
    Vote.objects.create(wish=wish, person=buyer)
    Alert.objects.create(key="A1", component="svc-ops", service=svc, time=timezone.now())
    from clientmap.customers import rules

    rules.recompute()
    from clientmap.valuechain import rules as vc

    vc.invalidate()
    return team


def test_each_block_shows_its_figures_with_links(staff_client) -> None:
    team = world()
    html = staff_client.get("/").content.decode()
    who, ask, served, effort = (block(html, n) for n in BLOCKS)
    assert "No data yet" not in html
    assert "?status=customer" in who
    # what they ask: one open request for the team, one wish with its weighted demand
    assert f"?team={team.key}&amp;status=open" in ask and ">1</a>" in ask
    assert "Faster exports" in ask and "1 vote" in ask and "/voice/wishes/W1/" in ask
    # how well served: 2 of 3 on time = 67 %
    assert "67 %" in served and "2 of 3 requests" in served
    assert f"?team={team.key}&amp;status=fulfilled" in served
    # where to put effort: the team's paying customer is reached by this month's alert
    assert "Operations" in effort and "1 alert" in effort
    assert "Ida Idle" in effort and "?status=nobody" in effort


def test_request_list_pages_sorts_and_filters(staff_client) -> None:
    team = f.team(key="t-a", name="Alpha")
    other = f.team(key="t-b", name="Beta")
    p = f.person(key="p", name="Pat")
    today = timezone.localdate()
    for i in range(60):
        f.request(p, team, key=f"K{i:03d}", status="submitted", opened=today - timedelta(days=i))
    f.request(p, other, key="OTHER", status="fulfilled", opened=today)
    first = staff_client.get("/requests/?team=t-a&sort=key").content.decode()
    assert "60 requests" in first and "K000" in first and "K055" not in first
    assert "Page 1 of 2" in first
    second = staff_client.get("/requests/?team=t-a&sort=key&page=2").content.decode()
    assert "K055" in second and "OTHER" not in second
    desc = staff_client.get("/requests/?team=t-a&sort=-key").content.decode()
    assert desc.index("K059") < desc.index("K058")
    recent = staff_client.get("/requests/?since=5").content.decode()
    assert "K003" in recent and "K010" not in recent and "OTHER" in recent
    assert Request.objects.count() == 61

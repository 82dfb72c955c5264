"""The wish portal in a customer's hands, and triage in staff hands."""

from __future__ import annotations

import pytest
from django.core import mail

from clientmap.voice import services
from clientmap.voice.models import Attestation, Vote, Wish
from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    demo.load()


def test_customer_loop_submit_suggest_vote_status_mail_attest(client, world) -> None:
    client.login(username="portal", password=demo.PASSWORD)
    assert client.get("/voice/").status_code == 200
    # internal pages send a portal user to the portal
    assert client.get("/teams/").url.endswith("/voice/")
    client.post("/voice/new/", {"title": "Export expense reports to Excel", "text": "monthly"})
    wish = Wish.objects.get()
    # typing a similar wish suggests the existing one
    hint = client.get("/voice/similar/", {"title": "excel export of expense reports"})
    assert wish.title in hint.content.decode()
    # another customer votes (htmx), once
    client.logout()
    member = f.user("voter", person=f.person(email="voter@example.org"))
    client.force_login(member)
    r = client.post(f"/voice/wishes/{wish.key}/vote/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Take my vote back" in r.content.decode()
    client.post(f"/voice/wishes/{wish.key}/vote/")
    wish.refresh_from_db()
    assert wish.vote_count == 1
    # staff delivers it: the author is told by mail and asked to attest
    client.force_login(f.user("triager", staff=True))
    client.post(f"/voice/wishes/{wish.key}/triage/", {"action": "status", "status": "delivered"})
    assert any("delivered" in m.body for m in mail.outbox)
    att = Attestation.objects.get(wish=wish, person=wish.author)
    sent = next(m.body for m in mail.outbox if "/voice/attest/" in m.body)
    token = sent.split("/voice/attest/")[1].split("/")[0]
    client.logout()
    page = client.get(f"/voice/attest/{token}/")  # works without a login: the token is the key
    assert page.status_code == 200
    client.post(f"/voice/attest/{token}/", {"helped": "yes", "comment": "yes"})
    client.post(f"/voice/attest/{token}/", {"helped": "no"})  # once only
    assert Attestation.objects.get(pk=att.pk).helped is True
    assert "answer is recorded" in client.get(f"/voice/attest/{token}/").content.decode()


def test_staff_merge_redirects_the_duplicate(client, world) -> None:
    author = f.person()
    a = services.submit_wish(author, "Dark mode")
    b = services.submit_wish(author, "Night theme")
    services.vote(b, f.person())
    client.force_login(f.user("triager", staff=True))
    r = client.post(f"/voice/wishes/{b.key}/triage/", {"action": "merge", "into": a.key})
    assert r.url.endswith(f"/voice/wishes/{a.key}/")
    assert client.get(f"/voice/wishes/{b.key}/").url.endswith(f"/voice/wishes/{a.key}/")
    assert Vote.objects.filter(wish=a).count() == 1


def test_non_staff_cannot_triage_and_outsiders_cannot_see_private(client, world) -> None:
    acme, globex = f.org(key="acme"), f.org(key="globex")
    a = f.person(organization=acme)
    private = services.submit_wish(a, "Acme only", visibility=Wish.Visibility.ORGANIZATION)
    client.force_login(f.user(person=f.person(organization=globex)))
    assert (
        client.get(f"/voice/wishes/{private.key}/").status_code == 404
    )  # never 403: it does not exist for them
    r = client.post(
        f"/voice/wishes/{private.key}/triage/", {"action": "status", "status": "declined"}
    )
    assert r.status_code == 403
    private.refresh_from_db()
    assert private.status == "new"


def test_coverage_page_for_internal_users(client, world) -> None:
    client.login(username="member", password=demo.PASSWORD)
    assert client.get("/voice/coverage/").status_code == 200
    client.login(username="portal", password=demo.PASSWORD)
    assert client.get("/voice/coverage/").status_code == 302  # portal users go to the portal


def test_coverage_page_filters_by_a_team_picked_by_key(client) -> None:
    """The team is a searchable key field (thousands of teams are not rendered into the page):
    a key shows that team's figures, a typo says so and shows every team's."""
    f.home_org()
    mine, other = f.team(key="t-mine", name="Mine"), f.team(key="t-other", name="Other")
    author = f.person()
    for team, n in ((mine, 2), (other, 3)):
        for i in range(n):
            services.submit_wish(author, f"{team.key} wish {i}", team=team)
    client.force_login(f.user("cov-staff", staff=True))
    page = client.get("/voice/coverage/").content.decode()
    assert 'list="pick-team"' in page and "t-other" not in page  # no option per team
    r = client.get("/voice/coverage/", {"team": "t-mine"})
    assert r.context["team"] == mine and r.context["coverage"]["all"]["wishes"] == 2
    assert 'value="t-mine"' in r.content.decode()
    r = client.get("/voice/coverage/", {"team": "t-typo"})
    assert r.context["team"] is None and r.context["coverage"]["all"]["wishes"] == 5
    assert "No team has the key “t-typo”" in r.content.decode()

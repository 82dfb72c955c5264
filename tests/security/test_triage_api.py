"""Everything triage does in the UI, a script can do: merge and cover through the API, with a
read-write token (staff only), recorded in the audit log like the web form."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from clientmap.core.models import AuditEvent
from clientmap.voice import services
from clientmap.voice.models import Vote, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def wishes(home):
    a, b = f.person(key="va"), f.person(key="vb")
    dup = services.submit_wish(a, "Dark mode", key="W/dup 1")  # a key with "/" and a space
    survivor = services.submit_wish(b, "A dark theme", key="W-survivor")
    services.vote(dup, a)
    services.vote(dup, b)
    services.vote(survivor, b)  # votes on both: counts once
    f.service(key="svc/themes", name="Themes")
    return dup, survivor


def post(client, path: str, body: dict, headers: dict):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_staff_merges_and_covers_with_a_read_write_token(client, wishes):
    dup, survivor = wishes
    staff = f.user("triage-bot", staff=True)
    auth = f.bearer(staff)
    r = post(client, "/api/voice/wishes/W%252Fdup%201/merge", {"into": "W-survivor"}, auth)
    assert r.status_code == 200, r.content
    assert r.json()["key"] == "W-survivor" and r.json()["votes"] == 2
    dup.refresh_from_db()
    assert dup.merged_into_id == survivor.pk
    assert set(Vote.objects.filter(wish=survivor).values_list("person__key", flat=True)) == {
        "va",
        "vb",
    }
    event = AuditEvent.objects.get(action="wish.merge")
    assert event.user == staff and event.object_key == "W/dup 1"

    r = post(client, "/api/voice/wishes/W-survivor/cover", {"service": "svc/themes"}, auth)
    assert r.status_code == 200 and r.json() == {"key": "W-survivor", "covered_by": ["svc/themes"]}
    assert list(survivor.covered_by.values_list("key", flat=True)) == ["svc/themes"]
    assert AuditEvent.objects.get(action="wish.cover").user == staff


@pytest.mark.parametrize("who", ["read-only staff token", "team member", "portal user"])
def test_only_a_staff_read_write_token_may_triage(client, wishes, who):
    if who == "read-only staff token":
        auth = f.bearer(f.user("ro", staff=True), read_only=True)
    elif who == "team member":
        m = f.person(key="tm")
        f.team(members=[m])
        auth = f.bearer(f.user("tm", person=m))
    else:
        auth = f.bearer(f.user("pu", person=f.person(f.org(), key="pu")))
    for path, body in (
        ("/api/voice/wishes/W-survivor/cover", {"service": "svc/themes"}),
        ("/api/voice/wishes/W%252Fdup%201/merge", {"into": "W-survivor"}),
    ):
        assert post(client, path, body, auth).status_code == 403
    assert not Wish.objects.filter(merged_into__isnull=False).exists()
    assert not AuditEvent.objects.filter(action__in=["wish.merge", "wish.cover"]).exists()


def test_a_browser_session_still_needs_its_csrf_token(wishes):
    c = Client(enforce_csrf_checks=True)
    c.force_login(f.user("sess", staff=True))
    r = c.post(
        "/api/voice/wishes/W-survivor/cover",
        json.dumps({"service": "svc/themes"}),
        content_type="application/json",
    )
    assert r.status_code == 403 and not AuditEvent.objects.filter(action="wish.cover").exists()


def test_wrong_keys_get_a_clear_4xx(client, wishes):
    auth = f.bearer(f.user("t", staff=True))
    cases = [
        ("/api/voice/wishes/nope/merge", {"into": "W-survivor"}, 404, "No such wish"),
        ("/api/voice/wishes/W-survivor/merge", {"into": "nope"}, 404, "nope"),
        ("/api/voice/wishes/W-survivor/merge", {"into": "W-survivor"}, 400, "itself"),
        ("/api/voice/wishes/W-survivor/cover", {"service": "nope"}, 404, "nope"),
        ("/api/voice/wishes/W-survivor/cover", {}, 422, "service"),
    ]
    for path, body, status, says in cases:
        r = post(client, path, body, auth)
        assert r.status_code == status and says in r.content.decode(), (path, body, r.content)

"""The CLI and the API give the same figures as the pages."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from clientmap.experience.models import Survey
from tests import factories as f
from tests.experience.test_pages import chain, survey_answer  # noqa: F401

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_satisfaction_cli_json(chain) -> None:  # noqa: F811
    survey_answer(chain["buyer"], chain["apps"], 5)
    survey_answer(chain["user"], chain["apps"], 2)
    data = json.loads(run("satisfaction", "--json"))
    apps = next(g for g in data["groups"] if g["key"] == "apps")
    assert apps["answers"] == 2 and apps["csat"] == 0.5
    data = json.loads(run("satisfaction", "--by", "organization", "--team", "apps", "--json"))
    assert [g["key"] for g in data["groups"]] == ["acme"]
    assert "CSAT" in run("satisfaction", "--by", "kind")


def test_never_asked_cli(chain) -> None:  # noqa: F811
    data = json.loads(run("never_asked", "--team", "apps", "--json"))
    assert data["people"][0]["key"] == "buyer" and data["total"] == 3


def test_surveys_cli(chain, mailoutbox) -> None:  # noqa: F811
    req = chain["buyer"].requests.first()
    data = json.loads(run("surveys", "send", "--request", req.key, "--json"))
    assert data["sent"] == 1
    data = json.loads(run("surveys", "send", "--segment", "organization:acme", "--json"))
    assert data["sent"] == 1 and data["skipped"]["quiet_period"] == 1
    assert json.loads(run("surveys", "remind", "--json")) == {"reminded": 0}
    links = run("surveys", "links")
    assert links.count("/experience/s/") == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("surveys", "send", "--segment", "planet:mars")


def test_api(chain, client) -> None:  # noqa: F811
    staff = f.user("api-staff", staff=True)
    auth = f.bearer(staff)
    survey_answer(chain["buyer"], chain["apps"], 4)
    r = client.get("/api/experience/satisfaction?by=team", **auth)
    assert r.status_code == 200
    assert any(g["key"] == "apps" and g["csat"] == 1 for g in r.json()["groups"])
    r = client.get("/api/experience/answers", **auth)
    assert r.json()["items"][0]["score"] == 4
    r = client.post(
        "/api/experience/touchpoints",
        {"person": "buyer", "kind": "survey", "day": "2026-01-02", "score": 2, "team": "apps"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    bad = client.post(
        "/api/experience/touchpoints",
        {"person": "buyer", "kind": "survey", "day": "2026-01-02", "score": 9},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400
    r = client.post(
        "/api/experience/surveys/send",
        {"segment": {"team": "apps"}},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["sent"] >= 1
    assert Survey.objects.exists()
    r = client.get("/api/experience/never-asked?team=apps", **auth)
    assert r.status_code == 200
    r = client.get("/api/experience/teams/storage/value-chain", **auth)
    assert r.json()["paying_organizations"] == 1
    r = client.get("/api/experience/people/buyer/journey", **auth)
    assert r.status_code == 200 and r.json()["count"] >= 1
    del staff


def test_api_refuses_portal_users_and_writes_by_members(chain, client) -> None:  # noqa: F811
    portal = f.user("portal-u", person=chain["buyer"])
    auth = f.bearer(portal)
    assert client.get("/api/experience/answers", **auth).status_code in (401, 403, 404)
    dev = f.person(key="dev-x")
    chain["apps"].members.add(dev)
    member = f.user("member-u", person=dev)
    auth = f.bearer(member)
    assert client.get("/api/experience/answers", **auth).status_code == 200
    r = client.post("/api/experience/surveys/remind", **auth)
    assert r.status_code == 403


def test_never_asked_api_refuses_a_negative_offset_or_months(client, db) -> None:
    """Found by Schemathesis: a negative offset reached the cached list's slice (500)."""
    f.home_org()
    auth = f.bearer(f.user("na-staff", staff=True))
    for query in ("offset=-1062&limit=-293824", "months=-3", "months=0"):
        r = client.get(f"/api/experience/never-asked?{query}", **auth)
        assert r.status_code == 422, (query, r.status_code)
    assert client.get("/api/experience/never-asked?offset=0", **auth).status_code == 200


def test_never_asked_api_pages_the_list_in_its_order(chain, client) -> None:  # noqa: F811
    from clientmap.experience import selectors

    auth = f.bearer(f.user("api-staff-na", staff=True))
    expected = [p.key for p in selectors.never_asked(team=chain["apps"])]
    assert len(expected) >= 2
    got = []
    for offset in range(0, len(expected) + 1):
        r = client.get(f"/api/experience/never-asked?team=apps&limit=1&offset={offset}", **auth)
        assert r.json()["total"] == len(expected)
        got += [p["key"] for p in r.json()["people"]]
    assert got == expected
    now = timezone.now()
    Survey.objects.create(
        person=chain["buyer"],
        team=chain["apps"],
        reason="segment",
        sent_at=now,
        expires_at=now + timedelta(days=9),
    )
    r = client.get("/api/experience/never-asked?team=apps", **auth).json()
    assert "buyer" not in [p["key"] for p in r["people"]]
    assert r["total"] == len(expected) - 1

"""The value chain API: typed answers, 404 for unknown keys, alert ranking by POST."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/valuechain"


def test_reach_endpoint(chain, staff_client):
    r = staff_client.get(f"{BASE}/teams/t-storage/reach")
    assert r.status_code == 200
    data = r.json()
    assert [i["node"]["key"] for i in data["paying_customers"]["items"]] == ["globex", "acme"]
    assert data["paying_customers"]["items"][0]["path"][0] == {
        "type": "service",
        "key": "svc-storage",
        "name": "Storage",
    }
    assert staff_client.get(f"{BASE}/teams/nope/reach").status_code == 404


def test_impact_endpoint_with_limit(chain, staff_client):
    data = staff_client.get(f"{BASE}/services/svc-db/impact?limit=1").json()
    assert data["direct_customers"]["total"] == 6
    assert len(data["direct_customers"]["items"]) == 1
    assert data["paying_customers"]["total"] == 2
    assert staff_client.get(f"{BASE}/services/nope/impact").status_code == 404


def test_lens_cycles_and_flagged_teams(chain, staff_client):
    lens = staff_client.get(f"{BASE}/teams/t-app/lens").json()
    assert lens["requests"]["share"] == 0.75 and lens["requests"]["direct_share"] == 0.5
    cycles = staff_client.get(f"{BASE}/cycles").json()
    assert cycles[0]["services"] == ["svc-a", "svc-b"]
    flagged = staff_client.get(f"{BASE}/teams-without-paying-customers").json()
    assert [i["team"]["key"] for i in flagged["items"]] == ["t-cyc", "t-mon"]
    isolated = staff_client.get(f"{BASE}/isolated-services").json()
    assert [i["key"] for i in isolated["items"]] == ["svc-monitoring"]


def test_rank_alerts_by_post(chain, staff_client):
    body = {
        "alerts": [
            {"key": "loud", "component": "svc-monitoring", "severity": "critical"},
            {"key": "quiet", "service": "svc-storage", "severity": "info"},
            {"key": "lost", "component": "nowhere", "severity": "major"},
        ]
    }
    r = staff_client.post(f"{BASE}/alerts/rank", body, content_type="application/json")
    assert r.status_code == 200, r.content
    data = r.json()
    assert [a["alert"]["key"] for a in data["ranked"]] == ["quiet", "loud"]
    assert [a["key"] for a in data["unknown"]] == ["lost"]
    r = staff_client.post(
        f"{BASE}/alerts/rank",
        {"csv": "key,component\nA,svc-db\n"},
        content_type="application/json",
    )
    assert r.json()["ranked"][0]["paying_customers"] == 2
    r = staff_client.post(f"{BASE}/alerts/rank", {"alerts": []}, content_type="application/json")
    assert r.status_code == 400


def test_anonymous_is_refused(chain, client):
    assert client.get(f"{BASE}/cycles").status_code in (302, 401, 403)


def test_openapi_documents_the_value_chain(staff_client):
    r = staff_client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/api/valuechain/teams/{key}/reach",
        "/api/valuechain/services/{key}/impact",
        "/api/valuechain/teams/{key}/lens",
        "/api/valuechain/cycles",
        "/api/valuechain/teams-without-paying-customers",
        "/api/valuechain/alerts/rank",
    ):
        assert p in paths


def test_reach_and_impact_answers_are_their_schemas(chain, staff_client):
    """The reach and impact answers are rendered without a second validation: they are exactly
    what their response schemas make of the selectors' answers."""
    from clientmap.catalog.models import Service
    from clientmap.directory.models import Team
    from clientmap.valuechain import selectors
    from clientmap.valuechain.api import ImpactOut, ReachOut

    for team in Team.objects.all():
        got = staff_client.get(f"{BASE}/teams/{team.key}/reach?limit=3").json()
        assert got == ReachOut.model_validate(selectors.reach(team, limit=3)).model_dump()
    for service in Service.objects.all():
        got = staff_client.get(f"{BASE}/services/{service.key}/impact?limit=3").json()
        assert got == ImpactOut.model_validate(selectors.impact(service, limit=3)).model_dump()

"""The JSON API: the two questions, the directory, authentication and roles."""

from __future__ import annotations

import base64

import pytest

from clientmap.engagements.models import Request
from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def bearer(username: str) -> dict:
    return f.bearer(username)


@pytest.fixture
def world() -> None:
    demo.load()


@pytest.fixture
def admin_auth(world) -> dict:
    return bearer("admin")


def test_team_customers_with_filters(client, admin_auth) -> None:
    data = client.get("/api/customers/teams/t-sales/customers", **admin_auth).json()
    people = {c["person"]: c for c in data["items"]}
    assert data["count"] == 5
    assert (
        people["nsa-appdir"]["basis"] == "RD" and people["nsa-appdir"]["kind"] == "external_paying"
    )
    assert people["nsa-appdir"]["evidence_count"] == 2
    assert "nsa-fc-cio" not in people
    paying = client.get(
        "/api/customers/teams/t-sales/customers?kind=external_paying&basis=D", **admin_auth
    ).json()
    assert {c["person"] for c in paying["items"]} == {"nsa-appdir", "nsa-arch-1", "nsa-arch-2"}
    lapsed = client.get("/api/customers/teams/t-core/customers?active=false", **admin_auth).json()
    assert [c["person"] for c in lapsed["items"]] == ["aur-impl-1"]
    prospects = client.get(
        "/api/customers/teams/t-impl/customers?prospects=true", **admin_auth
    ).json()
    assert [c["person"] for c in prospects["items"]] == ["lib-head"]
    page = client.get("/api/customers/teams/t-sales/customers?limit=2&offset=2", **admin_auth)
    assert len(page.json()["items"]) == 2 and page.json()["count"] == 5


def test_evidence_of_a_relation(client, admin_auth) -> None:
    items = client.get(
        "/api/customers/teams/t-sales/customers/nsa-appdir/evidence", **admin_auth
    ).json()
    assert {(e["kind"], e["basis"]) for e in items} == {("request", "R"), ("involvement", "D")}
    assert any(e["key"] == "REQ-1001" for e in items)


def test_customer_of_explains_a_non_customer(client, admin_auth) -> None:
    data = client.get("/api/customers/people/nsa-fc-cio", **admin_auth).json()
    assert data["is_customer"] is False and data["customer_of"] == []
    assert any("Manager of a customer" in r for r in data["reasons"])
    dana = client.get("/api/customers/people/nsa-appdir", **admin_auth).json()
    assert {r["team"] for r in dana["customer_of"]} == {"t-sales", "t-impl"}


def test_unknown_keys_and_bad_filters(client, admin_auth) -> None:
    assert client.get("/api/customers/teams/nope/customers", **admin_auth).status_code == 404
    assert client.get("/api/customers/people/nope", **admin_auth).status_code == 404
    assert client.get("/api/directory/teams/nope", **admin_auth).status_code == 404
    bad = client.get("/api/customers/teams/t-sales/customers?kind=vip", **admin_auth)
    assert bad.status_code == 400


def test_directory_read_access(client, admin_auth) -> None:
    orgs = client.get("/api/directory/organizations", **admin_auth).json()
    assert {o["key"]: o["home"] for o in orgs["items"]}["aurora"] is True
    person = client.get("/api/directory/people/nsa-appdir", **admin_auth).json()
    assert "fit" in person  # the fit group of the person's organization (None without accounts)
    person.pop("fit")
    assert person == {
        "key": "nsa-appdir",
        "name": "Dana Whitfield",
        "email": "dana.whitfield@agency.example",
        "organization": "space-agency",
        "unit": "nsa-fc-apps",
        "manager": "nsa-fc-cio",
        "language": "",
    }
    found = client.get("/api/directory/people?q=whitfield", **admin_auth).json()
    assert [p["key"] for p in found["items"]] == ["nsa-appdir"]
    units = client.get("/api/directory/units?organization=space-agency", **admin_auth).json()
    assert {u["key"] for u in units["items"]} == {"nsa-hq", "nsa-fc", "nsa-fc-apps", "nsa-fc-ops"}
    team = client.get("/api/directory/teams/t-core", **admin_auth).json()
    assert {m["key"] for m in team["members"]} == {"aur-dev-1", "aur-dev-2", "aur-dev-3"}
    assert {s["key"] for s in team["services"]} == {"svc-expense-app", "svc-mobile"}


def test_authentication_and_roles(client, world) -> None:
    assert client.get("/api/directory/teams").status_code == 401  # anonymous: 401, no redirect
    # HTTP Basic is gone: even the right password is refused
    assert client.get("/api/directory/teams", **basic("admin", demo.PASSWORD)).status_code == 401
    assert (
        client.get("/api/directory/teams", HTTP_AUTHORIZATION="Bearer cm_nope").status_code == 401
    )
    # a team member may read; a customer portal user may not
    assert client.get("/api/directory/teams", **bearer("member")).status_code == 200
    assert client.get("/api/directory/teams", **bearer("portal")).status_code == 401
    # recompute is for staff only
    assert client.post("/api/customers/recompute", **bearer("member")).status_code == 403
    done = client.post("/api/customers/recompute", **bearer("admin"))
    assert done.status_code == 200 and done.json()["relations"] > 0


def test_session_writes_need_csrf(world) -> None:
    from django.test import Client

    from tests.story import PASSWORD

    c = Client(enforce_csrf_checks=True)
    assert c.login(username="admin", password=PASSWORD)
    assert c.post("/api/customers/recompute").status_code == 403  # no CSRF token
    assert c.get("/api/directory/teams").status_code == 200


def test_openapi_documents_the_questions(client, admin_auth) -> None:
    spec = client.get("/api/openapi.json", **admin_auth).json()
    paths = spec["paths"]
    assert "/api/customers/teams/{team_key}/customers" in paths
    assert "/api/customers/people/{person_key}" in paths
    assert "/api/directory/people" in paths
    assert client.get("/api/docs", **admin_auth).status_code == 200


def test_api_change_through_admin_recomputes(client, world) -> None:
    """Editing a request in the admin turns a prospect into a customer."""
    client.force_login(f.user("root", staff=True, is_superuser=True))
    req = Request.objects.get(key="REQ-1007")  # lib-head's declined training request
    form = client.get(f"/admin/engagements/request/{req.pk}/change/")
    assert form.status_code == 200
    data = {
        "key": req.key,
        "requester": req.requester_id,
        "team": req.team_id,
        "service": req.service_id or "",
        "status": "accepted",
        "payment": req.payment,
        "opened": req.opened.isoformat(),
        "accepted": req.opened.isoformat(),
        "target": "",
        "closed": "",
        "title": req.title,
    }
    response = client.post(f"/admin/engagements/request/{req.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    data = client.get("/api/customers/people/lib-head").json()
    assert "t-impl" in {r["team"] for r in data["customer_of"]}

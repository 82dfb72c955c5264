"""Defects 4 and 5: the role × endpoint matrix (``clientmap.access``) covers every URL pattern
and API operation, and each cell is what the server does; portal users never reach another
organization's objects (404, never 403, never data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientmap import access
from clientmap.core import tokens
from clientmap.customers import rules
from clientmap.imports.models import ImportJob
from clientmap.voice import services
from clientmap.voice.models import Attestation, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


def all_url_names() -> set[str]:
    found: set[str] = set()

    def walk(patterns, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    found.add("admin:*")
                    continue
                walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern):
                found.add(ns + (p.name or f"<unnamed {p.pattern}>"))

    walk(get_resolver().url_patterns, "")
    return found


def api_operations() -> set[str]:
    from clientmap.api import api

    ops = {
        f"{m.upper()} {p}"
        for p, methods in api.get_openapi_schema()["paths"].items()
        for m in methods
    }
    return ops | {"GET /api/openapi.json", "GET /api/docs"}


def test_every_url_pattern_is_in_the_matrix():
    pages = {n for n in all_url_names() if not n.startswith("api:")}
    missing = sorted(pages - set(access.PAGES))
    assert not missing, f"add these URL names to clientmap/access.py PAGES: {missing}"
    stale = sorted(set(access.PAGES) - pages)
    assert not stale, f"no such URL names any more (clientmap/access.py PAGES): {stale}"


def test_every_api_operation_is_in_the_matrix():
    missing = sorted(api_operations() - set(access.API))
    assert not missing, f"add these API operations to clientmap/access.py API: {missing}"
    stale = sorted(set(access.API) - api_operations())
    assert not stale, f"no such API operations any more (clientmap/access.py API): {stale}"
    # every ninja URL pattern is reached through one of the operations
    api_names = {n for n in all_url_names() if n.startswith("api:")} - access.NOT_ENDPOINTS
    assert api_names, "the API has URL patterns"


def test_docs_show_the_matrix():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    assert access.markdown() in doc, "docs/security.md: paste clientmap.access.markdown()"


# --- each cell, against the server ---------------------------------------------------------


@pytest.fixture
def world(home, tmp_path):
    org = f.org(key="acme", name="Acme")
    member = f.person(key="m1", name="Member One")
    team = f.team(key="apps", name="Apps", members=[member])
    svc = f.service(team, key="svc-1", name="Service One")
    portal_person = f.person(org, key="pp", name="Portal Person")
    staff_person = f.person(key="sp", name="Staff Person")
    f.request(portal_person, team, key="REQ-1", payment="cash", service=svc)
    f.unit(org, key="acme-unit")
    rules.recompute()
    users = {
        "P": f.user("m-portal", person=portal_person),
        "M": f.user("m-member", person=member),
        "S": f.user("m-staff", staff=True, is_superuser=True, person=staff_person),
    }
    wish = services.submit_wish(portal_person, "A public wish", key="W-1")
    services.submit_wish(portal_person, "Another public wish", key="W-2")  # a merge survivor
    att = Attestation.objects.create(wish=wish, person=portal_person)
    job = ImportJob.objects.create(
        filename="x.csv", path=str(tmp_path / "x.csv"), created_by=users["S"], status="done"
    )
    return {"users": users, "wish": wish, "att": att, "job": job, "team": team, "svc": svc}


def _page_request(name: str, method: str, w: dict) -> tuple[str, dict]:
    args = {
        "directory:organization": ["acme"],
        "customers:team": ["apps"],
        "customers:evidence": ["apps", "pp"],
        "customers:person": ["pp"],
        "imports:job": [w["job"].pk],
        "imports:retry": [w["job"].pk],
        "valuechain:team": ["apps"],
        "valuechain:team_flow": ["apps"],
        "pick": ["team"],
        "valuechain:service": ["svc-1"],
        "valuechain:tell": ["svc-1"],
        "voice:attest": [w["att"].link_token()],
        "voice:wish": [w["wish"].key],
        "voice:vote": [w["wish"].key],
        "voice:comment": [w["wish"].key],
        "voice:triage": [w["wish"].key],
        "fit:account": ["acme"],
        "experience:team": ["apps"],
        "experience:journey": ["pp"],
        "experience:survey": ["not-a-real-survey-token"],
        "fit:override": ["acme"],
        "fit:clear_override": ["acme"],
    }
    data = {
        "set_language": {"language": "en", "next": "/tokens/"},
        "voice:submit": {"title": "Another wish"},
        "voice:comment": {"text": "hello"},
        "voice:triage": {"action": "status", "status": "under_review"},
        "valuechain:tell": {"subject": "x", "body": "y"},
    }.get(name, {})
    if name == "admin:*":
        return reverse("admin:index"), data
    return reverse(name, args=args.get(name, [])), data


def _client(role: str, w: dict) -> Client:
    c = Client()
    if role in "PMS":
        c.force_login(w["users"][role])
    elif role in "RW":
        _r, text = tokens.create_token(w["users"]["S"], read_only=role == "R")
        c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {text}"
    return c


def _allowed_page(response) -> bool:
    if response.status_code in (401, 403, 404):
        return False
    if response.status_code == 302:
        target = response["Location"]
        if "/login/" in target and "next=" in target:
            return False  # login required
        portal = reverse("voice:portal")
        if target == portal and response.request["PATH_INFO"] != portal:
            return False  # an internal page sends a portal user to the portal
    return response.status_code < 500 or pytest.fail(f"{response.status_code} on a page")


# In the table, but checked by their own tests: a survey link needs a sent survey
# (tests/experience covers the signed link for anonymous visitors).
# The identity provider's sign-in answers 404 while not configured (tests/security/test_sso.py).
BEHAVIOUR_ELSEWHERE = {
    "experience:survey",
    "oidc_authentication_init",
    "oidc_authentication_callback",
}


@pytest.mark.parametrize("role", list(access.ROLES))
def test_pages_follow_the_matrix(world, role):
    wrong = []
    for name, (method, allowed) in access.PAGES.items():
        if name in BEHAVIOUR_ELSEWHERE:
            continue
        url, data = _page_request(name, method, world)
        c = _client(role, world)
        r = c.post(url, data) if method == "POST" else c.get(url)
        if _allowed_page(r) != (role in allowed):
            wrong.append((name, url, r.status_code, r.get("Location")))
    assert not wrong, f"role {access.ROLES[role]}: {wrong}"


def _api_request(op: str, w: dict) -> tuple[str, str, dict | None]:
    method, path = op.split(" ", 1)
    path = (
        path.replace(
            "{key}",
            w["wish"].key if "/voice/" in path else ("svc-1" if "/services/" in path else "apps"),
        )
        .replace("{team_key}", "apps")
        .replace("{person_key}", "pp")
        .replace("{job_id}", str(w["job"].pk))
    )
    if "/fit/" in path:
        path = path.replace("/apps", "/acme")
    if "/directory/organizations/" in path:
        path = path.replace("/apps", "/acme")
    if "/directory/units/" in path:
        path = path.replace("/apps", "/acme-unit")
    if "/directory/people/" in path or "/experience/people/" in path:
        path = path.replace("/apps", "/pp")
    body = {
        "POST /api/voice/wishes": {"title": "Via the API"},
        "POST /api/voice/wishes/{key}/status": {"status": "under_review"},
        "POST /api/voice/wishes/{key}/merge": {"into": "W-2"},
        "POST /api/voice/wishes/{key}/cover": {"service": "svc-1"},
        "POST /api/valuechain/alerts/rank": [{"key": "A1", "service": "svc-1"}],
        "PUT /api/fit/settings": {},
    }.get(op)
    return method, path, body


@pytest.mark.parametrize("role", list(access.ROLES))
def test_api_follows_the_matrix(world, role):
    wrong = []
    for op, allowed in access.API.items():
        method, path, body = _api_request(op, world)
        c = _client(role, world)
        kwargs = (
            {"content_type": "application/json", "data": json.dumps(body)}
            if body is not None
            else {}
        )
        r = getattr(c, method.lower())(path, **kwargs)
        assert r.status_code < 500, (op, r.status_code, r.content[:300])
        ok = r.status_code not in (401, 403, 404)
        if ok != (role in allowed):
            wrong.append((op, r.status_code, r.content[:120]))
    assert not wrong, f"role {access.ROLES[role]}: {wrong}"


# --- defect 4: portal isolation -------------------------------------------------------------


@pytest.fixture
def two_orgs(home):
    ours, theirs = f.org(key="ours"), f.org(key="theirs")
    me = f.person(ours, key="me")
    them = f.person(theirs, key="them")
    user = f.user("iso-portal", person=me)
    private = services.submit_wish(
        them, "Their private wish", key="THEIRS-PRIVATE", visibility="organization"
    )
    public = services.submit_wish(them, "A public wish", key="PUBLIC")
    dup = services.submit_wish(
        them, "Their private duplicate", key="THEIRS-DUP", visibility="organization"
    )
    services.merge(dup, public)
    # and a private wish of theirs that survived a merge of a public one
    survivor = services.submit_wish(
        them, "Private survivor", key="THEIRS-SURVIVOR", visibility="organization"
    )
    pub_dup = services.submit_wish(them, "Public duplicate", key="PUB-DUP")
    services.merge(pub_dup, survivor)
    return user, [private, dup, survivor, pub_dup]


PORTAL_KEYED_PAGES = [("GET", "voice:wish"), ("POST", "voice:vote"), ("POST", "voice:comment")]
PORTAL_KEYED_API = [
    ("get", "/api/voice/wishes/{k}"),
    ("post", "/api/voice/wishes/{k}/vote"),
    ("delete", "/api/voice/wishes/{k}/vote"),
]


def test_every_portal_endpoint_with_another_organizations_key_is_404(client, two_orgs):
    user, hidden = two_orgs
    client.force_login(user)
    from clientmap.core.converters import quote_key

    # the walk covers every keyed endpoint the portal role may call
    portal_keyed = {n for n, (_m, roles) in access.PAGES.items() if "P" in roles} & {
        "voice:wish",
        "voice:vote",
        "voice:comment",
        "voice:attest",
    }
    assert portal_keyed - {"voice:attest"} == {n for _m, n in PORTAL_KEYED_PAGES}
    api_keyed = {op for op, roles in access.API.items() if "P" in roles and "{" in op}
    assert api_keyed == {f"{m.upper()} {p.replace('{k}', '{key}')}" for m, p in PORTAL_KEYED_API}
    for w in hidden:
        for method, name in PORTAL_KEYED_PAGES:
            url = reverse(name, args=[w.key])
            r = client.post(url, {"text": "x"}) if method == "POST" else client.get(url)
            assert r.status_code == 404, (name, w.key, r.status_code)
            assert w.title.encode() not in r.content
        for method, path in PORTAL_KEYED_API:
            r = getattr(client, method)(path.replace("{k}", quote_key(w.key)), **f.bearer(user))
            assert r.status_code == 404, (path, w.key, r.status_code)
            assert w.title.encode() not in r.content
    # nothing was written through them
    assert not Wish.objects.filter(votes__person__user=user).exists()
    assert not Wish.objects.filter(comments__person__user=user).exists()
    # and the lists do not show them
    listing = client.get("/api/voice/wishes?limit=100", **f.bearer(user)).json()
    assert not {w.key for w in hidden} & {i["key"] for i in listing["items"]}
    page = client.get(reverse("voice:portal")).content.decode()
    for w in hidden:
        assert w.title not in page


def test_a_visible_merged_wish_leads_to_its_visible_survivor(client, two_orgs):
    user, _hidden = two_orgs
    them = Wish.objects.get(key="PUBLIC").author
    a = services.submit_wish(them, "Public A", key="PA")
    b = services.submit_wish(them, "Public B", key="PB")
    services.merge(a, b)
    client.force_login(user)
    r = client.get(reverse("voice:wish", args=["PA"]))
    assert r.status_code == 302 and r["Location"] == reverse("voice:wish", args=["PB"])
    client.post(reverse("voice:vote", args=["PA"]))
    assert Wish.objects.get(key="PB").vote_count == 1  # the vote lands on the survivor


def test_portal_user_cannot_read_coverage(client, two_orgs):
    user, _ = two_orgs
    assert client.get("/api/voice/coverage", **f.bearer(user)).status_code == 401
    client.force_login(user)
    r = client.get(reverse("voice:coverage"))
    assert r.status_code == 302 and "coverage" not in r["Location"]


def test_other_portal_pages_hold_nothing_of_the_other_organization(client, two_orgs):
    user, hidden = two_orgs
    client.force_login(user)
    for url in (
        reverse("voice:portal"),
        reverse("voice:similar") + "?title=private+wish",
        reverse("api_tokens"),
    ):
        body = client.get(url).content.decode()
        for w in hidden:
            assert w.title not in body, (url, w.key)
    found = client.get("/api/voice/similar?q=their+private+wish", **f.bearer(user)).json()
    assert not {w.key for w in hidden} & {i["key"] for i in found}

"""Defect 1: keys from other tools hold "/", "%", "?", "#", spaces, dots, quotes and any alphabet.

Every URL that carries a key takes any key the importer accepts: pages and API detail endpoints
render for objects whose keys hold each of those characters, and the links on the pages lead back
to the same object (round trip through ``reverse``, the HTML and the server's decoding).
"""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientmap.core.converters import KeyConverter, key_from_url, key_to_url, quote_key
from clientmap.customers import rules
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db

NASTY_KEYS = [
    "Service Desk/Level 2",
    "50% off",
    "%2F",
    "what?",
    "C#",
    "v1.2",
    ".",
    "..",
    "a/../b",
    "Служба поддержки",
    "東京/チーム",
    'it\'s "quoted"',
    "back\\slash",
    "=HYPERLINK(1)",
    "a&b=c+d",
    "x/" * 100,  # 200 characters, the longest key a model holds
]


@pytest.mark.parametrize("key", NASTY_KEYS)
def test_converter_round_trip(key):
    seg = key_to_url(key)
    assert "/" not in seg and seg not in (".", "..")
    assert re.fullmatch(KeyConverter.regex, seg)
    assert key_from_url(seg) == key
    assert "/" not in quote_key(key)


@pytest.fixture
def keyed(home):
    """One of each object per nasty key, related so that every key page has content."""
    member = f.person(key="member-of-all", name="Mia Member")
    staff = f.user("keystaff", staff=True)
    out = []
    for i, key in enumerate(NASTY_KEYS):
        org = f.org(key=key, name=f"Org {i}")
        f.unit(org, key=key, name=f"Unit {i}")
        person = f.person(org, key=key, name=f"Person {i}")
        team = f.team(key=key, name=f"Team {i}", members=[member])
        svc = f.service(team, key=key, name=f"Service {i}")
        f.consumes(org, svc)
        f.request(person, team, key=key, title=f"Request {i}", payment="cash", service=svc)
        Wish.objects.create(key=key, author=person, title=f"Wish {i}", team=team)
        out.append(key)
    rules.recompute()
    return staff


def _page_names(key: str) -> list[tuple[str, list[str]]]:
    return [
        ("directory:organization", [key]),
        ("customers:team", [key]),
        ("customers:evidence", [key, key]),
        ("customers:person", [key]),
        ("valuechain:team", [key]),
        ("valuechain:team_flow", [key]),
        ("valuechain:service", [key]),
        ("voice:wish", [key]),
        ("experience:team", [key]),
        ("experience:journey", [key]),
    ]


def _key_patterns() -> set[str]:
    """Names of every URL pattern (pages and API) with a key converter."""
    found: set[str] = set()

    def walk(patterns, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern):
                if any(isinstance(c, KeyConverter) for c in p.pattern.converters.values()):
                    found.add(ns + (p.name or "?"))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_key_url_uses_the_key_converter():
    """No URL takes a key through the default ``str`` converter (which refuses "/")."""

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            else:
                yield p

    for p in walk(get_resolver().url_patterns):
        route = str(p.pattern)
        for name in re.findall(r"<(?:str:)?(\w*key)>", route):
            pytest.fail(f"{route}: <{name}> must use the key converter")


def test_page_names_cover_every_keyed_page():
    pages = {n for n, _ in _page_names("k")}
    web = {n for n in _key_patterns() if not n.startswith("api:")}
    # forms that only accept POST are exercised below
    assert web - pages == {"voice:vote", "voice:comment", "voice:triage", "valuechain:tell"}


@pytest.mark.parametrize("key", NASTY_KEYS)
def test_every_key_page_renders_for_nasty_keys(client, keyed, key):
    client.force_login(keyed)
    i = NASTY_KEYS.index(key)
    for name, args in _page_names(key):
        url = reverse(name, args=args)
        r = client.get(url)
        assert r.status_code == 200, (name, key, url, r.status_code)
        body = r.content.decode()
        assert re.search(rf"\b(Org|Team|Person|Service|Wish) {i}\b", body), (name, key)
    # a POST form with the key in its action
    r = client.post(reverse("voice:triage", args=[key]), {"action": "status", "status": "planned"})
    assert r.status_code == 302 and r["Location"] == reverse("voice:wish", args=[key])
    assert Wish.objects.get(key=key).status == "planned"
    assert client.get(r["Location"]).status_code == 200


API_DETAIL = [
    "/api/directory/organizations/{k}",
    "/api/directory/units/{k}",
    "/api/directory/people/{k}",
    "/api/directory/teams/{k}",
    "/api/customers/teams/{k}/customers",
    "/api/customers/teams/{k}/customers/{k}/evidence",
    "/api/customers/people/{k}",
    "/api/valuechain/teams/{k}/reach",
    "/api/valuechain/services/{k}/impact",
    "/api/valuechain/teams/{k}/lens",
    "/api/voice/wishes/{k}",
    "/api/experience/teams/{k}/value-chain",
    "/api/experience/people/{k}/journey",
]


def test_api_detail_list_covers_every_keyed_get_operation():
    from clientmap.api import api

    schema = api.get_openapi_schema()
    keyed_gets = {
        p.replace("{team_key}", "{k}").replace("{person_key}", "{k}").replace("{key}", "{k}")
        for p, ops in schema["paths"].items()
        if "key}" in p and "get" in ops and not p.startswith("/api/fit/")
    }  # fit's account routes take a path converter of their own (tests/fit)
    assert keyed_gets == set(API_DETAIL)


@pytest.mark.parametrize("key", NASTY_KEYS)
def test_every_api_detail_endpoint_answers_for_nasty_keys(client, keyed, key):
    client.force_login(keyed)
    for template in API_DETAIL:
        url = template.replace("{k}", quote_key(key))
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.content[:300])
    assert client.get(f"/api/directory/people/{quote_key(key)}").json()["key"] == key
    assert client.get(f"/api/voice/wishes/{quote_key(key)}").json()["key"] == key


def test_crawl_links_from_every_list_page(client, keyed):
    """Follow every internal link from the lists and the detail pages (two levels): no link is
    broken, and each link to an object's page opens that object's page."""
    client.force_login(keyed)
    start = [
        reverse("home"),
        reverse("customers:teams"),
        reverse("customers:people"),
        reverse("directory:organizations"),
        reverse("valuechain:map"),
        reverse("valuechain:cycles"),
        reverse("valuechain:unreached"),
        reverse("voice:portal"),
    ]
    seen: set[str] = set()
    frontier = start
    for _depth in range(2):
        nxt = []
        for url in frontier:
            if url in seen:
                continue
            seen.add(url)
            r = client.get(url)
            assert r.status_code in (200, 302), (url, r.status_code)
            if r.status_code != 200 or "text/html" not in r.get("Content-Type", ""):
                continue
            for href in re.findall(r'href="([^"]+)"', r.content.decode()):
                href = htmllib.unescape(href)
                parts = urlsplit(href)
                if (
                    parts.netloc
                    or not parts.path.startswith("/")
                    or parts.path.startswith(("/static/", "/admin/", "/api/", "/logout", "/i18n/"))
                ):
                    continue
                nxt.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        frontier = nxt
    visited_teams = {u for u in seen if u.startswith("/teams/")}
    for key in NASTY_KEYS:
        assert reverse("customers:team", args=[key]) in visited_teams, key

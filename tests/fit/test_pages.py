"""Fit pages, badges everywhere they matter, API and CLI; query counts pinned."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers import rules as customer_rules
from clientmap.engagements.models import Request
from clientmap.fit import rules, services
from tests import factories as f
from tests.fit.conftest import AS_OF


@pytest.fixture
def placed(five):
    # the polite debtor's people are customers of the team: their requests and the team's page
    polite = five["polite"]
    buyer = f.person(polite, key="buyer 1", name="Bea Buyer")
    f.request(buyer, five["team"], payment=Request.Payment.CASH, opened=AS_OF - timedelta(days=9))
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)
    # What the writer's commit does in production (``core.derived``): the tables made from the
    # relations (the value chain's reach sets) brought current, so the pins count the page only.
    derived.ensure_current()
    five["buyer"] = buyer
    return five


@pytest.mark.django_db
def test_matrix_page_chart_table_and_queries(placed, staff_client, django_assert_num_queries):
    url = reverse("fit:matrix")
    # session, user, derived.ensure_current, latest run, the overrides' mark, snapshots, overrides
    with django_assert_num_queries(7):
        r = staff_client.get(url)
    with django_assert_num_queries(5):  # then from the cache: no snapshot is read again
        again = staff_client.get(url).content.decode()
    assert again.split('id="accounts"')[1] == r.content.decode().split('id="accounts"')[1]
    html = r.content.decode()
    assert r.status_code == 200
    assert "<svg" in html and 'class="point"' in html
    assert reverse("fit:account", args=["over ride %20"]) in html  # points link to the account
    assert "Polite &amp; Co" in html
    assert "strict rules of the game" in html  # quadrants carry their policies
    r = staff_client.get(url, {"group": 3})
    assert "Reliable Payer" in r.content.decode().split('id="accounts"')[1]
    assert "Polite &amp; Co" not in r.content.decode().split('id="accounts"')[1]


@pytest.mark.django_db
def test_matrix_shows_an_override_at_once(placed, staff_client):
    """The cached matrix is keyed by the overrides: one made (or cleared) shows on the next
    read, in the table and in the chart."""
    url = reverse("fit:matrix")
    table = staff_client.get(url, {"group": 1}).content.decode().split('id="accounts"')[1]
    assert "Polite &amp; Co" not in table
    services.override(
        placed["polite"], group=1, reason="our largest", expires=AS_OF + timedelta(days=5)
    )
    table = staff_client.get(url, {"group": 1}).content.decode().split('id="accounts"')[1]
    assert "Polite &amp; Co" in table


@pytest.mark.django_db
def test_matrix_in_four_languages(placed, staff_client):
    for lang, word in (("es", "Esfuerzo extra"), ("pt", "Esforço extra"), ("ru", "Сверхусилия")):
        staff_client.cookies["django_language"] = lang
        r = staff_client.get(f"/{lang}/fit/", follow=True)
        assert word in r.content.decode(), lang


@pytest.mark.django_db
def test_account_page_explains_parts_and_no_data(placed, staff_client, django_assert_num_queries):
    url = reverse("fit:account", args=["payer"])
    with django_assert_num_queries(10):  # 9 + derived.ensure_current (CurrentMiddleware)
        r = staff_client.get(url)
    html = r.content.decode()
    assert "What we deliver: promises missed" in html
    assert "35%" in html  # promises kept, with its value
    assert "no data" in html  # e.g. reputation: nobody referred them


@pytest.mark.django_db
def test_badge_on_organization_person_request_and_team_pages(placed, staff_client):
    polite, buyer, team = placed["polite"], placed["buyer"], placed["team"]
    policy = "strict rules of the game"
    pages = [
        reverse("directory:organization", args=[polite.key]),
        reverse("customers:person", args=[buyer.key]),
        reverse("customers:evidence", args=[team.key, buyer.key]),
        reverse("customers:team", args=[team.key]),
    ]
    for url in pages:
        html = staff_client.get(url).content.decode()
        assert "fit-g2" in html and policy in html, url


@pytest.mark.django_db
def test_badges_reach_pages_with_plain_keys(five, staff_client):
    org = five["friendly"]
    p = f.person(org, key="fred", name="Fred")
    f.request(p, five["team"], opened=AS_OF - timedelta(days=3))
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)
    for url in (
        reverse("directory:organization", args=[org.key]),
        reverse("customers:person", args=[p.key]),
        reverse("customers:evidence", args=[five["team"].key, p.key]),
        reverse("customers:team", args=[five["team"].key]),
    ):
        html = staff_client.get(url).content.decode()
        assert "fit-g1" in html and "Extra effort" in html, url


@pytest.mark.django_db
def test_api_payloads_carry_the_group(five, staff_client):
    org = five["friendly"]
    p = f.person(org, key="fred", name="Fred")
    f.request(p, five["team"], opened=AS_OF - timedelta(days=3))
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)
    j = staff_client.get(f"/api/directory/organizations/{org.key}").json()
    assert j["fit"]["group"] == 1 and "Extra effort" in j["fit"]["policy"]
    j = staff_client.get(f"/api/directory/people/{p.key}").json()
    assert j["fit"]["group"] == 1
    j = staff_client.get(f"/api/customers/people/{p.key}").json()
    assert j["fit"]["group"] == 1
    items = staff_client.get(f"/api/customers/teams/{five['team'].key}/customers").json()["items"]
    assert any(i["fit"] and i["fit"]["group"] == 1 for i in items)
    ev = staff_client.get(
        f"/api/customers/teams/{five['team'].key}/customers/{p.key}/evidence"
    ).json()
    assert ev and all(e["fit"]["group"] == 1 for e in ev)
    orgs = staff_client.get("/api/directory/organizations").json()["items"]
    assert {o["key"]: (o["fit"] or {}).get("group") for o in orgs}["polite & co's"] == 2


@pytest.mark.django_db
def test_fit_api_list_detail_override_history(placed, staff_client, client):
    rows = staff_client.get("/api/fit/accounts").json()
    by = {r["organization"]: r for r in rows}
    assert by["friendly"]["group"] == 1 and by["polite & co's"]["group"] == 2
    assert by["payer"]["diagnosis"].startswith("What we deliver")
    assert [r["organization"] for r in staff_client.get("/api/fit/accounts?group=4").json()] == [
        "debtor"
    ]
    d = staff_client.get("/api/fit/accounts/polite%20%26%20co's").json()
    assert d["group"] == 2 and any(
        p["part"] == "decision_makers" and p["value"] == 7 for p in d["we_want_parts"]
    )
    expires = (timezone.localdate() + timedelta(days=3)).isoformat()
    r = staff_client.post(
        "/api/fit/overrides/payer",
        {"group": 1, "reason": "Strategic logo", "expires": expires},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["group"] == 1 and r.json()["computed_group"] == 3
    r = staff_client.post(
        "/api/fit/overrides/payer",
        {"group": 1, "reason": "", "expires": expires},
        content_type="application/json",
    )
    assert r.status_code == 400 and "reason" in r.json()["detail"]
    assert staff_client.delete("/api/fit/overrides/payer").json()["group"] == 3
    slashed = f.org(key="a/b %2F", name="Слэш")
    from clientmap.fit.models import Intent

    Intent.objects.create(organization=slashed, date=AS_OF, wants="renew")
    rules.recompute(as_of=AS_OF)
    d = staff_client.get("/api/fit/accounts/a/b%20%252F").json()
    assert d["organization"] == "a/b %2F" and d["wants_us"] == 1.0 and d["group"] == 2
    html = staff_client.get(reverse("fit:account", args=["a/b %2F"])).content.decode()
    assert "Слэш" in html
    hist = staff_client.get("/api/fit/history").json()
    assert hist[0]["groups"]["1"] == 2 or hist[0]["groups"].get(1) == 2


@pytest.mark.django_db
def test_override_endpoints_are_staff_only(placed, client):
    member = f.person(f.home_org(), key="member")
    f.team(members=[member])
    u = f.user("member", person=member)
    client.force_login(u)
    assert client.get("/api/fit/accounts").status_code == 200
    r = client.post(
        "/api/fit/overrides/payer",
        {"group": 1, "reason": "x", "expires": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert client.get(reverse("fit:settings")).status_code == 403
    assert client.post(reverse("fit:override", args=["payer"]), {"group": 1}).status_code == 403


@pytest.mark.django_db
def test_cli_list_one_and_history(placed):
    out = StringIO()
    call_command("fit", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert {r["organization"]: r["group"] for r in rows}["debtor"] == 4
    out = StringIO()
    call_command("fit", "--group", "2", stdout=out)
    assert "Polite & Co" in out.getvalue() and "Friendly" not in out.getvalue()
    out = StringIO()
    call_command("fit", "payer", stdout=out)
    assert "promises missed" in out.getvalue() and "no data" in out.getvalue()
    services.override(
        placed["debtor"], group=2, reason="new contract", expires=timezone.localdate()
    )
    rules.recompute(as_of=AS_OF)
    out = StringIO()
    call_command("fit", "--history", stdout=out)
    assert "debtor" in out.getvalue() and "4 → 2" in out.getvalue()


@pytest.mark.django_db
def test_override_form_and_moves_page(placed, staff_client):
    url = reverse("fit:override", args=["debtor"])
    r = staff_client.post(
        url, {"group": "2", "reason": "", "expires": timezone.localdate().isoformat()}, follow=True
    )
    assert "needs a reason" in r.content.decode()
    r = staff_client.post(
        url,
        {"group": "2", "reason": "Board change", "expires": timezone.localdate().isoformat()},
        follow=True,
    )
    assert "Board change" in r.content.decode()
    rules.recompute(as_of=AS_OF)
    html = staff_client.get(reverse("fit:moves")).content.decode()
    assert "Unhappy Debtor" in html and "Friendly" not in html


@pytest.mark.django_db
def test_overview_block_lists_key_accounts(placed, staff_client):
    html = staff_client.get(reverse("home")).content.decode()
    assert "Key customers" in html
    assert "Friendly Ltd" in html and reverse("fit:matrix") + "?group=1" in html


@pytest.mark.django_db
def test_settings_page_saves_and_file_locks(staff_client, tmp_path, monkeypatch, db):
    url = reverse("fit:settings")
    r = staff_client.post(url, {"wants_us_threshold": "0.7", "w_satisfaction": "abc"})
    assert r.status_code == 400 and "not a number" in r.content.decode()
    r = staff_client.post(url, {"wants_us_threshold": "0.7"})
    assert r.status_code == 302
    from clientmap.fit import config

    assert config.current()["wants_us_threshold"] == 0.7
    deploy = tmp_path / "fit.toml"
    deploy.write_text("[fit]\nwants_us_threshold = 0.5\n")
    monkeypatch.setenv("CLIENTMAP_FIT_FILE", str(deploy))
    assert config.current()["wants_us_threshold"] == 0.5
    html = staff_client.get(url).content.decode()
    assert "set by the deployment file" in html
    deploy.write_text("[fit]\nwants_us_threshold = 7\n")
    html = staff_client.get(url).content.decode()
    assert "outside" in html


@pytest.mark.django_db
def test_badges_cost_the_same_queries_for_one_or_many_accounts(five, staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team = five["team"]
    url = reverse("customers:team", args=[team.key])
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)

    def count() -> int:
        derived.ensure_current()  # as the writer's commit does: the pins count the page only
        with CaptureQueriesContext(connection) as c:
            assert staff_client.get(url).status_code == 200
        return len(c.captured_queries)

    few = count()
    for org in (five["payer"], five["debtor"], five["friendly"]):
        for _ in range(3):
            f.request(f.person(org), team, opened=AS_OF - timedelta(days=1))
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)  # the requests made the placements stale: bring them current
    assert count() == few


@pytest.mark.django_db
def test_moves_and_history_pages_queries(placed, staff_client, django_assert_num_queries):
    services.override(
        placed["debtor"], group=2, reason="new contract", expires=timezone.localdate()
    )
    rules.recompute(as_of=AS_OF)
    derived.ensure_current()  # as the writer's commit does: the pins count the page only
    # session, user, derived.ensure_current, latest run, baseline (none 30 days older: then the
    # oldest), moves
    with django_assert_num_queries(7):
        html = staff_client.get(reverse("fit:moves")).content.decode()
    assert "Unhappy Debtor" in html
    # session, user, derived.ensure_current, runs, counts per group, moves between the two
    with django_assert_num_queries(6):
        html = staff_client.get(reverse("fit:history")).content.decode()
    assert '<td class="num">1</td>' in html


def test_fast_account_urls_match_reverse():
    from clientmap.fit import selectors

    make = selectors.account_url_maker()
    for key in ["plain", "a/b %2F", "Завод №1", "q'\"<>&?#", "=SUM(A1)", "sp ace"]:
        assert make(key) == reverse("fit:account", args=[key]), key

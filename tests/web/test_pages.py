"""The web pages for the customer questions and the directory: content, filters, htmx, access."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clientmap.core import derived
from tests import factories as f

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def people_in_table(html: str) -> set[str]:
    """Names linked to a person page inside the relations table."""
    return set(re.findall(r'<a href="/people/[^/]+/">([^<]+)</a>', html))


# --- home -------------------------------------------------------------------------------------


def test_home_shows_the_numbers_with_links(web, world):
    html = text(web.get(reverse("home")))
    assert "<h1>" in html and "Who are our customers?" in html
    for link in (
        "?status=customer",
        "?status=active",
        "?status=prospect",
        "?status=nobody",
        "?kind=internal",
        "?kind=external_paying",
        "?kind=external_nonpaying",
        "?without=customers",
    ):
        assert link in html, link
    assert "Application team" in html  # top teams


def test_home_overview_numbers(world):
    from clientmap.customers.overview import organization_overview

    o = organization_overview()
    assert o["customers"] == 4  # alice, bob, carol, dave
    assert o["active"] == 3  # dave lapsed
    assert o["lapsed"] == 1
    assert o["prospects"] == 1  # erin
    assert o["kind_internal"] == 2
    assert o["kind_external_paying"] == 1
    assert o["kind_external_nonpaying"] == 1
    assert o["teams"] == 2 and o["teams_without"] == 1
    assert o["nobody"] == o["people_total"] - 4
    assert [t["team__key"] for t in o["top"]] == ["apps"]


def test_home_links_lead_to_lists_with_those_numbers(web, world):
    nobody = text(web.get(reverse("customers:people") + "?status=nobody"))
    assert "Lou Loner" in nobody and "Bea Boss" in nobody
    assert "Alice Internal" not in nobody
    lapsed = text(web.get(reverse("customers:people") + "?status=lapsed"))
    assert "Dave Lapsed" in lapsed and "Alice Internal" not in lapsed
    paying = text(web.get(reverse("customers:people") + "?kind=external_paying"))
    assert "Bob Paying" in paying and "Carol Nonpaying" not in paying
    prospects = text(web.get(reverse("customers:people") + "?status=prospect"))
    assert "Erin Prospect" in prospects and "Bob Paying" not in prospects
    without = text(web.get(reverse("customers:teams") + "?without=customers"))
    assert "Idle team" in without and "Application team" not in without


# --- teams ------------------------------------------------------------------------------------


def test_teams_list_with_counts(web, world):
    html = text(web.get(reverse("customers:teams")))
    assert reverse("customers:team", args=["apps"]) in html
    row = html[html.index("Application team") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row)
    assert cells == ["4", "3", "1", "1"]  # customers, active, external paying, prospects


def test_teams_search(web, world):
    html = text(web.get(reverse("customers:teams") + "?q=idle"))
    assert "Idle team" in html and "Application team" not in html


def test_teams_list_queries_do_not_grow_with_rows(web, world, django_assert_max_num_queries):
    for i in range(20):
        t = f.team(key=f"extra-{i}")
        f.involvement(f.person(), t, "implements")
    from clientmap.customers import rules

    rules.recompute()
    derived.ensure_current()  # the day's first read places the accounts (fit): not this page's
    with django_assert_max_num_queries(12):
        web.get(reverse("customers:teams"))
    with django_assert_max_num_queries(12):
        web.get(reverse("customers:people"))


# --- a team's customers -----------------------------------------------------------------------


def test_team_page(web, world):
    html = text(web.get(reverse("customers:team", args=["apps"])))
    assert "<h1>" in html and "Who are our customers?" in html
    assert people_in_table(html) >= {
        "Alice Internal",
        "Bob Paying",
        "Carol Nonpaying",
        "Dave Lapsed",
    }
    assert "Erin Prospect" not in html  # prospects hidden by default
    assert "Mia Member" in html  # team members
    assert "ERP hosting" in html  # services of the team
    assert 'class="evidence-toggle' in html
    assert reverse("customers:evidence", args=["apps", "bob"]) in html
    assert 'hx-get="/teams/apps/"' in html and 'hx-target="#relations"' in html


def test_team_filter_by_kind(web, world):
    html = text(web.get(reverse("customers:team", args=["apps"]) + "?kind=external_paying"))
    table = html[html.index('id="relations"') : html.index("Team members")]
    assert people_in_table(table) == {"Bob Paying"}


def test_team_filter_by_basis(web, world):
    url = reverse("customers:team", args=["apps"])
    assert people_in_table(text(web.get(url + "?basis=D", **HX))) == {"Carol Nonpaying"}
    assert people_in_table(text(web.get(url + "?basis=D&basis=S", **HX))) == {
        "Carol Nonpaying",
        "Dave Lapsed",
    }
    assert people_in_table(text(web.get(url + "?basis=R", **HX))) == {
        "Alice Internal",
        "Bob Paying",
    }


def test_team_filter_by_activity(web, world):
    url = reverse("customers:team", args=["apps"])
    assert people_in_table(text(web.get(url + "?active=lapsed", **HX))) == {"Dave Lapsed"}
    active = people_in_table(text(web.get(url + "?active=active", **HX)))
    assert active == {"Alice Internal", "Bob Paying", "Carol Nonpaying"}


def test_team_show_prospects(web, world):
    url = reverse("customers:team", args=["apps"])
    assert people_in_table(text(web.get(url + "?prospects=1", **HX))) == {"Erin Prospect"}


def test_htmx_request_returns_the_partial_only(web, world):
    url = reverse("customers:team", args=["apps"])
    html = text(web.get(url + "?kind=internal", **HX))
    assert "<html" not in html and "<h1>" not in html and "<form" not in html
    assert "<table" in html
    assert people_in_table(html) == {"Alice Internal", "Dave Lapsed"}
    # a history restore (back button) needs the whole page
    full = text(web.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX))
    assert "<html" in full


def test_evidence_partial_lists_the_request(web, world):
    url = reverse("customers:evidence", args=["apps", "bob"])
    html = text(web.get(url, **HX))
    assert "<html" not in html
    assert 'class="evidence-row"' in html
    assert "REQ-B1" in html and "REQ-A1" not in html
    assert "cash" in html


def test_evidence_partial_marks_a_declined_request(web, world):
    html = text(web.get(reverse("customers:evidence", args=["apps", "erin"]), **HX))
    assert "REQ-E1" in html and "does not count" in html


def test_evidence_without_js_is_a_page(web, world):
    html = text(web.get(reverse("customers:evidence", args=["apps", "carol"])))
    assert "<h1>" in html and "Signed the order" in html


# --- people -----------------------------------------------------------------------------------


def test_people_list_and_search(web, world):
    html = text(web.get(reverse("customers:people")))
    assert "Bob Paying" in html and "Acme Corp" in html
    html = text(web.get(reverse("customers:people") + "?q=acme.example"))
    assert "Bob Paying" in html and "Alice Internal" not in html
    html = text(web.get(reverse("customers:people") + "?q=alice"))
    assert "Alice Internal" in html and "1 team" in html


def test_people_filtered_by_organization(web, world):
    html = text(web.get(reverse("customers:people") + "?org=library"))
    assert "Carol Nonpaying" in html and "Bob Paying" not in html


def test_person_page_of_a_customer(web, world):
    html = text(web.get(reverse("customers:person", args=["alice"])))
    assert "<h1>" in html and "Whose customer is this person?" in html
    assert reverse("customers:team", args=["apps"]) in html
    assert reverse("customers:evidence", args=["apps", "alice"]) in html
    assert reverse("customers:person", args=["boss"]) in html  # manager link
    assert "Home Org" in html


def test_person_page_explains_a_manager(web, world):
    html = text(web.get(reverse("customers:person", args=["boss"])))
    assert "Manager of a customer" in html
    assert 'class="reason"' in html
    assert "Alice Internal" in html  # direct report


def test_person_page_of_a_prospect(web, world):
    html = text(web.get(reverse("customers:person", args=["erin"])))
    assert "Prospect only" in html
    assert reverse("customers:evidence", args=["apps", "erin"]) in html


# --- directory --------------------------------------------------------------------------------


def test_organizations_list(web, world):
    html = text(web.get(reverse("directory:organizations")))
    assert "<h1>" in html
    assert "Acme Corp" in html and "Home Org" in html
    assert reverse("directory:organization", args=["acme"]) in html


def test_organization_page(web, world):
    dept = f.unit(world.acme, key="acme-it", name="Acme IT")
    f.unit(world.acme, key="acme-ops", name="Acme Ops", parent=dept)
    html = text(web.get(reverse("directory:organization", args=["acme"])))
    assert "Bob Paying" in html and "Acme IT" in html and "Acme Ops" in html
    assert html.index("Acme IT") < html.index("Acme Ops")
    assert "?org=acme&amp;kind=external_paying" in html


def test_organization_customer_counts(world):
    from clientmap.directory.views import customer_counts

    counts = customer_counts(world.acme, 1)
    assert counts["customers"] == 1 and counts["kind_external_paying"] == 1
    assert counts["nobody"] == 0


# --- access -----------------------------------------------------------------------------------

PAGES = [
    ("home", []),
    ("customers:teams", []),
    ("customers:team", ["apps"]),
    ("customers:evidence", ["apps", "bob"]),
    ("customers:people", []),
    ("customers:person", ["alice"]),
    ("directory:organizations", []),
    ("directory:organization", ["acme"]),
]


@pytest.mark.parametrize("name,args", PAGES)
def test_anonymous_is_sent_to_login(client, world, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("name,args", PAGES)
def test_portal_user_does_not_see_internal_pages(client, world, name, args):
    client.force_login(f.user("portal", person=world.loner))
    response = client.get(reverse(name, args=args))
    assert response.status_code in (302, 403)
    assert b"Alice Internal" not in response.content


def test_team_member_sees_internal_pages(client, world):
    client.force_login(f.user("mia", person=world.member))
    assert client.get(reverse("customers:team", args=["apps"])).status_code == 200


@pytest.mark.parametrize(
    "name,args",
    [
        ("customers:team", ["nope"]),
        ("customers:evidence", ["apps", "nope"]),
        ("customers:evidence", ["nope", "bob"]),
        ("customers:person", ["nope"]),
        ("directory:organization", ["nope"]),
    ],
)
def test_unknown_key_is_404(web, world, name, args):
    assert web.get(reverse(name, args=args)).status_code == 404


def test_bad_filters_and_pages_are_ignored(web, world):
    url = reverse("customers:team", args=["apps"])
    html = text(web.get(url + "?kind=bogus&basis=X&active=maybe&page=999"))
    assert "Alice Internal" in html


@pytest.mark.django_db(transaction=True)
def test_overview_counts_teams_reaching_no_paying_customer(client) -> None:
    from clientmap.imports import demo as demo_data

    demo_data.load()
    client.force_login(f.user("overview-staff", staff=True))
    page = client.get("/")
    assert page.context["overview"]["unreached_teams"] == 1  # the monitoring team
    assert b"/value-chain/no-paying-customer/" in page.content

"""What a newcomer trips on: key fields with a searchable list and a clear message on a typo,
labels and local dates instead of raw values, why a team has no customers, team pages linking
to everything about the team, recipients shown before a notice is sent."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from clientmap.customers import rules
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def wish(db):
    f.home_org()
    f.service(key="svc-mail", name="Mail relay")
    f.service(key="svc-web", name="Web hosting")
    return Wish.objects.create(key="W-1", author=f.person(key="author"), title="Faster mail")


def test_key_fields_offer_a_searchable_list(staff_client, wish) -> None:
    options = staff_client.get("/pick/service/?service=mail").content.decode()
    assert 'value="svc-mail"' in options and "Mail relay" in options and "svc-web" not in options
    page = staff_client.get(reverse("voice:wish", args=["W-1"])).content.decode()
    assert 'list="pick-service"' in page and 'hx-get="/pick/service/"' in page
    assert staff_client.get("/pick/nothing/").status_code == 404


def test_the_maps_neighbourhood_field_offers_every_kind_of_node(staff_client, wish) -> None:
    f.team(key="t-mail/2", name="Mail team")
    options = staff_client.get("/pick/node/?focus=mail").content.decode()
    assert 'value="service:svc-mail"' in options and 'value="team:t-mail/2"' in options
    assert "svc-web" not in options
    only_teams = staff_client.get("/pick/node/?focus=team:mail").content.decode()
    assert 'value="team:t-mail/2"' in only_teams and "svc-mail" not in only_teams
    page = staff_client.get(reverse("valuechain:map")).content.decode()
    assert 'list="pick-node"' in page and 'hx-get="/pick/node/"' in page
    # what the list offers is what the map takes
    chosen = staff_client.get(reverse("valuechain:map"), {"focus": "team:t-mail/2"})
    assert (
        "Mail team" in chosen.content.decode() and "No service, team" not in chosen.content.decode()
    )


def test_a_typo_in_a_key_says_so_instead_of_a_404(staff_client, wish) -> None:
    url = reverse("voice:triage", args=["W-1"])
    response = staff_client.post(url, {"action": "cover", "service": "svc-mial"}, follow=True)
    assert response.status_code == 200
    assert "No service has the key “svc-mial”" in response.content.decode()
    response = staff_client.post(url, {"action": "merge", "into": "W-9"}, follow=True)
    assert response.status_code == 200 and "No wish has the key “W-9”" in response.content.decode()
    assert not wish.covered_by.exists() and Wish.objects.get(key="W-1").merged_into is None


def test_kinds_and_dates_are_labels_not_raw_values(staff_client) -> None:
    home = f.home_org()
    team = f.team(key="t-a", name="Alpha")
    acme = f.org(key="acme", name="Acme")
    buyer = f.person(acme, key="buyer", name="Bea")
    f.request(buyer, team, status="fulfilled", payment="cash", opened=date(2026, 3, 4))
    rules.recompute()
    page = staff_client.get(reverse("customers:team", args=["t-a"])).content.decode()
    assert "external paying" in page
    assert ">external_paying<" not in page
    assert "4 Mar 2026" in page and "2026-03-04" not in page
    assert home.pk


def test_a_team_without_customers_says_why_and_links_to_its_reach(staff_client) -> None:
    f.home_org()
    lonely = f.team(key="t-mon", name="Monitoring")
    f.service(lonely, key="svc-mon", name="Monitoring agent")
    page = staff_client.get(reverse("customers:team", args=["t-mon"])).content.decode()
    assert "No customers match these filters" not in page
    assert "nobody has asked it for anything" in page
    assert "nothing consumes its services" in page
    assert reverse("valuechain:team", args=["t-mon"]) in page
    assert reverse("valuechain:team_flow", args=["t-mon"]) in page
    filtered = staff_client.get(reverse("customers:team", args=["t-mon"]) + "?kind=internal")
    assert "No customers match these filters" in filtered.content.decode()


def test_every_page_about_a_team_links_to_all_of_them(staff_client) -> None:
    f.home_org()
    team = f.team(key="t-x", name="Team X")
    f.service(team, key="svc-x", name="Service X")
    links = [
        reverse("customers:team", args=["t-x"]),
        reverse("engagements:requests") + "?team=t-x",
        reverse("valuechain:team", args=["t-x"]),
        reverse("valuechain:team_flow", args=["t-x"]),
        reverse("valuechain:service", args=["svc-x"]),
    ]
    for url in links:
        page = staff_client.get(url).content.decode()
        nav = page[page.index('class="team-links"') :]
        nav = nav[: nav.index("</nav>")]
        for target in links:
            if target.split("?")[0] != url.split("?")[0]:
                assert target.replace("&", "&amp;") in nav or target in nav, (url, target)


def test_long_lists_page_sort_and_filter(staff_client) -> None:
    home = f.home_org()
    other = f.org(key="zeta", name="Zeta Org")
    for i in range(60):
        f.person(home if i % 2 else other, key=f"p{i:02d}", name=f"Person {i:02d}")
    page = staff_client.get("/people/").content.decode()
    assert "Person 00" in page and "Person 55" not in page and "Page 1 of 2" in page
    desc = staff_client.get("/people/?sort=-name").content.decode()
    assert "Person 59" in desc and desc.index("Person 59") < desc.index("Person 58")
    assert 'aria-sort="descending"' in desc
    by_org = staff_client.get("/people/?sort=-organization").content.decode()
    assert by_org.index("Zeta Org") < by_org.index("Home Org")
    second = staff_client.get("/people/?sort=-name&page=2").content.decode()
    assert "Person 00" in second  # the sort is kept across pages
    found = staff_client.get("/people/?q=Person+1").content.decode()
    assert "Person 15" in found and "Person 25" not in found
    for i in range(55):
        f.team(key=f"t{i:02d}", name=f"Team {i:02d}")
    teams = staff_client.get("/teams/?sort=-name").content.decode()
    assert teams.index("Team 54") < teams.index("Team 53") and "Page 1 of 2" in teams

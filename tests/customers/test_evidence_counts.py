"""Three counts of evidence, three names (clientmap/customers/shapes.py): each is what it says."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from clientmap.customers import selectors
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def mixed(home):
    """One customer with an agreed request, a declined one, a pending one and an involvement."""
    acme = f.org(key="acme")
    team = f.team(key="apps")
    p = f.person(acme, key="pat")
    f.request(p, team, key="R-OK", status="accepted", opened=TODAY)
    f.request(p, team, key="R-NO", status="declined", opened=TODAY)
    f.request(p, team, key="R-WAIT", status="submitted", opened=TODAY)
    f.involvement(p, team, "decides", date=TODAY)
    return team, p


def test_the_model_names_each_count(mixed):
    team, p = mixed
    r = selectors.team_customers(team).get()
    assert (r.request_count, r.involvement_count, r.prospect_request_count) == (1, 1, 2)
    items = selectors.evidence(team, p)
    assert r.customer_evidence == sum(1 for e in items if e.counts) == 2
    assert r.evidence_total == len(items) == 4


def test_api_evidence_count_is_every_item_on_the_evidence_page(client, mixed):
    team, p = mixed
    client.force_login(f.user("ev-staff", staff=True))
    row = client.get(f"/api/customers/teams/{team.key}/customers").json()["items"][0]
    listed = client.get(f"/api/customers/teams/{team.key}/customers/{p.key}/evidence").json()
    assert row["evidence_count"] == len(listed) == 4
    assert row["declined_or_pending_requests"] == 2
    assert row["request_count"] == 1 and row["involvement_count"] == 1


def test_cli_json_has_the_same_shape_as_the_api(client, mixed, capsys):
    team, _p = mixed
    client.force_login(f.user("ev-staff2", staff=True))
    api = client.get(f"/api/customers/teams/{team.key}/customers").json()["items"][0]
    call_command("customers", team.key, "--json")
    cli = json.loads(capsys.readouterr().out)["customers"][0]
    assert {k: cli[k] for k in api} == api


def test_the_team_page_shows_the_customer_evidence(client, mixed):
    team, p = mixed
    client.force_login(f.user("ev-staff3", staff=True))
    html = client.get(reverse("customers:team", args=[team.key])).content.decode()
    row = html[html.index(p.name) :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    assert cells == ["2"]  # the agreed request and the involvement, not the declined ones

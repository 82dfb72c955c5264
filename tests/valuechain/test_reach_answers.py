"""V1's answers in full: what ``reach`` says of a team, how many paying customers every team
reaches, and the flagged teams (work that reaches no paying customer) with what they serve — the
shapes the API, the CLI's ``--json`` and the pages read."""

from __future__ import annotations

import pytest

from clientmap.customers import rules as customer_rules
from clientmap.valuechain import graph as value_graph
from clientmap.valuechain import selectors
from tests import factories as f

pytestmark = pytest.mark.django_db


def label(kind, key, name):
    return {"type": kind, "key": key, "name": name}


def test_reach_names_the_team_and_its_services(chain):
    r = selectors.reach(chain.teams["cyc"])
    assert set(r) == {
        "team",
        "services",
        "reaches_paying_customer",
        "paying_customers",
        "direct_customers",
        "customers_reached",
        "served",
    }
    assert r["team"] == label("team", "t-cyc", "Cyclic")
    assert r["services"] == [
        label("service", "svc-a", "Cycle A"),
        label("service", "svc-b", "Cycle B"),
    ]
    assert set(r["served"]) == {"services", "units", "organizations", "teams"}
    assert r["served"]["teams"] == {"total": 0, "items": []}


def test_reach_lists_the_teams_it_serves(chain):
    r = selectors.reach(chain.teams["db"])
    teams = r["served"]["teams"]
    assert {i["node"]["key"] for i in teams["items"]} == {"t-app", "t-fin", "t-sales"}
    assert teams["total"] == 3


def test_a_team_the_loaded_graph_does_not_know_reaches_nothing(chain):
    # The last team of the graph has a customer: nothing of it may leak to the newcomer.
    f.request(f.person(chain.home), chain.teams["mon"])
    customer_rules.recompute()
    g = value_graph.load_graph()
    newcomer = f.team(key="t-new", name="Newcomer")
    f.request(f.person(chain.acme), newcomer, payment="cash")
    customer_rules.recompute()
    r = selectors.reach(newcomer, graph=g)
    assert r["reaches_paying_customer"] is False
    assert r["services"] == []
    assert r["direct_customers"] == {"internal": 0, "external": 0, "external_paying": 0}


def test_how_many_paying_customers_every_team_reaches(chain):
    assert selectors.paying_reach_counts() == {
        "t-storage": 2,
        "t-db": 2,
        "t-app": 2,
        "t-fin": 1,
        "t-sales": 1,
        "t-cyc": 0,
        "t-mon": 0,
    }


def test_flagged_teams_in_full(chain):
    out = selectors.teams_reaching_no_paying_customer()
    assert out == {
        "total": 2,
        "offset": 0,
        "items": [
            {
                "team": label("team", "t-cyc", "Cyclic"),
                "services": 2,
                "direct_customers": 0,
                "serves": {"services": 0, "units": 0, "organizations": 0, "teams": 0},
                "examples": [],
            },
            {
                "team": label("team", "t-mon", "Monitoring"),
                "services": 1,
                "direct_customers": 0,
                "serves": {"services": 0, "units": 0, "organizations": 0, "teams": 0},
                "examples": [],
            },
        ],
    }


def test_a_flagged_team_counts_its_customers_not_its_prospects(chain):
    helpdesk = f.team(key="t-help", name="Helpdesk")
    a, b, c = f.person(chain.home), f.person(chain.home), f.person(chain.home)
    f.request(a, helpdesk)
    f.request(a, helpdesk)
    f.request(b, helpdesk, status="fulfilled")
    f.request(c, helpdesk, status="declined")
    customer_rules.recompute()
    items = {i["team"]["key"]: i for i in selectors.teams_reaching_no_paying_customer()["items"]}
    assert items["t-help"]["direct_customers"] == 2
    assert items["t-help"]["services"] == 0


def test_a_flagged_team_says_what_it_serves_with_five_examples(chain):
    team = f.team(key="t-forms", name="Forms")
    svc = f.service(team, key="svc-forms", name="Forms")
    consumer = f.service(f.team(key="t-x", name="X"), key="svc-x", name="X")
    f.consumes(consumer, svc)
    f.consumes(f.unit(chain.library, key="u-reading", name="Reading room"), svc)
    for i in range(5):
        f.consumes(f.org(key=f"free-{i}", name=f"Free {i}"), svc)  # they pay nothing
    items = {i["team"]["key"]: i for i in selectors.teams_reaching_no_paying_customer()["items"]}
    forms = items["t-forms"]
    # The library (through its reading room) and five more organizations, none paying.
    assert forms["serves"] == {"services": 1, "units": 1, "organizations": 6, "teams": 1}
    # Organizations first, then units, then services; five at most.
    assert [e["type"] for e in forms["examples"]] == ["organization"] * 5
    assert len({e["key"] for e in forms["examples"]}) == 5


def test_flagged_teams_are_listed_by_name_whatever_their_case_fifty_at_a_time(home):
    for i in range(52):
        f.team(key=f"t-{i:02d}", name=f"{'Zeta' if i % 2 else 'alpha'} {i:02d}")
    out = selectors.teams_reaching_no_paying_customer()
    assert out["total"] == 52 and len(out["items"]) == 50
    names = [i["team"]["name"] for i in out["items"]]
    assert names[:2] == ["alpha 00", "alpha 02"] and names[-1] == "Zeta 47"
    rest = selectors.teams_reaching_no_paying_customer(offset=50, limit=10)
    assert [i["team"]["name"] for i in rest["items"]] == ["Zeta 49", "Zeta 51"]
    assert rest["offset"] == 50

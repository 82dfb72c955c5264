"""V2's direct customers in detail: only the affected teams' customers, in the order a reader
scans them (external paying first, by name within a kind), cut at the limit.

Written for the mutants of ``clientmap.valuechain.impact`` that the scenario tests let live
(scripts/mutation.sh impact)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clientmap.customers import rules as customer_rules
from clientmap.valuechain import graph as value_graph
from clientmap.valuechain import selectors
from tests import factories as f
from tests.valuechain.conftest import TODAY

pytestmark = pytest.mark.django_db


def people(section: dict) -> list[str]:
    return [i["person"]["key"] for i in section["items"]]


def test_a_failure_reaching_only_a_team_without_customers_lists_no_customer(chain):
    # Monitoring has no customers: the customers of the other teams are not listed either.
    direct = selectors.impact(chain.services["mon"])["direct_customers"]
    assert direct["total"] == 0
    assert direct["items"] == []


def test_direct_customers_of_the_affected_teams_only(chain):
    # Storage → database hosting → licences (Sales): Globex's buyer is a customer of Sales;
    # the expense application's and Finance's customers are reached too, the cycle's none.
    out = selectors.impact(chain.services["a"])
    assert out["direct_customers"]["items"] == []
    sales = selectors.impact(chain.services["licences"])["direct_customers"]
    assert people(sales) == ["globex-buyer"]
    assert sales["total"] == 1


def test_a_limit_of_one_lists_the_first_direct_customer(chain):
    direct = selectors.impact(chain.services["db"], limit=1)["direct_customers"]
    assert direct["total"] == 6
    assert people(direct) == ["acme-buyer"]
    assert direct["items"][0]["kind"] == "external_paying"


def test_a_limit_of_zero_lists_nothing_but_counts_everything(chain):
    out = selectors.impact(chain.services["db"], limit=0)
    direct = out["direct_customers"]
    assert direct["total"] == 6 and direct["items"] == []
    # Every section is counted in full and lists nothing.
    totals = {s: out[s]["total"] for s in ("services", "units", "teams", "organizations")}
    assert totals == {"services": 3, "units": 1, "teams": 4, "organizations": 2}
    for section in ("services", "units", "teams", "organizations", "paying_customers"):
        assert out[section]["items"] == [], section


def test_a_limit_cuts_every_section_of_the_impact(chain):
    out = selectors.impact(chain.services["db"], limit=1)
    for section in ("services", "teams", "organizations", "paying_customers"):
        assert len(out[section]["items"]) == 1, section
    assert out["services"]["items"][0]["node"]["key"] == "svc-db"  # breadth first
    assert out["paying_customers"]["total"] == 2


def test_direct_customers_are_listed_by_kind_then_by_name(chain):
    # Aaron, created last, sorts first among the external paying by name.
    aaron = f.person(chain.acme, key="aaron", name="Aaron Acme")
    f.request(aaron, chain.teams["fin"], key="R-aaron", payment="cash", opened=TODAY - timedelta(3))
    customer_rules.recompute()
    direct = selectors.impact(chain.services["db"])["direct_customers"]
    assert people(direct) == [
        "aaron",  # external paying, by name
        "acme-buyer",
        "globex-buyer",
        "acme-user",  # external, paying nothing
        "librarian",
        "controller",  # internal
        "janitor",
    ]
    assert [i["kind"] for i in direct["items"]] == ["external_paying"] * 3 + [
        "external_nonpaying"
    ] * 2 + ["internal"] * 2
    # Each with the path to the team it is a customer of.
    assert [n["key"] for n in direct["items"][0]["path"]] == [
        "svc-db",
        "svc-expense",
        "u-finance",
        "t-fin",
        "aaron",
    ]
    assert direct["items"][0]["path"][-1] == {
        "type": "person",
        "key": "aaron",
        "name": "Aaron Acme",
    }
    assert direct["items"][0]["team"] == "t-fin"
    assert direct["items"][0]["person"] == {
        "type": "person",
        "key": "aaron",
        "name": "Aaron Acme",
        "email": aaron.email,
        "language": aaron.language,
    }


def test_a_failure_of_the_first_service_affects_everything_above_it(chain):
    # Infrastructure storage is the graph's first service: everything is built on it.
    out = selectors.impact(chain.services["storage"])
    assert {i["node"]["key"] for i in out["services"]["items"]} == {
        "svc-storage",
        "svc-db",
        "svc-expense",
        "svc-licences",
        "svc-a",
        "svc-b",
    }
    assert {i["node"]["key"] for i in out["paying_customers"]["items"]} == {"acme", "globex"}
    assert out["direct_customers"]["total"] == 6


def test_a_component_the_graph_does_not_know_affects_nothing(chain):
    g = value_graph.load_graph()
    out = selectors.impact_graph(g, -1)
    for section in ("services", "units", "teams", "organizations", "paying_customers"):
        assert out[section]["total"] == 0 and out[section]["items"] == [], section
    assert len(out["_teams"]) == 0

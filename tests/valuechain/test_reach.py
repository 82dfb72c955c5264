"""V1: the paying customers a team's work reaches, with the path, on a chain with a cycle."""

from __future__ import annotations

import pytest

from clientmap.valuechain import selectors

pytestmark = pytest.mark.django_db


def keys(path: list[dict]) -> list[str]:
    return [n["key"] for n in path]


def test_storage_reaches_both_paying_customers_with_shortest_paths(chain):
    r = selectors.reach(chain.teams["storage"])
    assert r["reaches_paying_customer"] is True
    paying = {i["node"]["key"]: keys(i["path"]) for i in r["paying_customers"]["items"]}
    assert paying == {
        "globex": ["svc-storage", "svc-db", "svc-licences", "t-sales", "globex"],
        "acme": ["svc-storage", "svc-db", "svc-expense", "u-finance", "t-fin", "acme"],
    }
    # Nearest first.
    assert [i["node"]["key"] for i in r["paying_customers"]["items"]] == ["globex", "acme"]
    assert r["paying_customers"]["items"][0]["distance"] == 4


def test_customers_reached_are_people_of_the_teams_reached(chain):
    r = selectors.reach(chain.teams["storage"])
    # Teams reached: storage, db, app, fin, sales, cyc. Their C1 customers: controller and
    # janitor (internal, of t-app); librarian, acme-user (external, of t-app); acme-buyer
    # (paying, of t-fin); globex-buyer (paying, of t-sales).
    assert r["customers_reached"] == {"internal": 2, "external": 4, "external_paying": 2}
    assert r["direct_customers"] == {"internal": 0, "external": 0, "external_paying": 0}
    served = r["served"]
    assert {i["node"]["key"] for i in served["units"]["items"]} == {"u-finance"}
    assert {i["node"]["key"] for i in served["organizations"]["items"]} == {"home", "library"}
    assert {i["node"]["key"] for i in served["services"]["items"]} == {
        "svc-db",
        "svc-expense",
        "svc-licences",
        "svc-a",
        "svc-b",
    }


def test_a_team_reaches_the_organization_that_pays_it_directly(chain):
    r = selectors.reach(chain.teams["sales"])
    assert [keys(i["path"]) for i in r["paying_customers"]["items"]] == [["t-sales", "globex"]]
    assert r["direct_customers"] == {"internal": 0, "external": 1, "external_paying": 1}


def test_finance_unit_passes_value_to_its_own_teams_services(chain):
    r = selectors.reach(chain.teams["app"])
    assert [(keys(i["path"]), i["direct"]) for i in r["paying_customers"]["items"]] == [
        (["svc-expense", "u-finance", "t-fin", "acme"], True),
        # Finance is part of the home organization, whose paying customers fund it all.
        (["svc-expense", "u-finance", "home", "globex"], False),
    ]
    assert r["paying_customers"]["direct"] == 1


def test_serving_a_business_unit_reaches_paying_customers_through_the_home_organization(chain):
    from tests import factories as f

    erp = f.team(key="t-erp", name="ERP")
    f.consumes(chain.facilities, f.service(erp, key="svc-erp"))
    r = selectors.reach(erp)
    assert r["reaches_paying_customer"] is True
    assert r["paying_customers"]["direct"] == 0
    assert [keys(i["path"]) for i in r["paying_customers"]["items"]] == [
        ["svc-erp", "u-facilities", "home", "acme"],
        ["svc-erp", "u-facilities", "home", "globex"],
    ]
    assert "t-erp" not in {
        i["team"]["key"] for i in selectors.teams_reaching_no_paying_customer()["items"]
    }
    assert selectors.reach_all(direct=True)["t-erp"] == []


def test_cycle_and_dead_end_reach_no_paying_customer(chain):
    cyc = selectors.reach(chain.teams["cyc"])
    assert cyc["reaches_paying_customer"] is False
    assert cyc["paying_customers"] == {"total": 0, "direct": 0, "items": []}
    mon = selectors.reach(chain.teams["mon"])
    assert mon["reaches_paying_customer"] is False
    assert mon["served"]["services"]["total"] == 0


def test_reach_all_at_once_agrees_with_one_search_per_team(chain):
    everything = selectors.reach_all()
    assert everything == {
        "t-storage": ["acme", "globex"],
        "t-db": ["acme", "globex"],
        "t-app": ["acme", "globex"],
        "t-fin": ["acme"],
        "t-sales": ["globex"],
        "t-cyc": [],
        "t-mon": [],
    }
    assert selectors.reach_all(direct=True)["t-app"] == ["acme"]
    for team in chain.teams.values():
        one = selectors.reach(team)
        assert sorted(i["node"]["key"] for i in one["paying_customers"]["items"]) == sorted(
            everything[team.key]
        )


def test_teams_reaching_no_paying_customer_say_what_they_serve(chain):
    out = selectors.teams_reaching_no_paying_customer()
    assert out["total"] == 2
    by_key = {i["team"]["key"]: i for i in out["items"]}
    assert list(by_key) == ["t-cyc", "t-mon"]  # by name: Cyclic, Monitoring
    assert by_key["t-cyc"]["services"] == 2
    assert by_key["t-cyc"]["serves"] == {"services": 0, "units": 0, "organizations": 0, "teams": 0}
    assert by_key["t-mon"]["direct_customers"] == 0


def test_a_new_consumption_edge_is_seen_at_once(chain):
    from tests import factories as f

    assert selectors.reach_all()["t-mon"] == []
    f.consumes(chain.services["billing"], chain.services["mon"])
    assert selectors.reach_all()["t-mon"] == ["acme"]

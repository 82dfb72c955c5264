"""Graph correctness: cycles reported, isolated services listed, nothing hangs."""

from __future__ import annotations

import pytest

from clientmap.valuechain import rules, selectors
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_cycle_is_reported_with_its_services(chain):
    out = selectors.cycles()
    assert [c["services"] for c in out] == [["svc-a", "svc-b"]]
    assert out[0]["size"] == 2


def test_self_consumption_is_a_cycle(chain):
    f.consumes(chain.services["mon"], chain.services["mon"])
    assert ["svc-monitoring"] in [c["services"] for c in selectors.cycles()]


def test_isolated_services_are_listed(chain):
    out = selectors.isolated_services()
    assert [i["key"] for i in out["items"]] == ["svc-monitoring"]
    assert out["items"][0]["team"] == "t-mon"


def test_a_big_ring_does_not_hang(home):
    t = f.team(key="t-ring")
    ring = [f.service(t, key=f"ring-{i:03d}") for i in range(300)]
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        f.consumes(b, a)
    payer = f.org(key="payer")
    f.consumes(payer, ring[150])
    # The payer pays another team: the ring reaches it only through ring-150.
    f.request(f.person(payer), f.team(key="t-billing"), payment="cash")
    from clientmap.customers import rules as customer_rules

    customer_rules.recompute()
    assert selectors.reach_all() == {"t-ring": ["payer"], "t-billing": ["payer"]}
    cyc = selectors.cycles()
    assert len(cyc) == 1 and len(cyc[0]["services"]) == 300
    out = selectors.impact(ring[0])
    assert out["services"]["total"] == 300
    path = [n["key"] for n in out["paying_customers"]["items"][0]["path"]]
    assert path == [f"ring-{i:03d}" for i in range(151)] + ["payer"]


def test_graph_is_cached_until_something_changes(chain):
    g1 = rules.load_graph()
    assert rules.load_graph() is g1
    f.service(chain.teams["mon"], key="svc-new")
    assert rules.load_graph() is not g1


def test_a_unit_hosting_providers_that_consumes_a_service_closes_no_cycle(chain):
    infra = chain.teams["storage"].unit
    f.consumes(infra, chain.services["expense"])
    assert [c["services"] for c in selectors.cycles()] == [["svc-a", "svc-b"]]
    out = selectors.impact(chain.services["expense"])
    services = {i["node"]["key"] for i in out["services"]["items"]}
    assert services == {"svc-expense"}
    # The infrastructure unit's teams are affected (their people use the app), not their services.
    assert {"t-storage", "t-db"} <= {i["node"]["key"] for i in out["teams"]["items"]}

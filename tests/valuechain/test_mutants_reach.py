"""V1 and V2 on the stored reach sets (``valuechain.reachsets``), in the cases the scenario tests
and the random comparisons leave open: no stored set (the answer is counted from the relations,
the same), a service the graph does not know, a large set's stored figures, the order and the
pages of the direct customers and of the recipients, and the sets the graph is made of.

Written for the mutants of ``clientmap.valuechain.impact`` and ``reachsets`` that the other tests
let live (scripts/mutation.sh impact, reachsets)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation
from clientmap.valuechain import impact, reachsets
from clientmap.valuechain.graph import SERVICE, TEAM, load_graph
from clientmap.valuechain.models import ReachSet, ReachSetTeam
from tests import factories as f

pytestmark = pytest.mark.django_db


def people(section: dict) -> list[tuple[str, str, str]]:
    return [(i["person"]["key"], i["kind"], i["team"]) for i in section["items"]]


DB_CUSTOMERS = [
    ("acme-buyer", "external_paying", "t-fin"),
    ("globex-buyer", "external_paying", "t-sales"),
    ("acme-user", "external_nonpaying", "t-app"),
    ("librarian", "external_nonpaying", "t-app"),
    ("controller", "internal", "t-app"),
    ("janitor", "internal", "t-app"),
]


def test_without_a_stored_set_the_direct_customers_are_counted_from_the_relations(chain):
    # Database hosting's failure reaches four teams; with no reach set stored (a graph loaded
    # before the sets were rebuilt) the same customers are counted and listed, with their paths.
    g = load_graph()
    with_sets = impact.impact(chain.services["db"], graph=g)["direct_customers"]
    ReachSet.objects.all().delete()
    direct = impact.impact(chain.services["db"], graph=g)["direct_customers"]
    assert direct == with_sets
    assert (direct["total"], direct["internal"], direct["external"]) == (6, 2, 4)
    assert direct["external_paying"] == 2
    assert people(direct) == DB_CUSTOMERS
    assert [n["key"] for n in direct["items"][0]["path"]] == [
        "svc-db",
        "svc-expense",
        "u-finance",
        "t-fin",
        "acme-buyer",
    ]
    first = impact.impact(chain.services["db"], graph=g, limit=2)["direct_customers"]
    assert first["total"] == 6 and people(first) == DB_CUSTOMERS[:2]


def test_a_service_the_graph_does_not_know_has_no_direct_customers(chain):
    g = load_graph()
    newcomer = f.service(chain.teams["fin"], key="svc-new", name="New")
    out = impact.impact(newcomer, graph=g)
    assert out["direct_customers"] == {
        "total": 0,
        "internal": 0,
        "external": 0,
        "external_paying": 0,
        "items": [],
    }
    assert out["teams"]["total"] == 0 and out["paying_customers"]["total"] == 0


@pytest.fixture
def stored(monkeypatch):
    """Every reach set's people and figures stored (as the large sets' are)."""
    monkeypatch.setattr(reachsets, "LARGE", -1)
    derived.mark_stale(reachsets.TABLE)
    derived.ensure_current()


def _set_of(service):
    g = load_graph()
    order, _pred = g.bfs([g.node(SERVICE, service.pk)])
    return g, reachsets.find(g, g.of_type(order, TEAM))


def test_a_large_sets_figures_are_read_as_stored(chain, stored):
    g, rs = _set_of(chain.services["db"])
    assert rs.stored and rs.teams == 4
    assert (rs.internal, rs.external, rs.external_paying) == (2, 4, 2)
    direct = impact.impact(chain.services["db"], graph=g)["direct_customers"]
    assert (direct["total"], direct["external_paying"]) == (6, 2)
    assert people(direct) == DB_CUSTOMERS


def test_a_set_is_named_by_its_teams_in_any_order():
    assert reachsets.digest(["t-b", "t-a"]) == reachsets.digest(["t-a", "t-b"])
    # the keys are kept apart: two teams are not the one whose key is both run together
    assert reachsets.digest(["t-a", "t-b"]) != reachsets.digest(["t-at-b"])
    assert reachsets.digest(["t-a"]) != reachsets.digest([])


RELATIONS = CustomerRelation._meta.db_table
SET_TEAMS = ReachSetTeam._meta.db_table


def _direct_and_sql(service, g, **kw) -> tuple[dict, str]:
    with CaptureQueriesContext(connection) as queries:
        direct = impact.impact(service, graph=g, **kw)["direct_customers"]
    return direct, " ".join(q["sql"] for q in queries.captured_queries)


def test_a_large_sets_customers_are_read_as_stored_without_the_relations(chain, stored):
    # What the reach sets are for: the direct customers of a failure reaching thousands of teams
    # are read from the stored figures and rows, not counted over every relation.
    g = load_graph()
    direct, sql = _direct_and_sql(chain.services["db"], g)
    assert people(direct) == DB_CUSTOMERS and direct["total"] == 6
    assert RELATIONS not in sql


def test_a_small_sets_customers_are_read_through_its_stored_teams(chain):
    # a small set: its relations through a join with its stored teams, never a list of ids
    g = load_graph()
    assert not _set_of(chain.services["db"])[1].stored
    direct, sql = _direct_and_sql(chain.services["db"], g)
    assert people(direct) == DB_CUSTOMERS and direct["external_paying"] == 2
    assert RELATIONS in sql and SET_TEAMS in sql


def test_a_failure_reaching_every_team_reads_every_relation_without_a_join(chain):
    f.consumes(chain.services["mon"], chain.services["storage"])
    g = load_graph()
    g_, rs = _set_of(chain.services["storage"])
    assert rs.teams == 7 and reachsets.every_team(g, rs) and not rs.stored
    direct, sql = _direct_and_sql(chain.services["storage"], g)
    assert direct["total"] == 6 and people(direct) == DB_CUSTOMERS
    assert RELATIONS in sql and SET_TEAMS not in sql
    # and so are the recipients of "tell the affected customers": counted, listed, paged
    from clientmap.valuechain import notices

    audience = notices.audience(chain.services["storage"], g)
    with CaptureQueriesContext(connection) as queries:
        for lapsed in (False, True):
            counted = audience.count(include_lapsed=lapsed)
            listed = list(audience.people(include_lapsed=lapsed))
            paged = audience.rows(include_lapsed=lapsed, limit=3, offset=1)
            languages = audience.languages(include_lapsed=lapsed)
            assert counted == len(listed) == sum(n for _code, n in languages)
            assert [r["person"].pk for r in paged] == [p.pk for p in listed][1:4]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert RELATIONS in sql and SET_TEAMS not in sql


def test_the_reach_set_of_a_services_failure(chain):
    g, rs = _set_of(chain.services["db"])
    assert reachsets.of_service(chain.services["db"], g) == rs and rs.teams == 4
    assert sorted(
        ReachSetTeam.objects.filter(reach_set=rs).values_list("team__key", flat=True)
    ) == [
        "t-app",
        "t-db",
        "t-fin",
        "t-sales",
    ]
    newcomer = f.service(chain.teams["fin"], key="svc-new", name="New")
    assert reachsets.of_service(newcomer, g) is None  # not in the graph the sets were built from


def test_a_scoped_refresh_rewrites_several_peoples_rows(chain, stored):
    # two people renamed behind the signals' back: their rows are written again, both of them
    from clientmap.directory.models import Person
    from clientmap.valuechain.models import ReachSetPerson

    ada, carl = chain.people["acme-buyer"], chain.people["controller"]
    Person.objects.filter(pk=ada.pk).update(name="Zoe Acme", email="zoe@example.org")
    Person.objects.filter(pk=carl.pk).update(name="Cy Controller")
    reachsets.refresh_people(frozenset({ada.pk, carl.pk}), frozenset())
    _g, rs = _set_of(chain.services["db"])
    rows = dict(ReachSetPerson.objects.filter(reach_set=rs).values_list("person__key", "name"))
    assert rows["acme-buyer"] == "Zoe Acme" and rows["controller"] == "Cy Controller"
    assert rows["janitor"] == "Jan Janitor"  # the others kept
    # and by organization: Acme's people
    Person.objects.filter(pk=chain.people["acme-user"].pk).update(name="Aby Acme")
    reachsets.refresh_people(frozenset(), frozenset({chain.acme.pk, chain.globex.pk}))
    rows = dict(ReachSetPerson.objects.filter(reach_set=rs).values_list("person__key", "name"))
    assert rows["acme-user"] == "Aby Acme" and rows["acme-buyer"] == "Zoe Acme"
    assert rows["globex-buyer"] == "Gil Globex"
    assert len(rows) == 6
    # people and organizations at once
    Person.objects.filter(pk=carl.pk).update(name="Cyd Controller")
    Person.objects.filter(pk=chain.people["globex-buyer"].pk).update(name="Gia Globex")
    reachsets.refresh_people(frozenset({carl.pk}), frozenset({chain.globex.pk}))
    rows = dict(ReachSetPerson.objects.filter(reach_set=rs).values_list("person__key", "name"))
    assert rows["controller"] == "Cyd Controller" and rows["globex-buyer"] == "Gia Globex"
    assert len(rows) == 6

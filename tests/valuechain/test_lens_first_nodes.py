"""V3 where the value-chain graph holds no service: the first organization and the first unit
are then node 0 of the graph. Tracing must treat node 0 like any other node (a node index is
"none" only when it is negative).

Written for mutants of ``clientmap.valuechain.lens`` (``>= 0`` read as ``> 0``, an index
clamped to 1 instead of 0) that every world with a service let live."""

from __future__ import annotations

from datetime import date

import pytest

from clientmap.valuechain import selectors
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_home_organization_as_first_node_still_traces():
    home = f.home_org()  # the first organization: node 0 when there is no service or unit
    acme = f.org(key="acme")
    team = f.team(key="desk")
    f.request(f.person(acme), team, payment="cash", opened=date.today())
    f.request(f.person(home), team, opened=date.today())
    out = selectors.lens(team)
    # acme pays (direct); the home person's work traces through the home organization
    assert out["requests"] == {
        "total": 2,
        "traced": 2,
        "share": 1.0,
        "direct": 1,
        "direct_share": 0.5,
    }
    assert sorted((r["via"]["key"], r["direct"]) for r in out["routes"]) == [
        ("acme", True),
        (home.key, False),
    ]


def test_the_first_unit_as_first_node_is_a_unit():
    home = f.home_org()
    first = f.unit(home, key="u-first")  # node 0: the graph has no service
    other = f.org(key="other")  # pays nothing
    f.unit(other, key="u-other")  # node 1
    acme = f.org(key="acme")
    team = f.team(key="desk")
    f.request(f.person(acme), team, payment="cash", opened=date.today())
    f.request(f.person(home, unit=first), team, opened=date.today())
    f.involvement(f.person(home, unit=first), team, "specifier", hours=2)
    # a home person without a unit: traced through the organization alone
    f.involvement(f.person(home), team, "approver", hours=3)
    out = selectors.lens(team)
    assert out["requests"]["traced"] == 2 and out["requests"]["direct"] == 1
    routes = {r["via"]["key"]: r for r in out["routes"]}
    assert set(routes) == {"acme", "u-first"}
    assert routes["u-first"]["direct"] is False
    assert out["involvements"] == {
        "total": 2,
        "traced": 2,
        "share": 1.0,
        "direct": 0,
        "direct_share": 0.0,
    }
    assert out["hours"]["traced"] == 5.0


def test_a_team_with_no_work_has_nothing_untraced():
    f.home_org()
    team = f.team(key="idle", name="Idle desk")
    out = selectors.lens(team)
    assert out["team"] == {"type": "team", "key": "idle", "name": "Idle desk"}
    assert out["requests"] == {
        "total": 0,
        "traced": 0,
        "share": None,
        "direct": 0,
        "direct_share": None,
    }
    assert out["untraced"] == {"total": 0, "items": []}
    assert out["routes"] == []


def test_untraced_requests_of_one_day_are_listed_by_key():
    f.home_org()
    stranger = f.person(f.org(key="free-rider"))  # pays nothing: traces to none
    team = f.team(key="desk")
    for key in ("U-c", "U-a", "U-b"):  # created out of key order
        f.request(stranger, team, key=key, opened=date(2026, 11, 2))
    f.request(stranger, team, key="U-0", opened=date(2026, 11, 1))
    out = selectors.lens(team)
    assert [r["key"] for r in out["untraced"]["items"]] == ["U-a", "U-b", "U-c", "U-0"]
    page = selectors.lens(team, limit=2, untraced_offset=1)
    assert [r["key"] for r in page["untraced"]["items"]] == ["U-b", "U-c"]

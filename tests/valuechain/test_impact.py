"""V2: what a failing service breaks, for whom; alert feeds ranked by customer impact."""

from __future__ import annotations

import json

import pytest

from clientmap.valuechain import feed, selectors

pytestmark = pytest.mark.django_db


def keys(section: dict) -> set[str]:
    return {i["node"]["key"] for i in section["items"]}


def test_impact_of_database_hosting(chain):
    out = selectors.impact(chain.services["db"])
    assert keys(out["services"]) == {"svc-db", "svc-expense", "svc-licences"}
    assert keys(out["units"]) == {"u-finance"}
    assert keys(out["teams"]) == {"t-db", "t-app", "t-sales", "t-fin"}
    assert keys(out["organizations"]) == {"home", "library"}
    assert keys(out["paying_customers"]) == {"acme", "globex"}
    paths = {
        i["node"]["key"]: [n["key"] for n in i["path"]] for i in out["paying_customers"]["items"]
    }
    assert paths["acme"] == ["svc-db", "svc-expense", "u-finance", "t-fin", "acme"]
    direct = out["direct_customers"]
    assert direct["total"] == 6
    assert (direct["internal"], direct["external"], direct["external_paying"]) == (2, 4, 2)
    people = {i["person"]["key"]: i for i in direct["items"]}
    assert set(people) == {
        "acme-buyer",
        "acme-user",
        "globex-buyer",
        "librarian",
        "controller",
        "janitor",
    }
    # External paying people first.
    assert {i["person"]["key"] for i in direct["items"][:2]} == {"acme-buyer", "globex-buyer"}
    assert people["acme-buyer"]["kind"] == "external_paying"
    assert [n["key"] for n in people["acme-buyer"]["path"]] == [
        "svc-db",
        "svc-expense",
        "u-finance",
        "t-fin",
        "acme-buyer",
    ]
    assert people["controller"]["kind"] == "internal"


def test_impact_of_a_dead_end(chain):
    out = selectors.impact(chain.services["mon"])
    assert keys(out["services"]) == {"svc-monitoring"}
    assert keys(out["teams"]) == {"t-mon"}
    assert out["paying_customers"]["total"] == 0
    assert out["direct_customers"]["total"] == 0


def test_impact_through_a_cycle_terminates(chain):
    out = selectors.impact(chain.services["a"])
    assert keys(out["services"]) == {"svc-a", "svc-b"}
    assert keys(out["teams"]) == {"t-cyc"}


FEED_CSV = """key,component,severity,time,text
A1,svc-monitoring,critical,2026-01-01T10:00,disk full on the monitoring server
A2,Database hosting,minor,2026-01-01T10:01,replication lag
A3,mystery-box,major,2026-01-01T10:02,something odd
A4,svc-a,warning,2026-01-01T10:03,loop
A5,SVC-LICENCES,info,2026-01-01T10:04,slow
"""


def test_alerts_reaching_paying_customers_rank_above_louder_ones(chain):
    alerts = feed.parse_alerts(FEED_CSV, filename="feed.csv")
    out = feed.rank_alerts(alerts)
    assert [r["alert"]["key"] for r in out["ranked"]] == ["A2", "A5", "A1", "A4"]
    first = out["ranked"][0]
    assert first["service"]["key"] == "svc-db"
    assert first["paying_customers"] == 2 and first["direct_customers"] == 6
    assert out["ranked"][1]["paying_customers"] == 1
    assert out["ranked"][2]["severity_rank"] == 5 and out["ranked"][2]["paying_customers"] == 0
    assert [u["key"] for u in out["unknown"]] == ["A3"]
    assert out["unknown"][0]["component"] == "mystery-box" and out["unknown"][0]["line"] == 4


def test_json_feed_and_synonyms(chain):
    data = json.dumps(
        {
            "alerts": [
                {"id": "X1", "host": "svc-monitoring", "priority": "high", "message": "cpu"},
                {"id": "X2", "service": "svc-storage", "priority": "low", "message": "slow"},
            ]
        }
    )
    out = feed.rank_alerts(feed.parse_alerts(data))
    assert [r["alert"]["key"] for r in out["ranked"]] == ["X2", "X1"]
    assert out["unknown"] == []


def test_feed_errors_name_the_line(chain):
    with pytest.raises(feed.AlertFeedError, match="Line 3"):
        feed.parse_alerts("key,component\nA1,svc-db\nA2,\n")
    with pytest.raises(feed.AlertFeedError, match="Line 1"):
        feed.parse_alerts("key,text\nA1,hello\n")
    with pytest.raises(feed.AlertFeedError, match="Line 2"):
        feed.parse_alerts('[{"component": "svc-db"},\n {"key": "no component"}]')

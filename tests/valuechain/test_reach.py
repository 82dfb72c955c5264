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
        "acme": ["svc-storage", "svc-db", "svc-expense", "u-finance", "svc-billing", "acme"],
    }
    # Nearest first.
    assert [i["node"]["key"] for i in r["paying_customers"]["items"]] == ["globex", "acme"]
    assert r["paying_customers"]["items"][0]["distance"] == 4

"""V3: the share of a team's work that traces to a paying customer, and what traces to none."""

from __future__ import annotations

import pytest

from clientmap.valuechain import selectors

pytestmark = pytest.mark.django_db


def test_expense_app_lens(chain):
    out = selectors.lens(chain.teams["app"])
    # Agreed requests: controller (Finance unit reaches Acme directly), acme-user (Acme pays),
    # janitor (Facilities reaches paying customers only through the home organization),
    # librarian (the library pays nothing). The declined one is not work.
    assert out["requests"] == {
        "total": 4,
        "traced": 3,
        "share": 0.75,
        "direct": 2,
        "direct_share": 0.5,
    }
    assert [i["key"] for i in out["untraced"]["items"]] == ["R-lib"]
    assert out["untraced"]["total"] == 1
    # Hours: controller 6 h (direct), librarian 2 h (none).
    assert out["hours"] == {
        "total": 8.0,
        "traced": 6.0,
        "share": 0.75,
        "direct": 6.0,
        "direct_share": 0.75,
    }
    assert out["involvements"]["share"] == 0.5
    routes = {r["via"]["key"]: r for r in out["routes"]}
    assert set(routes) == {"u-finance", "acme", "u-facilities"}
    assert [n["key"] for n in routes["u-finance"]["path"]] == ["u-finance", "t-fin", "acme"]
    assert routes["u-finance"]["direct"] is True
    assert routes["u-facilities"]["direct"] is False
    assert [n["key"] for n in routes["u-facilities"]["path"]] == ["u-facilities", "home", "acme"]


def test_lens_of_a_team_without_work(chain):
    out = selectors.lens(chain.teams["mon"])
    assert out["requests"]["total"] == 0 and out["requests"]["share"] is None
    assert out["hours"]["share"] is None
    assert out["untraced"]["items"] == []


def test_lens_of_a_team_paid_by_its_requester(chain):
    out = selectors.lens(chain.teams["sales"])
    assert out["requests"]["direct_share"] == 1.0

"""V3: the share of a team's work that traces to a paying customer, and what traces to none."""

from __future__ import annotations

import pytest

from clientmap.valuechain import selectors

pytestmark = pytest.mark.django_db


def test_expense_app_lens(chain):
    out = selectors.lens(chain.teams["app"])
    # Agreed requests: controller (Finance unit reaches Acme), acme-user (Acme pays), librarian
    # (pays nothing, no unit), janitor (Facilities reaches nobody). The declined one is not work.
    assert out["requests"] == {"total": 4, "traced": 2, "share": 0.5}
    assert {i["key"] for i in out["untraced"]["items"]} == {"R-lib", "R-jan"}
    assert out["untraced"]["total"] == 2
    # Hours: controller 6 h (traced), librarian 2 h (not).
    assert out["hours"] == {"total": 8.0, "traced": 6.0, "share": 0.75}
    assert out["involvements"] == {"total": 2, "traced": 1, "share": 0.5}
    routes = {r["via"]["key"]: r for r in out["routes"]}
    assert set(routes) == {"u-finance", "acme"}
    assert [n["key"] for n in routes["u-finance"]["path"]] == ["u-finance", "svc-billing", "acme"]


def test_lens_of_a_team_without_work(chain):
    out = selectors.lens(chain.teams["mon"])
    assert out["requests"] == {"total": 0, "traced": 0, "share": None}
    assert out["hours"]["share"] is None
    assert out["untraced"]["items"] == []


def test_lens_of_a_team_paid_by_its_requester(chain):
    out = selectors.lens(chain.teams["sales"])
    assert out["requests"] == {"total": 1, "traced": 1, "share": 1.0}

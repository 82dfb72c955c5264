"""V3 in detail: shares rounded to four places, work of a home person without a unit tracing
through the home organization, routes of the largest groups first, the untraced requests newest
first from an offset, involvements without hours.

Written for the mutants of ``clientmap.valuechain.lens`` that the scenario tests let live
(scripts/mutation.sh lens). The team under test is Monitoring, which has no work of its own in
the ``chain`` world."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clientmap.valuechain import selectors
from tests import factories as f
from tests.valuechain.conftest import TODAY

pytestmark = pytest.mark.django_db


def day(n: int):
    return TODAY - timedelta(days=n)


def test_shares_are_rounded_to_four_places(chain):
    mon = chain.teams["mon"]
    f.request(chain.people["acme-buyer"], mon, key="M-acme", opened=day(3))
    f.request(chain.people["librarian"], mon, key="M-lib1", opened=day(2))
    f.request(chain.people["librarian"], mon, key="M-lib2", opened=day(1))
    out = selectors.lens(mon)
    assert out["requests"] == {
        "total": 3,
        "traced": 1,
        "share": 0.3333,
        "direct": 1,
        "direct_share": 0.3333,
    }
    assert out["untraced"]["total"] == 2


def test_a_home_person_without_a_unit_traces_through_the_home_organization(chain):
    mon = chain.teams["mon"]
    nobody = f.person(chain.home, key="no-unit", name="Nora Nounit")
    f.request(nobody, mon, key="M-home", opened=day(1))
    out = selectors.lens(mon)
    assert out["requests"] == {
        "total": 1,
        "traced": 1,
        "share": 1.0,
        "direct": 0,
        "direct_share": 0.0,
    }
    assert out["untraced"] == {"total": 0, "items": []}
    (route,) = out["routes"]
    assert route["via"]["key"] == chain.home.key
    assert route["direct"] is False and route["requests"] == 1
    assert [n["key"] for n in route["path"]] == [chain.home.key, "acme"]
    assert route["paying_customer"]["key"] == "acme"


def test_a_paying_requester_is_its_own_route(chain):
    mon = chain.teams["mon"]
    f.request(chain.people["globex-buyer"], mon, key="M-globex", opened=day(1))
    (route,) = selectors.lens(mon)["routes"]
    assert route == {
        "via": {"type": "organization", "key": "globex", "name": "Globex"},
        "requests": 1,
        "direct": True,
        "paying_customer": {"type": "organization", "key": "globex", "name": "Globex"},
        "path": [{"type": "organization", "key": "globex", "name": "Globex"}],
    }


def test_routes_of_the_largest_groups_first_up_to_the_limit(chain):
    mon = chain.teams["mon"]
    f.request(chain.people["acme-buyer"], mon, key="M-acme", opened=day(4))
    f.request(chain.people["controller"], mon, key="M-fin1", opened=day(3))
    f.request(chain.people["controller"], mon, key="M-fin2", opened=day(2))
    f.request(chain.people["janitor"], mon, key="M-jan1", opened=day(2))
    f.request(chain.people["janitor"], mon, key="M-jan2", opened=day(2))
    f.request(chain.people["janitor"], mon, key="M-jan3", opened=day(1))
    routes = selectors.lens(mon)["routes"]
    assert [(r["via"]["key"], r["requests"]) for r in routes] == [
        ("u-facilities", 3),
        ("u-finance", 2),
        ("acme", 1),
    ]
    one = selectors.lens(mon, limit=1)["routes"]
    assert [(r["via"]["key"], r["requests"], r["direct"]) for r in one] == [
        ("u-facilities", 3, False)
    ]
    assert [n["key"] for n in one[0]["path"]] == ["u-facilities", chain.home.key, "acme"]
    assert [n["key"] for n in routes[1]["path"]] == ["u-finance", "t-fin", "acme"]


def test_untraced_requests_are_listed_newest_first_from_the_offset(chain):
    mon = chain.teams["mon"]
    storage = chain.services["storage"]
    for n, key in ((3, "M-old"), (1, "M-new"), (2, "M-mid")):
        f.request(
            chain.people["librarian"], mon, key=key, opened=day(n), title=key, service=storage
        )
    f.request(chain.people["librarian"], mon, key="M-no", status="declined", opened=day(1))
    f.request(chain.people["acme-buyer"], mon, key="M-acme", opened=day(1))
    out = selectors.lens(mon)
    assert out["untraced"]["total"] == 3
    assert [i["key"] for i in out["untraced"]["items"]] == ["M-new", "M-mid", "M-old"]
    assert out["untraced"]["items"][0] == {
        "key": "M-new",
        "title": "M-new",
        "status": "accepted",
        "payment": "free",
        "opened": day(1).isoformat(),
        "service": "svc-storage",
        "requester": {"type": "person", "key": "librarian", "name": "Lia Library"},
        "organization": "library",
        "unit": None,
    }
    page = selectors.lens(mon, limit=1, untraced_offset=1)["untraced"]
    assert page["total"] == 3
    assert [i["key"] for i in page["items"]] == ["M-mid"]


def test_an_untraced_request_names_its_requesters_unit(chain):
    mon = chain.teams["mon"]
    lab = f.unit(chain.library, key="u-lab", name="Lab")
    reader = f.person(chain.library, key="reader", name="Rita Reader", unit=lab)
    f.request(reader, mon, key="M-lab", opened=day(1))
    (item,) = selectors.lens(mon)["untraced"]["items"]
    assert item["unit"] == "u-lab" and item["service"] is None


def test_involvements_without_hours_count_but_add_no_hours(chain):
    mon = chain.teams["mon"]
    f.involvement(chain.people["controller"], mon, "implements", hours=None, date=day(1))
    f.involvement(chain.people["librarian"], mon, "specifies", hours=Decimal("1.5"), date=day(1))
    f.involvement(chain.people["janitor"], mon, "decides", hours=Decimal("3"), date=day(1))
    out = selectors.lens(mon)
    assert out["involvements"] == {
        "total": 3,
        "traced": 2,
        "share": 0.6667,
        "direct": 1,
        "direct_share": 0.3333,
    }
    assert out["hours"] == {
        "total": 4.5,
        "traced": 3.0,
        "share": 0.6667,
        "direct": 0.0,
        "direct_share": 0.0,
    }

"""A small value chain with every case of V1–V3.

infrastructure storage → database hosting → expense app → Finance unit → its team Finance
operations → Acme (external, consumes Finance's billing service, pays that team cash): paying
customer 1.
database hosting → licences (team Sales) → Globex pays Sales in trade: paying customer 2
(reached through the team it pays, no consumption edge).
storage → svc-a ⇄ svc-b: a cycle, team Cyclic reaches nobody who pays.
monitoring: consumed by nothing, consumes nothing — the team that "has no customers".
City Library (external, pays nothing) consumes the expense app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from clientmap.customers import rules as customer_rules
from clientmap.valuechain import rules
from tests import factories as f

TODAY = date.today()


@dataclass
class Chain:
    home: object
    acme: object
    globex: object
    library: object
    finance: object
    facilities: object
    teams: dict
    services: dict
    people: dict


@pytest.fixture(autouse=True)
def _fresh_graph():
    rules.invalidate()
    yield
    rules.invalidate()


@pytest.fixture
def chain(home) -> Chain:
    acme = f.org(key="acme", name="Acme Corp")
    globex = f.org(key="globex", name="Globex")
    library = f.org(key="library", name="City Library")
    infra = f.unit(home, key="u-infra", name="Infrastructure")
    finance = f.unit(home, key="u-finance", name="Finance")
    facilities = f.unit(home, key="u-facilities", name="Facilities")

    teams = {
        "storage": f.team(key="t-storage", name="Storage", unit=infra),
        "db": f.team(key="t-db", name="Database hosting", unit=infra),
        "app": f.team(key="t-app", name="Expense application"),
        "fin": f.team(key="t-fin", name="Finance operations", unit=finance),
        "sales": f.team(key="t-sales", name="Sales"),
        "cyc": f.team(key="t-cyc", name="Cyclic"),
        "mon": f.team(key="t-mon", name="Monitoring"),
    }
    s = {
        "storage": f.service(teams["storage"], key="svc-storage", name="Storage"),
        "db": f.service(teams["db"], key="svc-db", name="Database hosting"),
        "expense": f.service(teams["app"], key="svc-expense", name="Expense app"),
        "billing": f.service(teams["fin"], key="svc-billing", name="Billing"),
        "licences": f.service(teams["sales"], key="svc-licences", name="Licences"),
        "a": f.service(teams["cyc"], key="svc-a", name="Cycle A"),
        "b": f.service(teams["cyc"], key="svc-b", name="Cycle B"),
        "mon": f.service(teams["mon"], key="svc-monitoring", name="Monitoring"),
    }
    f.consumes(s["db"], s["storage"])
    f.consumes(s["expense"], s["db"])
    f.consumes(finance, s["expense"])
    f.consumes(acme, s["billing"])
    f.consumes(s["licences"], s["db"])
    f.consumes(s["a"], s["storage"])
    f.consumes(s["b"], s["a"])
    f.consumes(s["a"], s["b"])
    f.consumes(library, s["expense"])

    p = {
        "acme-buyer": f.person(acme, key="acme-buyer", name="Ada Acme"),
        "acme-user": f.person(acme, key="acme-user", name="Abe Acme"),
        "globex-buyer": f.person(globex, key="globex-buyer", name="Gil Globex"),
        "librarian": f.person(library, key="librarian", name="Lia Library"),
        "controller": f.person(home, key="controller", name="Carl Controller", unit=finance),
        "janitor": f.person(home, key="janitor", name="Jan Janitor", unit=facilities),
    }
    day = TODAY - timedelta(days=10)
    f.request(p["acme-buyer"], teams["fin"], key="R-acme-cash", payment="cash", opened=day)
    f.request(p["globex-buyer"], teams["sales"], key="R-globex", payment="trade", opened=day)
    # Work of the expense application team.
    f.request(p["controller"], teams["app"], key="R-fin", payment="internal", opened=day)
    f.request(p["acme-user"], teams["app"], key="R-acme-free", opened=day)
    f.request(p["librarian"], teams["app"], key="R-lib", opened=day, title="Library export")
    f.request(p["janitor"], teams["app"], key="R-jan", status="fulfilled", opened=day)
    f.request(p["janitor"], teams["app"], key="R-jan-no", status="declined", opened=day)
    f.involvement(p["controller"], teams["app"], "implements", hours=Decimal("6"), date=day)
    f.involvement(p["librarian"], teams["app"], "specifies", hours=Decimal("2"), date=day)
    customer_rules.recompute()
    return Chain(home, acme, globex, library, finance, facilities, teams, s, p)

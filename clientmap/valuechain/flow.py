"""A team's reach picture (V1 as a flow): the team → the services it runs → the paying
organizations each service reaches, widths by paying customers (people).

A service reaches a paying organization *directly* when a path from it to the organization does
not pass through the home organization; otherwise, if it reaches the home organization, its
work reaches every paying customer through it (the home organization is funded by them): that
band goes to the home organization and is drawn lighter. A paying organization's paying
customers are its people who are external paying customers of any team (C1, C2).
"""

from __future__ import annotations

import numpy as np
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Team
from clientmap.valuechain import layout as lay
from clientmap.valuechain.rules import ORGANIZATION, TEAM, ValueGraph, load_graph


def paying_customers_by_organization() -> dict[int, int]:
    """Distinct external paying customers (people) per organization id."""
    return dict(
        CustomerRelation.objects.filter(is_customer=True, kind=Kind.EXTERNAL_PAYING)
        .values_list("person__organization_id")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )


def _people(n: int) -> str:
    return ngettext("%(n)d paying customer", "%(n)d paying customers", n) % {"n": n}


def reach_flow(team: Team, graph: ValueGraph | None = None) -> dict:
    g = graph or load_graph()
    t = g.node(TEAM, team.pk)
    title = _("Whose money %(team)s's work reaches") % {"team": team.name}
    empty = {"title": title, "columns": [], "bands": [], "rows": [], "total": 0}
    if t < 0:
        return empty
    people = paying_customers_by_organization()
    services = g.services_of_team(t).tolist()
    org_value: dict[int, int] = {}
    bands: list[dict] = []
    rows: list[dict] = []
    service_value: dict[int, int] = {}
    home_value = 0
    all_paying = [int(i) for i in np.flatnonzero(g.paying)]
    for s in services:
        dorder, _dpred = g.bfs([s], direct=True)
        direct = [int(i) for i in dorder[g.paying[dorder]]]
        order, _pred = g.bfs([s])
        via_home = g.home >= 0 and g.home in set(order.tolist())
        total = 0
        for o in sorted(direct, key=lambda o: g.names[o].lower()):
            n = people.get(int(g.db_id[o]), 0)
            org_value[o] = org_value.get(o, 0) + n
            total += n
            bands.append({"from": f"s{s}", "to": f"o{o}", "value": n, "label": _people(n)})
            rows.append({"service": g.label(s), "org": g.label(o), "people": n, "direct": True})
        if via_home and g.home not in direct:
            n = sum(people.get(int(g.db_id[o]), 0) for o in all_paying if o not in direct)
            if n:
                home_value += n
                total += n
                bands.append(
                    {
                        "from": f"s{s}",
                        "to": "home",
                        "value": n,
                        "label": _people(n),
                        "home": True,
                    }
                )
                rows.append(
                    {"service": g.label(s), "org": g.label(g.home), "people": n, "direct": False}
                )
        service_value[s] = total
    for s in services:
        bands.insert(
            0,
            {
                "from": "team",
                "to": f"s{s}",
                "value": service_value[s],
                "label": _people(service_value[s]),
            },
        )

    def node(id_, i, kind, value, sub, classes):
        return {
            "id": id_,
            "name": g.names[i],
            "value": value,
            "sub": sub,
            "sub_line": lay.wrap(sub, 160, lay.SUB_FONT, 1)[0],
            "classes": classes,
            "href": _href(g, i, kind),
        }

    columns = [
        [node("team", t, "team", sum(service_value.values()), _("team"), "k-team selected")],
        [
            node(f"s{s}", s, "service", service_value[s], _people(service_value[s]), "k-service")
            for s in services
        ],
        [
            node(f"o{o}", o, "organization", v, _people(v), "k-organization paying")
            for o, v in sorted(org_value.items(), key=lambda x: (-x[1], g.names[x[0]].lower()))
        ]
        + (
            [
                node(
                    "home",
                    g.home,
                    "organization",
                    home_value,
                    _("through the home organization"),
                    "k-organization home",
                )
            ]
            if home_value
            else []
        ),
    ]
    columns = [c for c in columns if c]
    total_people = sum(org_value.values()) + home_value
    biggest = max([b["value"] for b in bands] or [1]) or 1
    return {
        "title": title,
        "columns": columns,
        "bands": bands,
        "rows": rows,
        "total": total_people,
        "direct": sum(org_value.values()),
        "scale": min(6.0, 160.0 / biggest),
    }


def _href(g: ValueGraph, i: int, kind: str) -> str:
    if kind == "team":
        return reverse("valuechain:team", args=[g.keys[i]])
    if kind == "service":
        return reverse("valuechain:service", args=[g.keys[i]])
    if g.node_type[i] == ORGANIZATION:
        return reverse("directory:organization", args=[g.keys[i]])
    return reverse("valuechain:map")

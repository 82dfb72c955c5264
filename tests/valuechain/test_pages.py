"""The value-chain pages on the demo: the map and its picture, a team's reach and lens, a
service's impact and telling its customers, teams reaching no paying customer, alerts, cycles."""

from __future__ import annotations

import re

import numpy as np
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Person, Team
from clientmap.valuechain import rules, svg, views
from clientmap.valuechain.models import ImpactNotice
from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> None:
    demo.load()
    rules.invalidate()


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=demo.PASSWORD)
    return c


@pytest.fixture
def admin(world) -> Client:
    return login("admin")


@pytest.fixture
def member(world) -> Client:
    return login("member")


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def node_y(page: str, key: str) -> float:
    """The y of the box of node ``key`` in the SVG."""
    m = re.search(
        rf'data-key="{re.escape(key)}"[^>]*>(?:<title>[^<]*</title>)?<rect x="[\d.-]+" y="([\d.-]+)"',
        page,
    )
    assert m, key
    return float(m.group(1))


def classes_of(page: str, key: str) -> set[str]:
    m = re.search(rf'class="vc-node ([^"]*)" data-key="{re.escape(key)}"', page)
    assert m, key
    return set(m.group(1).split())


def svg_keys(page: str) -> set[str]:
    return set(re.findall(r'class="vc-node[^"]*" data-key="([^"]*)"', page))


PAGES = [
    ("valuechain:map", []),
    ("valuechain:team", ["t-storage"]),
    ("valuechain:team", ["t-monitoring"]),
    ("valuechain:service", ["svc-storage"]),
    ("valuechain:service", ["svc-monitoring"]),
    ("valuechain:unreached", []),
    ("valuechain:alerts", []),
    ("valuechain:cycles", []),
]


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_open_for_staff_and_team_members(world, name, args) -> None:
    for username in ("admin", "member"):
        response = login(username).get(reverse(name, args=args))
        assert response.status_code == 200, (username, name)


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_portal_user_is_kept_out(world, name, args) -> None:
    response = login("portal").get(reverse(name, args=args))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/value-chain/" not in response["Location"]


def test_anonymous_is_sent_to_login(world) -> None:
    response = Client().get(reverse("valuechain:map"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nav_has_the_value_chain(admin) -> None:
    assert f'href="{reverse("valuechain:map")}"' in html(admin.get(reverse("home")))


def test_unknown_team_and_service_are_404(admin) -> None:
    assert admin.get(reverse("valuechain:team", args=["nope"])).status_code == 404
    assert admin.get(reverse("valuechain:service", args=["nope"])).status_code == 404


# --- the map ---------------------------------------------------------------------------------------


def test_map_shows_teams_inside_their_units_by_default(admin) -> None:
    response = admin.get(reverse("valuechain:map"))
    assert response.context["picture"].level == "units"
    assert "aur-infra" in svg_keys(html(response)) and "t-storage" not in svg_keys(html(response))


def test_map_draws_every_node_layered_with_links(admin) -> None:
    page = html(admin.get(reverse("valuechain:map") + "?group=services"))
    assert "<svg" in page and "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    keys = svg_keys(page)
    assert {"svc-storage", "svc-db", "t-storage", "space-agency", "aur-finance"} <= keys
    # Infrastructure at the bottom, paying customers at the top.
    assert node_y(page, "space-agency") < node_y(page, "svc-expense-app") < node_y(page, "svc-db")
    assert node_y(page, "svc-db") < node_y(page, "svc-storage")
    assert node_y(page, "harbor-health") == node_y(page, "space-agency")
    # Clickable: a service to its impact, a team to its reach, an organization to its page.
    assert f'href="{reverse("valuechain:service", args=["svc-storage"])}"' in page
    assert f'href="{reverse("valuechain:team", args=["t-storage"])}"' in page
    assert f'href="{reverse("directory:organization", args=["space-agency"])}"' in page
    assert 'class="vc-node k-organization paying' in page


def test_map_collapses_large_graphs_and_expands_on_request(admin, monkeypatch) -> None:
    monkeypatch.setattr(svg, "MAX_NODES", 30)
    page = html(admin.get(reverse("valuechain:map") + "?group=teams"))
    keys = svg_keys(page)
    assert "svc-db" not in keys  # inside its team
    assert "t-dbhost" in keys and " group" in page
    assert "collapsed to stay readable" in page
    expanded = html(admin.get(reverse("valuechain:map") + "?group=services"))
    assert "svc-db" in svg_keys(expanded)
    units = html(admin.get(reverse("valuechain:map") + "?group=units"))
    ukeys = svg_keys(units)
    assert "t-storage" not in ukeys and "aur-infra" in ukeys  # teams inside their unit
    assert "city-library" not in ukeys  # organizations paying nothing gathered in one box


def test_map_neighbourhood_of_a_node(admin) -> None:
    page = html(admin.get(reverse("valuechain:map") + "?focus=svc-db&depth=1"))
    keys = svg_keys(page)
    assert {"svc-db", "svc-storage", "svc-erp", "svc-crm", "t-dbhost"} <= keys
    assert "svc-monitoring" not in keys and "space-agency" not in keys
    assert "focus" in classes_of(page, "svc-db")
    wider = svg_keys(html(admin.get(reverse("valuechain:map") + "?focus=service:svc-db&depth=3")))
    assert len(wider) > len(keys)
    team = svg_keys(html(admin.get(reverse("valuechain:map") + "?focus=team:t-storage")))
    assert "t-storage" in team and "svc-storage" in team


def test_map_unknown_focus_says_so(admin) -> None:
    page = html(admin.get(reverse("valuechain:map") + "?focus=no-such-thing"))
    assert "no-such-thing" in page and "aur-infra" in svg_keys(page)  # the whole chain instead


# --- a team ------------------------------------------------------------------------------------------


def test_storage_reaches_the_space_agency_with_a_path(admin) -> None:
    response = admin.get(reverse("valuechain:team", args=["t-storage"]))
    page = html(response)
    reach = response.context["reach"]
    assert {i["node"]["key"] for i in reach["paying_customers"]["items"]} == {
        "space-agency",
        "harbor-health",
    }
    assert "National Space Agency" in page and "Harbor Health Clinics" in page
    item = next(i for i in reach["paying_customers"]["items"] if i["node"]["key"] == "space-agency")
    assert item["direct"] is True
    assert [n["key"] for n in item["path"]][0] == "svc-storage"
    assert reach["customers_reached"]["internal"] > 0 and reach["customers_reached"]["external"] > 0
    # The picture: the team in focus and the paying customers it reaches.
    keys = svg_keys(page)
    assert {"t-storage", "svc-storage", "space-agency"} <= keys
    assert "focus" in classes_of(page, "t-storage")


def test_team_lens_lists_what_traces_to_no_paying_customer_paginated(admin, monkeypatch) -> None:
    lib = Person.objects.get(key="lib-head")
    sales = Team.objects.get(key="t-sales")
    f.request(lib, sales, key="REQ-9001", title="Another free pilot", status="accepted")
    rules.invalidate()
    monkeypatch.setattr(views, "PAGE", 1)
    url = reverse("valuechain:team", args=["t-sales"])
    first = admin.get(url)
    page = html(first)
    lens = first.context["lens"]
    assert lens["untraced"]["total"] == 2
    assert lens["requests"]["traced"] >= 2 and lens["requests"]["share"] < 1
    assert "Requests that trace to no paying customer" in page
    second = admin.get(url + "?page=2")
    html(second)
    shown = {r["key"] for r in first.context["lens"]["untraced"]["items"]}
    shown2 = {r["key"] for r in second.context["lens"]["untraced"]["items"]}
    assert len(shown) == len(shown2) == 1 and shown | shown2 == {"REQ-1006", "REQ-9001"}
    assert 'rel="next"' in page


def test_team_reaching_nobody_says_so(admin) -> None:
    response = admin.get(reverse("valuechain:team", args=["t-monitoring"]))
    page = html(response)
    assert response.context["reach"]["reaches_paying_customer"] is False
    assert "reaches no paying customer" in page


def test_unreached_page_lists_monitoring_with_what_it_serves(admin) -> None:
    response = admin.get(reverse("valuechain:unreached"))
    page = html(response)
    keys = [i["team"]["key"] for i in response.context["data"]["items"]]
    assert "t-monitoring" in keys
    assert "t-storage" not in keys and "t-sales" not in keys
    assert "Monitoring" in page
    assert reverse("valuechain:team", args=["t-monitoring"]) in page


# --- a service's impact and telling its customers ----------------------------------------------------


def expected_recipients(service_key: str) -> set[str]:
    g = rules.load_graph()
    from clientmap.catalog.models import Service

    node = g.node(rules.SERVICE, Service.objects.get(key=service_key).pk)
    order, _pred = g.bfs([node])
    teams = [int(x) for x in g.db_id[g.of_type(order, rules.TEAM)]]
    return set(
        CustomerRelation.objects.filter(is_customer=True, active=True, team_id__in=teams)
        .exclude(person__email="")
        .values_list("person__email", flat=True)
    )


def test_impact_page_shows_everything_affected_with_paths(admin) -> None:
    response = admin.get(reverse("valuechain:service", args=["svc-db"]))
    page = html(response)
    impact = response.context["impact"]
    assert {i["node"]["key"] for i in impact["paying_customers"]["items"]} == {
        "space-agency",
        "harbor-health",
    }
    teams = {i["node"]["key"] for i in impact["teams"]["items"]}
    assert {"t-dbhost", "t-erp", "t-crm", "t-sales", "t-support"} <= teams
    assert "t-storage" not in teams and "t-monitoring" not in teams
    assert "aur-finance" in {i["node"]["key"] for i in impact["units"]["items"]}
    assert "Dana Whitfield" in page  # a direct customer (of the sales team) reached
    assert "Database hosting" in page and "→" in page
    keys = svg_keys(page)
    assert "svc-db" in keys and "svc-storage" not in keys  # what fails with it, not what it uses
    assert "focus" in classes_of(page, "svc-db")
    assert "Tell the affected customers" in page


def test_impact_draft_one_per_recipient_language(admin) -> None:
    response = admin.get(reverse("valuechain:service", args=["svc-storage"]))
    page = html(response)
    tell = response.context["tell"]
    langs = {code for code, _name, _n in tell["form"].langs}
    assert {"en", "es", "pt", "ru"} <= langs
    assert tell["count"] == len(expected_recipients("svc-storage"))
    assert 'lang="es"' in page and 'name="subject_es"' in page
    assert "Block and object storage" in tell["form"].initial["subject_en"]
    assert "{name}" in tell["form"].initial["body_ru"]


def test_staff_tells_the_affected_customers(admin) -> None:
    url = reverse("valuechain:service", args=["svc-crm"])
    form = admin.get(url).context["tell"]["form"]
    data = dict(form.initial)
    data["subject_es"] = "Interrupción del servicio CRM"
    data["body_es"] = "Hola {name}, el CRM no funciona."
    preview = admin.post(reverse("valuechain:tell", args=["svc-crm"]), data)
    assert preview.status_code == 200 and not mail.outbox  # first the preview, nothing sent
    assert "Hola {name}, el CRM no funciona." in html(preview)
    data["confirm"] = "1"
    response = admin.post(reverse("valuechain:tell", args=["svc-crm"]), data)
    assert response.status_code == 302
    expected = expected_recipients("svc-crm")
    assert expected and {m.to[0] for m in mail.outbox} == expected
    assert len(mail.outbox) == len(expected)  # one message each
    olivia = next(m for m in mail.outbox if m.to == ["olivia.grant@agency.example"])
    assert olivia.subject == "Interrupción del servicio CRM"
    assert olivia.body == "Hola Olivia Grant, el CRM no funciona."
    dana = next(m for m in mail.outbox if m.to == ["dana.whitfield@agency.example"])
    assert "Dana Whitfield" in dana.body and "{name}" not in dana.body
    notices = ImpactNotice.objects.filter(service__key="svc-crm")
    assert notices.count() == len(expected)
    assert set(notices.values_list("email", flat=True)) == expected
    n = notices.get(email="olivia.grant@agency.example")
    assert n.language == "es" and n.sent_by.username == "admin" and n.person.key == "nsa-user-2"
    page = html(admin.get(url))
    assert "Interrupción del servicio CRM" in page  # the record, on the impact page
    listing = html(admin.get("/admin/valuechain/impactnotice/?q=olivia"))
    assert "olivia.grant@agency.example" in listing
    assert admin.get("/admin/valuechain/impactnotice/add/").status_code == 403


def test_tell_from_an_alert_records_the_alert(admin) -> None:
    url = reverse("valuechain:service", args=["svc-helpdesk"]) + "?alert=A-7&alert_text=Queue+stuck"
    form = admin.get(url).context["tell"]["form"]
    bodies = [v for k, v in form.initial.items() if k.startswith("body_")]
    assert bodies and all("Queue stuck" in b for b in bodies)
    data = dict(form.initial, confirm="1")
    admin.post(reverse("valuechain:tell", args=["svc-helpdesk"]), data)
    assert mail.outbox
    assert set(ImpactNotice.objects.values_list("alert_key", flat=True)) == {"A-7"}


def test_tell_rejects_an_empty_draft(admin) -> None:
    form = admin.get(reverse("valuechain:service", args=["svc-crm"])).context["tell"]["form"]
    data = dict(form.initial)
    data["subject_en"] = ""
    data["confirm"] = "1"
    response = admin.post(reverse("valuechain:tell", args=["svc-crm"]), data)
    assert response.status_code == 400
    assert not mail.outbox and not ImpactNotice.objects.exists()


def test_team_member_sees_no_form_and_cannot_send(member) -> None:
    page = html(member.get(reverse("valuechain:service", args=["svc-crm"])))
    assert 'action="/value-chain/services/svc-crm/tell/"' not in page
    response = member.post(
        reverse("valuechain:tell", args=["svc-crm"]),
        {"subject_en": "x", "body_en": "y"},
    )
    assert response.status_code == 403
    assert not mail.outbox and not ImpactNotice.objects.exists()


def test_portal_user_cannot_send(world) -> None:
    response = login("portal").post(
        reverse("valuechain:tell", args=["svc-crm"]), {"subject_en": "x", "body_en": "y"}
    )
    assert response.status_code in (302, 403)
    assert not mail.outbox and not ImpactNotice.objects.exists()


def test_tell_needs_post(admin) -> None:
    assert admin.get(reverse("valuechain:tell", args=["svc-crm"])).status_code == 405


# --- alerts ------------------------------------------------------------------------------------------

FEED = """key,service,severity,time,text
A-1,svc-monitoring,critical,2025-01-01T10:00,Disk full on the monitoring server
A-2,Database hosting,warning,2025-01-01T10:05,Replication lag
A-3,svc-nowhere,critical,2025-01-01T10:06,Unknown host down
"""


def test_alerts_ranked_by_customer_impact_unknown_reported(member) -> None:
    response = member.post(reverse("valuechain:alerts"), {"text": FEED})
    page = html(response)
    result = response.context["result"]
    assert [r["alert"]["key"] for r in result["ranked"]] == ["A-2", "A-1"]
    assert result["ranked"][0]["paying_customers"] == 2
    assert [u["key"] for u in result["unknown"]] == ["A-3"]
    assert "svc-nowhere" in page and "unknown" in page.lower()
    ranked = page.split('id="ranked-title"', 1)[1]
    assert ranked.index("A-2") < ranked.index("A-1")
    assert "Tell the affected customers" not in page  # team members cannot send


def test_alerts_upload_json_and_tell_link_for_staff(admin) -> None:
    feed = (
        b'{"alerts": [{"key": "J-1", "component": "svc-erp", "severity": "high", "text": "slow"}]}'
    )
    upload = SimpleUploadedFile("feed.json", feed, content_type="application/json")
    response = admin.post(reverse("valuechain:alerts"), {"feed": upload})
    page = html(response)
    assert [r["alert"]["key"] for r in response.context["result"]["ranked"]] == ["J-1"]
    assert reverse("valuechain:service", args=["svc-erp"]) + "?alert=J-1" in page


def test_alerts_bad_feed_is_explained(admin) -> None:
    response = admin.post(reverse("valuechain:alerts"), {"text": "a,b\n1,2\n"})
    assert response.status_code == 400
    assert "component" in response.content.decode()
    response = admin.post(reverse("valuechain:alerts"), {"text": ""})
    assert response.status_code == 400


# --- cycles and isolated services --------------------------------------------------------------------


def test_cycles_and_isolated_services(admin) -> None:
    from clientmap.catalog.models import Service

    t = Team.objects.get(key="t-network")
    a = f.service(t, key="svc-loop-a", name="Loop A")
    b = f.service(t, key="svc-loop-b", name="Loop B")
    f.consumes(a, b)
    f.consumes(b, a)
    rules.invalidate()
    page = html(admin.get(reverse("valuechain:cycles")))
    assert "svc-loop-a" in page or "Loop A" in page
    cycles = admin.get(reverse("valuechain:cycles")).context["cycles"]
    assert any(set(c["services"]) == {"svc-loop-a", "svc-loop-b"} for c in cycles)
    isolated = {
        s["key"] for s in admin.get(reverse("valuechain:cycles")).context["isolated"]["items"]
    }
    assert {"svc-monitoring", "svc-mobile"} <= isolated
    assert "svc-db" not in isolated
    assert Service.objects.filter(key="svc-loop-a").exists()
    # The map still draws (the cycle shares a layer).
    loop = html(admin.get(reverse("valuechain:map") + "?focus=svc-loop-a"))
    assert {"svc-loop-a", "svc-loop-b"} <= svg_keys(loop)
    assert node_y(loop, "svc-loop-a") == node_y(loop, "svc-loop-b")


# --- the picture at scale (no database) --------------------------------------------------------------


def big_graph(services: int = 3000, teams: int = 300, edges: int = 9000) -> rules.ValueGraph:
    rng = np.random.default_rng(7)
    sv = [(i + 1, f"s{i}", f"Service {i}", int(i % teams) + 1) for i in range(services)]
    tm = [(i + 1, f"t{i}", f"Team {i}", int(i % 40) + 1) for i in range(teams)]
    un = [(i + 1, f"u{i}", f"Unit {i}", 1, (i - 1) // 3 + 1 if i else None) for i in range(40)]
    orgs = [(1, "home", "Home", True)] + [(i, f"o{i}", f"Org {i}", False) for i in range(2, 400)]
    src = rng.integers(1, services + 1, edges)
    dst = rng.integers(1, services + 1, edges)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keep = lo != hi
    sc = list(zip(lo[keep].tolist(), hi[keep].tolist(), strict=True))
    sc += [(5, 3), (3, 5)]  # a cycle
    oc = [
        (int(s), int(o))
        for s, o in zip(rng.integers(1, services + 1, 800), rng.integers(2, 400, 800), strict=True)
    ]
    uc = [
        (int(s), int(u))
        for s, u in zip(rng.integers(1, services + 1, 200), rng.integers(1, 41, 200), strict=True)
    ]
    paying = [
        (int(t), int(o))
        for t, o in zip(rng.integers(1, teams + 1, 100), rng.integers(2, 60, 100), strict=True)
    ]
    return rules.ValueGraph.build(rules.GraphData(sv, un, orgs, tm, sc, uc, oc, paying))


@pytest.mark.django_db(transaction=False)
def test_picture_of_a_large_graph_stays_readable() -> None:
    g = big_graph()
    pic = svg.build(g)  # its time is measured by the benchmark (bench/graph.py), not here
    out = svg.render(pic)
    assert pic.collapsed and pic.level == "units"
    assert len(pic.nodes) <= svg.MAX_NODES  # units, a few paying customers, gathered boxes
    assert sum("paying" in n.classes for n in pic.nodes) <= svg.PAYING_SHOWN + 1
    assert all(
        0 <= n.x and n.x + n.w <= pic.width and 0 <= n.y and n.y + n.h <= pic.height
        for n in pic.nodes
    )  # the viewBox holds every node
    assert out.count("<a ") == len(pic.nodes)
    # Every edge between layers points upwards (value flows up).
    ys = [n.y for n in pic.nodes]
    layers = [n.layer for n in pic.nodes]
    for a, b, _c, _f in pic.edges:
        if layers[a] != layers[b]:
            assert layers[a] < layers[b] and ys[a] > ys[b]
    # Expanding everything is capped, and says how many are left out.
    full = svg.build(g, level="services")
    assert len(full.nodes) == svg.MAX_DRAW and full.hidden == g.n - svg.MAX_DRAW
    # Units fold into their parents, deepest first, until few enough are left.
    everything = np.arange(g.n)
    rep = svg.grouping(g, "units", inside=everything, limit=30)
    groups = np.unique(rep[everything])
    assert len(groups) <= 30
    root = svg.resolve(g, "unit:u0")
    assert [x for x in groups if x < g.n and g.node_type[x] == rules.UNIT] == [root]
    assert rep[svg.resolve(g, "unit:u39")] != svg.resolve(g, "unit:u39")  # a leaf, folded
    # A neighbourhood is small and keeps its focus.
    node = svg.resolve(g, "s5")
    near = svg.build(g, svg.neighbourhood(g, node, 1), focus=[node])
    assert any(n.key == "s5" and "focus" in n.classes for n in near.nodes)

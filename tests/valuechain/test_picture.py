"""The value-chain picture: a layered layout with few crossings, labels that fit their boxes,
nothing clipped by the viewBox, the paths of a selected team highlighted; the reach picture."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from clientmap.imports import demo
from clientmap.valuechain import drawing, flow, layout, rules, svg
from clientmap.valuechain.rules import TEAM

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture
def loaded():
    rules.invalidate()
    demo.load()
    yield rules.load_graph(refresh=True)
    rules.invalidate()


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def check_boxes(root: ET.Element) -> int:
    """Every node's rect inside the viewBox, every text line inside its rect. Returns nodes."""
    x0, y0, w, h = (float(v) for v in root.get("viewBox").split())
    nodes = root.findall(".//s:a", NS)
    for a in nodes:
        rect = a.find("s:rect", NS)
        rx, ry = float(rect.get("x")), float(rect.get("y"))
        rw, rh = float(rect.get("width")), float(rect.get("height"))
        assert x0 <= rx and rx + rw <= x0 + w and y0 <= ry and ry + rh <= y0 + h, a.get(
            "aria-label"
        )
        for text in a.findall("s:text", NS):
            tx, ty = float(text.get("x")), float(text.get("y"))
            size = layout.SUB_FONT if "vc-sub" in text.get("class") else layout.FONT
            width = layout.text_width(text.text or "", size)
            assert rx <= tx and tx + width <= rx + rw, (text.text, width, rw)
            assert ry + size * 0.7 <= ty <= ry + rh, text.text  # baseline inside the box
        assert a.find("s:title", NS).text  # the full name (hover, accessible name)
    return len(nodes)


def test_the_demo_map_has_fewer_than_five_crossings_and_nothing_clipped(loaded) -> None:
    g = loaded
    pic = svg.build(g)  # the default: teams inside their units
    assert pic.level == "units"
    assert pic.crossings < 5, pic.crossings  # measured: 3
    assert check_boxes(parse(svg.render(pic))) == len(pic.nodes)
    right = max([n.x + n.w for n in pic.nodes] + [x for r in pic.routes for x, _y in r])
    assert pic.width - right == pytest.approx(layout.MARGIN, abs=1)  # the viewBox fits
    for level in ("teams", "services"):
        detail = svg.build(g, level=level)
        assert check_boxes(parse(svg.render(detail))) == len(detail.nodes)


def test_every_team_picture_is_readable(loaded) -> None:
    g = loaded
    for t in range(g.offsets[TEAM], g.offsets[TEAM + 1]):
        pic = svg.build(g, svg.team_nodes(g, t), focus=[t], selected=t)
        assert pic.crossings <= 2, (g.keys[t], pic.crossings)
        check_boxes(parse(svg.render(pic)))


def test_crossings_are_counted_and_minimised() -> None:
    # Two nodes above two nodes, linked crosswise: one crossing when the order is fixed badly.
    assert layout.count_crossings([[0, 1], [2, 3]], {0: [3], 1: [2]}) == 1
    assert layout.count_crossings([[0, 1], [3, 2]], {0: [3], 1: [2]}) == 0
    # A planar chain of three layers given in a crossing order comes out with none.
    boxes = [layout.Box([f"n{i}"], "") for i in range(6)]
    edges = [(0, 3), (1, 2), (3, 5), (2, 4)]  # providers 0, 1 → 3, 2 → 5, 4
    result = layout.arrange(boxes, edges)
    assert result.crossings == 0
    # Long edges are routed through one point per layer they cross.
    chain = [layout.Box([f"c{i}"], "") for i in range(4)]
    long = layout.arrange(chain, [(0, 1), (1, 2), (2, 3), (0, 3)])
    assert len(long.routes[3]) == 4


def test_long_names_wrap_and_are_whole_in_the_title() -> None:
    name = "Identity, access management and the very long directory synchronisation service"
    lines = layout.wrap(name)
    assert 1 < len(lines) <= layout.MAX_LINES
    assert all(layout.text_width(line) <= layout.NAME_WIDTH for line in lines)
    assert lines[-1].endswith("…")
    cyrillic = layout.wrap("Управление идентификацией и доступом сотрудников")
    assert all(layout.text_width(line) <= layout.NAME_WIDTH for line in cyrillic)
    one_word = layout.wrap("x" * 80)
    assert all(layout.text_width(line) <= layout.NAME_WIDTH for line in one_word)


def test_a_selected_team_shows_what_it_depends_on_and_what_depends_on_it(loaded, client) -> None:
    client.login(username="admin", password=demo.PASSWORD)
    page = client.get(reverse("valuechain:map") + "?group=services&select=team:t-dbhost")
    markup = page.content.decode()
    start = markup.index('<svg xmlns="http://www.w3.org/2000/svg" class="vc-graph"')
    svg_text = markup[start : markup.index("</svg>", start) + 6]
    root = parse(svg_text)
    classes = {a.get("data-key"): a.get("class").split() for a in root.findall(".//s:a", NS)}
    assert "selected" in classes["t-dbhost"]
    assert "up" in classes["svc-storage"]  # database hosting runs on storage
    assert "down" in classes["svc-erp"] and "down" in classes["space-agency"]
    assert "dim" in classes["svc-monitoring"]
    assert re.search(r'class="vc-edge[^"]* up', svg_text) and re.search(
        r'class="vc-edge[^"]* down', svg_text
    )
    assert "The picture as a table" in markup  # (the accessibility area's table)


def test_reach_picture_of_a_team(loaded, client) -> None:
    from clientmap.directory.models import Team

    data = flow.reach_flow(Team.objects.get(key="t-support"))
    orgs = {n["name"]: n["value"] for n in data["columns"][-1]}
    assert "National Space Agency" in orgs and "Harbor Health Clinics" in orgs
    expected = flow.paying_customers_by_organization()
    from clientmap.directory.models import Organization

    nsa = Organization.objects.get(key="space-agency")
    assert orgs["National Space Agency"] == expected[nsa.pk]  # width = its paying customers
    root = parse(drawing.render_flow(data))
    check_boxes(root)
    bands = root.findall(".//s:path", NS)
    assert len(bands) == len(data["bands"])
    widths = {
        b["value"]: float(p.get("stroke-width")) for b, p in zip(data["bands"], bands, strict=True)
    }
    small, large = min(widths), max(widths)
    assert widths[small] <= widths[large]
    client.login(username="admin", password=demo.PASSWORD)
    page = client.get(reverse("valuechain:team_flow", args=["t-support"])).content.decode()
    assert "The same as a table" in page and "National Space Agency" in page
    nobody = client.get(reverse("valuechain:team_flow", args=["t-monitoring"])).content.decode()
    assert "reaches no paying customer" in nobody

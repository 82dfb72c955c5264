"""Drawing the value-chain pictures as plain server-side SVG (no script, no inline style).

``render`` draws a laid-out :class:`~clientmap.valuechain.svg.Picture`: each node a link with
its wrapped name (the full name in its ``<title>``, for hover and as the link's accessible name; no
``aria-label``, which would not match the visible, wrapped text), each edge a smooth path through the layout's route points; the viewBox is the
content's size. ``render_flow`` draws a team's reach picture (a layered flow). Colours come
from the stylesheet's classes.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientmap.valuechain import layout as lay


def _path(points: list[tuple[float, float]]) -> str:
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        my = (y0 + y1) / 2
        d.append(f"C{x0:.1f},{my:.1f} {x1:.1f},{my:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(d)


def _arc(points: list[tuple[float, float]]) -> str:
    (x1, y1), (x2, y2) = points[0], points[-1]
    lift = 26 + abs(x2 - x1) / 8
    return (
        f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 - lift:.1f} {x2:.1f},{y2 - lift:.1f} {x2:.1f},{y2:.1f}"
    )


def render(pic) -> SafeString:
    """The picture as an inline ``<svg>`` element."""
    nodes = pic.nodes
    w, h = math.ceil(pic.width), math.ceil(pic.height)
    top_pad = 30 if pic.arcs else 0  # arcs between nodes of one layer rise above it
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vc-graph" width="{w}" '
        f'height="{h + top_pad}" viewBox="0 {-top_pad} {w} {h + top_pad}" role="group" '
        f'aria-label="{escape(pic.title or _("Value chain"))}">',
        '<defs><marker id="vc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="vc-arrow"/></marker></defs>',
        '<g class="vc-edges">',
    ]
    for (a, b, count, fund), route, cls in zip(
        pic.edges, pic.routes, pic.edge_classes, strict=True
    ):
        na, nb = nodes[a], nodes[b]
        d = _arc(route) if na.layer == nb.layer else _path(route)
        classes = ["vc-edge", *cls] + (["fund"] if fund else [])
        sw = 1.2 + min(math.log2(max(count, 1)), 3) * 0.6
        out.append(
            f'<path class="{" ".join(classes)}" d="{d}" stroke-width="{sw:.1f}" '
            f'marker-end="url(#vc-arrow)"><title>{escape(na.name)} → {escape(nb.name)}'
            f"{'' if count == 1 else f' ({count})'}</title></path>"
        )
    out.append('</g><g class="vc-nodes">')
    for n in nodes:
        tip = f"{n.name} ({n.key}) · {n.sub}" if n.key else f"{n.name} · {n.sub}"
        texts = []
        y = n.y + lay.PAD_Y + lay.LINE_H - 3
        for line in n.lines:
            texts.append(
                f'<text x="{n.x + lay.PAD_X:.1f}" y="{y:.1f}" class="vc-name">{escape(line)}</text>'
            )
            y += lay.LINE_H
        if n.sub_line:
            texts.append(
                f'<text x="{n.x + lay.PAD_X:.1f}" y="{y + 1:.1f}" class="vc-sub">'
                f"{escape(n.sub_line)}</text>"
            )
        out.append(
            f'<a href="{escape(n.href)}" class="vc-node {" ".join(n.classes)}" '
            f'data-key="{escape(n.key)}" data-kind="{n.kind}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{n.x:.1f}" y="{n.y:.1f}" width="{n.w:.1f}" height="{n.h:.1f}" rx="6"/>'
            + "".join(texts)
            + "</a>"
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))


# --- the reach picture: team → services → paying organizations ---------------------------------

FLOW_NODE_W = 180
FLOW_GAP = 14
FLOW_COL_GAP = 150
FLOW_UNIT = 6.0  # px of band per paying customer (at least MIN_BAND)
MIN_BAND = 3.0


def render_flow(flow: dict) -> SafeString:
    """A layered flow: the team on the left, its services, then the paying organizations they
    reach; a band's width is the number of paying customers (people) it leads to."""
    columns: list[list[dict]] = flow["columns"]
    bands: list[dict] = flow["bands"]
    if not columns or not columns[0]:
        return mark_safe("")
    scale = flow.get("scale") or FLOW_UNIT

    def size(v: float) -> float:
        return max(v * scale, MIN_BAND)

    # Node heights: their name lines and the larger of their in/out band totals.
    for col in columns:
        for node in col:
            node["lines"] = lay.wrap(node["name"], FLOW_NODE_W - 2 * lay.PAD_X)
            text_h = 2 * lay.PAD_Y + lay.LINE_H * len(node["lines"]) + lay.SUB_H
            node["h"] = max(text_h, size(node["value"]) + 2 * lay.PAD_Y)
    height = (
        max(sum(n["h"] for n in col) + FLOW_GAP * (len(col) - 1) for col in columns)
        + 2 * lay.MARGIN
    )
    width = 2 * lay.MARGIN + len(columns) * FLOW_NODE_W + (len(columns) - 1) * FLOW_COL_GAP
    index = {}
    for c, col in enumerate(columns):
        total = sum(n["h"] for n in col) + FLOW_GAP * (len(col) - 1)
        y = (height - total) / 2
        x = lay.MARGIN + c * (FLOW_NODE_W + FLOW_COL_GAP)
        for node in col:
            node["x"], node["y"] = x, y
            node["out_y"] = node["in_y"] = y + lay.PAD_Y
            index[node["id"]] = node
            y += node["h"] + FLOW_GAP
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vc-flow" width="{math.ceil(width)}" '
        f'height="{math.ceil(height)}" viewBox="0 0 {math.ceil(width)} {math.ceil(height)}" '
        f'role="group" aria-label="{escape(flow["title"])}">',
        f"<title>{escape(flow['title'])}</title>",
        '<g class="vc-bands">',
    ]
    for band in bands:
        a, b = index[band["from"]], index[band["to"]]
        t = size(band["value"])
        x1, x2 = a["x"] + FLOW_NODE_W, b["x"]
        y1, y2 = a["out_y"] + t / 2, b["in_y"] + t / 2
        a["out_y"] += t
        b["in_y"] += t
        mx = (x1 + x2) / 2
        cls = "vc-band" + (" home" if band.get("home") else "")
        out.append(
            f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} C{mx:.1f},{y1:.1f} {mx:.1f},{y2:.1f} '
            f'{x2:.1f},{y2:.1f}" stroke-width="{t:.1f}"><title>{escape(a["name"])} → '
            f"{escape(b['name'])}: {escape(band['label'])}</title></path>"
        )
    out.append('</g><g class="vc-nodes">')
    for col in columns:
        for node in col:
            label = f"{node['name']} · {node['sub']}"
            texts = []
            y = node["y"] + lay.PAD_Y + lay.LINE_H - 3
            for line in node["lines"]:
                texts.append(
                    f'<text x="{node["x"] + lay.PAD_X:.1f}" y="{y:.1f}" class="vc-name">'
                    f"{escape(line)}</text>"
                )
                y += lay.LINE_H
            texts.append(
                f'<text x="{node["x"] + lay.PAD_X:.1f}" y="{y + 1:.1f}" class="vc-sub">'
                f"{escape(node['sub_line'])}</text>"
            )
            out.append(
                f'<a href="{escape(node["href"])}" class="vc-node {node["classes"]}">'
                f"<title>{escape(label)}</title>"
                f'<rect x="{node["x"]:.1f}" y="{node["y"]:.1f}" width="{FLOW_NODE_W}" '
                f'height="{node["h"]:.1f}" rx="6"/>' + "".join(texts) + "</a>"
            )
    out.append("</g></svg>")
    return mark_safe("".join(out))

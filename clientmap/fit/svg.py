"""The 2×2 fit matrix as server-side SVG (no JavaScript, no library).

x: the customer wants us (0 → 1, left → right); y: we want the customer (0 → 1, bottom → top).
The threshold lines split the four quadrants, each labelled with its group and policy.
Points are sized by revenue (area ∝ revenue) and link to the account. Readable at any size:
up to ``ALL_POINTS`` accounts every one is a point; above it the accounts are drawn as a density
grid (shade ∝ count, each cell's count in its tooltip) and only the ``TOP_N`` largest by revenue
(plus any of the group asked for) are drawn as labelled points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ALL_POINTS = 400
TOP_N = 40
LABELS = 25
CELLS = 25
W, H = 720, 560
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 16, 48
R_MIN, R_MAX = 3.0, 16.0
COLOURS = {
    1: "#23702f",
    2: "#855b0a",
    3: "#1e4f85",
    4: "#a33a3a",
    None: "#595959",
}  # ≥ 4.5:1 on the tints


@dataclass(frozen=True)
class Point:
    key: str
    name: str
    x: float  # wants us 0..1
    y: float  # we want 0..1
    group: int | None
    revenue: float


def _sx(x: float) -> float:
    return PAD_L + x * (W - PAD_L - PAD_R)


def _sy(y: float) -> float:
    return H - PAD_B - y * (H - PAD_T - PAD_B)


def _t(s: object) -> str:
    return escape(str(s))


def _short(s: str, n: int = 22) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def matrix(
    points: list[Point],
    *,
    threshold_x: float,
    threshold_y: float,
    quadrants: dict[int, tuple[str, str, str]],
    url_for,
    highlight: int | None = None,
) -> SafeString:
    """``quadrants``: group → (name, policy, link to the group's list); ``url_for(key)`` links
    a drawn point to its account (called only for the points drawn)."""
    # role="group", not "img": the quadrants are links, and an image's content is presentational
    # (axe-core nested-interactive, WCAG 4.1.2).
    out = [
        f'<svg class="fit-matrix" viewBox="0 0 {W} {H}" role="group" '
        f'aria-labelledby="fit-matrix-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="fit-matrix-title">{_t(_("Mutual fit: the customer wants us (across) and we want the customer (up)"))}</title>',
    ]
    tx, ty = _sx(threshold_x), _sy(threshold_y)
    x0, x1, y0, y1 = _sx(0), _sx(1), _sy(0), _sy(1)
    # quadrant backgrounds and labels: 1 top right, 2 bottom right, 3 top left, 4 bottom left
    boxes = {
        1: (tx, y1, x1 - tx, ty - y1, "end", x1 - 6, y1 + 16),
        2: (tx, ty, x1 - tx, y0 - ty, "end", x1 - 6, y0 - 24),
        3: (x0, y1, tx - x0, ty - y1, "start", x0 + 6, y1 + 16),
        4: (x0, ty, tx - x0, y0 - ty, "start", x0 + 6, y0 - 24),
    }
    for g, (bx, by, bw, bh, anchor, lx, ly) in boxes.items():
        name, policy, link = quadrants[g]
        faded = highlight is not None and highlight != g
        out.append(
            f'<a href="{_t(link)}"><rect class="quadrant q{g}" x="{bx:.1f}" y="{by:.1f}" '
            f'width="{max(bw, 0):.1f}" height="{max(bh, 0):.1f}" fill="{COLOURS[g]}" '
            f'fill-opacity="{0.03 if faded else 0.08}"><title>{_t(name)}: {_t(policy)}</title></rect></a>'
        )
        out.append(
            f'<text class="qlabel" x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" '
            f'fill="{COLOURS[g]}" font-weight="bold" font-size="13">{g} · {_t(name)}</text>'
        )
        out.append(
            f'<text class="qpolicy" x="{lx:.1f}" y="{ly + 15:.1f}" text-anchor="{anchor}" '
            f'fill="#444" font-size="11">{_t(_short(str(policy), 60))}</text>'
        )
    # axes
    out.append(
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>'
        f'<line class="threshold" x1="{tx:.1f}" y1="{y0}" x2="{tx:.1f}" y2="{y1}" stroke="#555" stroke-dasharray="4 3"/>'
        f'<line class="threshold" x1="{x0}" y1="{ty:.1f}" x2="{x1}" y2="{ty:.1f}" stroke="#555" stroke-dasharray="4 3"/>'
    )
    for v in (0, 0.25, 0.5, 0.75, 1):
        out.append(
            f'<text x="{_sx(v):.1f}" y="{y0 + 14}" text-anchor="middle" font-size="10">{v:g}</text>'
            f'<text x="{x0 - 6}" y="{_sy(v) + 3:.1f}" text-anchor="end" font-size="10">{v:g}</text>'
        )
    out.append(
        f'<text x="{(x0 + x1) / 2:.1f}" y="{H - 10}" text-anchor="middle" font-size="12">'
        f"{_t(_('The customer wants us'))} →</text>"
        f'<text transform="translate(14 {(y0 + y1) / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="12">{_t(_("We want the customer"))} →</text>'
    )

    top_revenue = max((p.revenue for p in points), default=0.0) or 1.0

    def radius(p: Point) -> float:
        return R_MIN + (R_MAX - R_MIN) * math.sqrt(max(p.revenue, 0.0) / top_revenue)

    if len(points) <= ALL_POINTS:
        drawn = sorted(points, key=lambda p: -p.revenue)
    else:
        # density grid of every account
        grid: dict[tuple[int, int], int] = {}
        for p in points:
            cell = (min(int(p.x * CELLS), CELLS - 1), min(int(p.y * CELLS), CELLS - 1))
            grid[cell] = grid.get(cell, 0) + 1
        peak = max(grid.values())
        cw, ch = (x1 - x0) / CELLS, (y0 - y1) / CELLS
        for (cx, cy), n in sorted(grid.items()):
            shade = 0.12 + 0.6 * math.log1p(n) / math.log1p(peak)
            label = ngettext("%(n)d account", "%(n)d accounts", n) % {"n": n}
            out.append(
                f'<rect class="cell" x="{x0 + cx * cw:.1f}" y="{y0 - (cy + 1) * ch:.1f}" '
                f'width="{cw:.1f}" height="{ch:.1f}" fill="#1f3a5f" fill-opacity="{shade:.2f}">'
                f"<title>{_t(label)}</title></rect>"
            )
        chosen = sorted(points, key=lambda p: -p.revenue)[:TOP_N]
        if highlight is not None:
            keys = {p.key for p in chosen}
            chosen += [
                p
                for p in sorted(points, key=lambda p: -p.revenue)
                if p.group == highlight and p.key not in keys
            ][:TOP_N]
        drawn = chosen
    for i, p in enumerate(drawn):
        cx, cy = _sx(p.x), _sy(p.y)
        faded = highlight is not None and p.group != highlight
        tip = f"{p.name} · {p.x:.2f} / {p.y:.2f} · {p.revenue:,.0f}"
        out.append(
            f'<a href="{_t(url_for(p.key))}" class="point"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius(p):.1f}" '
            f'fill="{COLOURS.get(p.group, "#777")}" fill-opacity="{0.25 if faded else 0.7}" stroke="#fff">'
            f"<title>{_t(tip)}</title></circle>"
            + (
                f'<text x="{cx + radius(p) + 2:.1f}" y="{cy + 3:.1f}" font-size="10">{_t(_short(p.name))}</text>'
                if i < LABELS and not faded
                else ""
            )
            + "</a>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped

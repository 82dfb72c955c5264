"""Small server-drawn SVG charts (no JavaScript): bars per group and lines per month.

Each chart has a <title> and <desc> for screen readers, and every page shows the same numbers
in a table beside it.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLORS = ("#2b6cb0", "#c05621", "#2f855a")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.0f} %"


def bars(rows: list[tuple[str, float | None]], *, title: str, width: int = 560) -> SafeString:
    """Horizontal bars of shares (0..1), one per row; an empty bar for no data."""
    bar_h, gap, label_w = 18, 6, 200
    height = max(1, len(rows)) * (bar_h + gap) + 24
    plot = width - label_w - 60
    out = [
        f'<svg class="chart bars" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="bt db">',
        f'<title id="bt">{escape(title)}</title>',
        '<desc id="db">'
        + escape("; ".join(f"{label}: {_pct(v)}" for label, v in rows))
        + "</desc>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 12 + i * (bar_h + gap)
        short = label if len(label) <= 30 else label[:29] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end" '
            f'class="chart-label">{escape(short)}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{y}" width="{plot}" height="{bar_h}" class="chart-track" '
            'fill="#edf2f7"/>'
        )
        if value is not None:
            w = max(0.0, min(1.0, value)) * plot
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS[0]}"/>'
            )
        out.append(
            f'<text x="{label_w + plot + 6}" y="{y + bar_h - 5}" class="chart-value">'
            f"{escape(_pct(value))}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped


def lines(
    months: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    title: str,
    width: int = 560,
    height: int = 220,
) -> SafeString:
    """One line per series of shares (0..1) across months; gaps where a month has no data."""
    left, right, top, bottom = 40, 12, 12, 40
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(months) - 1)

    def x(i: int) -> float:
        return left + (pw * i / n if len(months) > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {_pct(v)}" for m, v in zip(months, values, strict=True))
        for name, values in series
    )
    out = [
        f'<svg class="chart lines" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="lt dl">',
        f'<title id="lt">{escape(title)}</title><desc id="dl">{escape(desc)}</desc>',
    ]
    for v in (0, 0.5, 1):
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#cbd5e0" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'class="chart-axis">{int(v * 100)}%</text>'
        )
    step = max(1, len(months) // 8)
    for i, m in enumerate(months):
        if i % step == 0 or i == len(months) - 1:
            out.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'class="chart-axis">{escape(m)}</text>'
            )
    for k, (name, values) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>')
        if segment:
            segments.append(segment)
        for seg in segments:
            out.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" '
                'stroke-width="2"/>'
            )
        lx = left + k * 180
        out.append(
            f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{height - 9}" class="chart-axis">{escape(name)}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped

"""Formatting for X1 figures, and the overview's satisfaction block."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A share 0..1 as a whole percentage; — for none."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.0f} %"


@register.filter
def points(value) -> str:
    """A difference of shares as signed percentage points."""
    if value is None:
        return "—"
    return f"{100 * float(value):+.0f} pp"


@register.filter
def one(value) -> str:
    if value is None:
        return "—"
    return f"{float(value):.1f}"


@register.inclusion_tag("experience/_home.html")
def satisfaction_overview() -> dict:
    """The first screen's satisfaction figure and the never-asked count (two-three queries)."""
    from clientmap.experience import selectors

    overall = selectors.figures("all").get(0, selectors.Figures())
    return {"overall": overall, "never_asked": selectors.never_asked().count()}

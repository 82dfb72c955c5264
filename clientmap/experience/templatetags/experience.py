"""Formatting for X1 figures."""

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

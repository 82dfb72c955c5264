"""Template helpers shared by every area's pages (web layer)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.inclusion_tag("core/_team_links.html")
def team_links(team, current: str = "") -> dict:
    """Every page about a team links to all of them: customers, requests, reach and its picture,
    the paying-customer lens, and the impact of each of its services."""
    from clientmap.catalog.models import Service

    services = list(Service.objects.filter(team=team).order_by("name").only("key", "name"))
    return {"team": team, "services": services, "current": current}


@register.simple_tag
def bar(pct, label: str = "") -> str:
    """A horizontal bar as inline SVG (no inline style: the page's CSP forbids it)."""
    try:
        width = max(0, min(100, round(float(pct or 0))))
    except (TypeError, ValueError):
        width = 0
    return format_html(
        '<svg class="bar-svg" viewBox="0 0 100 8" preserveAspectRatio="none" width="100%" '
        'height="8" aria-hidden="true" focusable="false"><rect class="bar-bg" width="100" '
        'height="8" rx="2"></rect><rect class="bar-fg" width="{}" height="8" rx="2"></rect>'
        "</svg>",
        width,
    )


@register.filter
def signed(value) -> str:
    """+5 / −3 / 0 for a change in percentage points."""
    if value is None:
        return ""
    value = int(value)
    return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else "0")


@register.filter
def when(value) -> str:
    """A local, readable date and time ("3 Dec 2026, 14:05") from a datetime, a date or an ISO
    string (as feeds give them); anything else is shown as it is."""
    from datetime import date, datetime

    from django.utils import formats, timezone

    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            return value
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "j M Y, H:i")
    if isinstance(moment, date):
        return formats.date_format(moment, "j M Y")
    return "" if value is None else str(value)

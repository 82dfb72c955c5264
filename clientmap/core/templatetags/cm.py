"""Template helpers shared by every area's pages (web layer)."""

from __future__ import annotations

import functools
from urllib.parse import quote

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# --- links without resolving the URL patterns for every row -----------------------------------

_SAFE = "!$&'()*+,;=/~:@"  # what ``reverse`` leaves as it is (RFC 3986 sub-delims and /~:@)


def _slot(i: int) -> str:
    return f"cm0key{i}slot"  # stands for key i while a pattern is reversed (URL-safe letters)


@functools.lru_cache(maxsize=256)
def _reversed(name: str, keys: int, _urlconf: str, _prefix: str) -> str:
    from django.urls import reverse

    return reverse(name, args=[_slot(i) for i in range(keys)] or None)


@register.simple_tag
def link(name: str, *keys) -> str:
    """``{% link 'customers:team' t.key %}`` is ``{% url 'customers:team' t.key %}`` for a URL
    whose arguments are all keys (``<key:…>`` or ``<path:…>``; or that has none), and gives the
    same URL: the pattern is reversed once per URL name and process (the URLconf does not change
    while it runs), each key written into it as ``reverse`` would (percent-encoding; a key that
    the key converter would write differently goes through ``reverse``).
    A page with a hundred links in its tables pays a string replacement per link, not a
    resolver walk."""
    from django.conf import settings
    from django.urls import get_script_prefix, get_urlconf, reverse

    from clientmap.core.converters import key_to_url

    url = _reversed(
        name, len(keys), str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix()
    )
    for i, key in enumerate(keys):
        text = str(key)
        if not text or key_to_url(text) != text:
            # an empty key ({% url %}'s error), or one a ``<key:>`` argument writes differently
            # from a ``<path:>`` one ("/", "%", only dots): the resolver itself
            return reverse(name, args=list(keys))
        url = url.replace(_slot(i), quote(text, safe=_SAFE))
    return url


# --- a relation's badges (customers/_kind.html, _basis.html, _active.html use these) ------------


@register.simple_tag
def kind_badge(kind) -> str:
    """The customer kind as a badge; nothing for another value."""
    from django.utils.translation import gettext as _

    labels = {
        "internal": _("internal"),
        "external_paying": _("external paying"),
        "external_nonpaying": _("external non-paying"),
    }
    if kind not in labels:
        return ""
    return format_html('<span class="badge {}">{}</span>', kind, labels[kind])


@register.simple_tag
def basis_badge(basis) -> str:
    """The evidence letters (R, D, S, I) with what they mean, or a dash."""
    from django.utils.translation import gettext as _

    if not basis:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 — a constant
    return format_html(
        '<span class="basis" title="{}">{}</span>',
        _("R requested, D decides, S specifies, I implements / supports"),
        basis,
    )


@register.simple_tag
def active_badge(relation) -> str:
    """Active, lapsed (customers) or prospect."""
    from django.utils.translation import gettext as _

    if not relation.is_customer:
        return format_html('<span class="badge prospect">{}</span>', _("prospect"))
    if relation.active:
        return format_html('<span class="badge active">{}</span>', _("active"))
    return format_html('<span class="badge lapsed">{}</span>', _("lapsed"))


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
    return _BARS[width]


# the 101 bars (0–100 %), made once: a table row's bar is a look-up, not a format and an escape
_BARS = [
    format_html(
        '<svg class="bar-svg" viewBox="0 0 100 8" preserveAspectRatio="none" width="100%" '
        'height="8" aria-hidden="true" focusable="false"><rect class="bar-bg" width="100" '
        'height="8" rx="2"></rect><rect class="bar-fg" width="{}" height="8" rx="2"></rect>'
        "</svg>",
        width,
    )
    for width in range(101)
]


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

    from django.utils import timezone

    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            return value
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{_day(moment)}, {moment.hour:02d}:{moment.minute:02d}"  # "j M Y, H:i"
    if isinstance(moment, date):
        return _day(moment)  # "j M Y"
    return "" if value is None else str(value)


def _day(moment) -> str:
    """``formats.date_format(moment, "j M Y")`` (the day, the month's three letters in the
    active language, the year), written directly: the format is fixed, so nothing is looked up
    per date (tested equal in every language)."""
    from django.utils.dates import MONTHS_3

    return f"{moment.day} {str(MONTHS_3[moment.month]).title()} {moment.year:04d}"


def _choices(kind: str) -> dict:
    from clientmap.customers.models import Kind
    from clientmap.engagements.models import Request

    return {
        "kind": dict(Kind.choices),
        "status": dict(Request.Status.choices),
        "payment": dict(Request.Payment.choices),
    }[kind]


@register.filter
def kind_label(value) -> str:
    """``external_paying`` → "external paying" in the page's language."""
    return str(_choices("kind").get(value, value or ""))


@register.filter
def status_label(value) -> str:
    return str(_choices("status").get(value, value or ""))


@register.filter
def payment_label(value) -> str:
    return str(_choices("payment").get(value, value or ""))


@register.filter
def language_name(code) -> str:
    """``pt`` → "Português" (the language's own name), "—" when none."""
    from django.utils.translation import get_language_info

    try:
        return get_language_info(code)["name_local"] if code else "—"
    except KeyError:
        return str(code)

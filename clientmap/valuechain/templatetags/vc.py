"""The value chain's nodes and paths as links, rendered in Python: a page of the impact or
reach lists shows hundreds of paths of several nodes each, and one template include per node
cost most of the page (``_node.html`` and ``_path.html`` render the same markup)."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clientmap.core.converters import key_to_url

register = template.Library()

_VIEWS = {
    "service": "valuechain:service",
    "team": "valuechain:team",
    "organization": "directory:organization",
    "person": "customers:person",
}
_MARK = "cmKEYcm"
_SAFE = "!$&'()*+,;=/~:@"  # what ``reverse`` leaves unquoted in a path (RFC 3986 sub-delims …)
_prefixes: dict[tuple, tuple[str, str]] = {}


def _url(kind: str, key: str) -> str:
    """``reverse(view of kind, args=[key])``, from one ``reverse`` per view."""
    cache_key = (get_urlconf(), get_script_prefix(), kind)
    parts = _prefixes.get(cache_key)
    if parts is None:
        head, _, tail = reverse(_VIEWS[kind], args=[_MARK]).partition(_MARK)
        parts = _prefixes[cache_key] = (head, tail)
    return parts[0] + quote(key_to_url(key), safe=_SAFE) + parts[1]


def node_html(n: dict) -> str:
    kind = n["type"]
    if kind in _VIEWS:
        return f'<a href="{escape(_url(kind, n["key"]))}" class="t-{kind}">{escape(n["name"])}</a>'
    return f'<span class="t-{escape(kind)}" title="{escape(n["key"])}">{escape(n["name"])}</span>'


@register.filter
def vc_node(n: dict) -> SafeString:
    """A node as ``valuechain/_node.html`` renders it (its final new line included)."""
    return mark_safe(node_html(n) + "\n")  # noqa: S308 — every part is escaped above


@register.filter
def vc_path(path: list[dict]) -> SafeString:
    """A path as ``valuechain/_path.html`` renders it."""
    sep = '<span class="sep" aria-hidden="true">→</span>'
    return mark_safe(  # noqa: S308 — every part is escaped by node_html
        '<span class="path">' + sep.join(node_html(n) + "\n" for n in path) + "</span>\n"
    )

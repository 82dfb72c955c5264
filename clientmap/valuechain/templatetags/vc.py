"""The value chain's nodes and paths as links, rendered in Python: a page of the impact or
reach lists shows hundreds of paths of several nodes each, and one template include per node
cost most of the page (``_node.html`` and ``_path.html`` render the same markup)."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from clientmap.core.converters import key_to_url
from clientmap.core.templatetags.cm import kind_label

register = template.Library()

_VIEWS = {
    "service": "valuechain:service",
    "team": "valuechain:team",
    "organization": "directory:organization",
    "person": "customers:person",
}
_MARK = "cmKEYcm"
_SAFE = "!$&'()*+,;=/~:@"  # what ``reverse`` leaves unquoted in a path (RFC 3986 sub-delims …)
_SEP = '<span class="sep" aria-hidden="true">→</span>'


@lru_cache(maxsize=64)
def _parts(urlconf, prefix: str, kind: str) -> tuple[str, str]:
    """What ``reverse`` puts before and after the key of a node of ``kind``."""
    head, _, tail = reverse(_VIEWS[kind], args=[_MARK], urlconf=urlconf).partition(_MARK)
    return head, tail


@lru_cache(maxsize=50_000)
def _node(urlconf, prefix: str, kind: str, key: str, name: str) -> str:
    if kind in _VIEWS:
        head, tail = _parts(urlconf, prefix, kind)
        url = head + quote(key_to_url(key), safe=_SAFE) + tail
        return f'<a href="{escape(url)}" class="t-{kind}">{escape(name)}</a>\n'
    return f'<span class="t-{escape(kind)}" title="{escape(key)}">{escape(name)}</span>\n'


def _where() -> tuple:
    """What ``reverse`` depends on here (the URLs have no language prefix)."""
    return get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()


@register.filter
def vc_node(n: dict) -> SafeString:
    """A node as ``valuechain/_node.html`` renders it (its final new line included)."""
    return mark_safe(_node(*_where(), n["type"], n["key"], n["name"]))  # noqa: S308 — escaped


@register.filter
def vc_path(path: list[dict]) -> SafeString:
    """A path as ``valuechain/_path.html`` renders it."""
    urlconf, prefix = _where()
    return mark_safe(  # noqa: S308 — every part is escaped by _node
        '<span class="path">'
        + _SEP.join(_node(urlconf, prefix, n["type"], n["key"], n["name"]) for n in path)
        + "</span>\n"
    )


@register.simple_tag
def vc_team_options(teams, selected=None) -> SafeString:
    """The ``<option>`` of each team (key, name) for the map's highlight form, the selected
    node's team marked (2 000 of them: one string, not a template loop)."""
    chosen = selected["key"] if selected and selected.get("type") == "team" else None
    return mark_safe(  # noqa: S308 — keys and names are escaped
        "".join(
            f'<option value="team:{escape(key)}"{" selected" if key == chosen else ""}>'
            f"{escape(name)}</option>"
            for key, name in teams
        )
    )


@register.filter
def vc_reached_rows(items: list[dict]) -> SafeString:
    """The rows of ``valuechain/_reached.html`` (node, steps, path), as its loop rendered them."""
    urlconf, prefix = _where()

    def path(p: list[dict]) -> str:
        return (
            '<span class="path">'
            + _SEP.join(_node(urlconf, prefix, n["type"], n["key"], n["name"]) for n in p)
            + "</span>\n"
        )

    return mark_safe(  # noqa: S308 — every part is escaped
        "".join(
            "\n      <tr><td>"
            + _node(urlconf, prefix, i["node"]["type"], i["node"]["key"], i["node"]["name"])
            + f'</td><td class="num">{escape(str(localize(i["distance"])))}</td><td>'
            + path(i["path"])
            + "</td></tr>\n    "
            for i in items
        )
    )


def _path(urlconf, prefix: str, p: list[dict]) -> str:
    return (
        '<span class="path">'
        + _SEP.join(_node(urlconf, prefix, n["type"], n["key"], n["name"]) for n in p)
        + "</span>\n"
    )


@register.filter
def vc_paying_rows(items: list[dict]) -> SafeString:
    """The rows of the impact page's paying customers (node, reached, steps, path)."""
    urlconf, prefix = _where()
    direct = '<span class="badge external_paying">' + escape(gettext("direct")) + "</span>"
    home = '<span class="badge">' + escape(gettext("through the home organization")) + "</span>"
    return mark_safe(  # noqa: S308 — every part is escaped
        "".join(
            "\n      <tr><td>"
            + _node(urlconf, prefix, i["node"]["type"], i["node"]["key"], i["node"]["name"])
            + "</td>\n        <td>"
            + (direct if i["direct"] else home)
            + f'</td>\n        <td class="num">{escape(str(localize(i["distance"])))}</td><td>'
            + _path(urlconf, prefix, i["path"])
            + "</td></tr>\n    "
            for i in items
        )
    )


@register.filter
def vc_direct_rows(items: list[dict]) -> SafeString:
    """The rows of the impact page's direct customers (person, kind, e-mail, path)."""
    urlconf, prefix = _where()
    return mark_safe(  # noqa: S308 — every part is escaped
        "".join(
            "\n      <tr><td>"
            + _node(urlconf, prefix, i["person"]["type"], i["person"]["key"], i["person"]["name"])
            + f'</td><td><span class="badge {escape(i["kind"])}">{escape(kind_label(i["kind"]))}'
            + '</span></td>\n        <td class="small">'
            + (escape(i["person"]["email"]) if i["person"].get("email") else "—")
            + "</td><td>"
            + _path(urlconf, prefix, i["path"])
            + "</td></tr>\n    "
            for i in items
        )
    )

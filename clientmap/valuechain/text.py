"""Plain-text rendering of the value-chain answers for the CLI."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clientmap.core.text import table


def path_text(path: list[dict]) -> str:
    return " → ".join(n["name"] for n in path)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


def reached_table(section: dict, *, with_path: bool = True) -> str:
    headers = [_("type"), _("key"), _("name"), _("distance")]
    if with_path:
        headers.append(_("path"))
    rows = []
    for i in section["items"]:
        n = i["node"]
        row = [n["type"], n["key"], n["name"], i["distance"]]
        if with_path:
            row.append(path_text(i["path"]))
        rows.append(row)
    out = table(headers, rows)
    if section["total"] > len(section["items"]):
        out += "\n" + _("… and %(n)d more.") % {"n": section["total"] - len(section["items"])}
    return out


def counts_text(c: dict) -> str:
    return _("%(internal)d internal, %(external)d external (%(paying)d external paying)") % {
        "internal": c["internal"],
        "external": c["external"],
        "paying": c["external_paying"],
    }


def paying_table(section: dict) -> str:
    """Paying customers with how they are reached: directly or through the home organization."""
    rows = [
        (
            i["node"]["key"],
            i["node"]["name"],
            _("direct") if i["direct"] else _("through the home organization"),
            i["distance"],
            path_text(i["path"]),
        )
        for i in section["items"]
    ]
    out = table([_("key"), _("name"), _("reached"), _("distance"), _("path")], rows)
    if section["total"] > len(section["items"]):
        out += "\n" + _("… and %(n)d more.") % {"n": section["total"] - len(section["items"])}
    return out

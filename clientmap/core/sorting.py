"""Sortable lists: which column a list is sorted by (``?sort=name`` / ``?sort=-name``) and the
links of its column headings (the current one flips the direction)."""

from __future__ import annotations

from django.db.models import F
from django.utils.http import urlencode


def sorted_by(params, columns: dict[str, str], default: str) -> tuple[list, dict[str, dict]]:
    """(``order_by`` arguments, heading per column name: ``url`` and ``sorted`` — "ascending",
    "descending" or "" — for ``aria-sort``). ``columns`` maps a public name to a field path."""
    wanted = params.get("sort", default)
    name = wanted.lstrip("-")
    if name not in columns:
        wanted, name = default, default.lstrip("-")
    desc = wanted.startswith("-")
    field = F(columns[name])
    order = [field.desc(nulls_last=True) if desc else field.asc(nulls_last=True), "pk"]
    keep = {k: v for k, v in params.items() if k not in ("sort", "page") and v}
    heads = {}
    for col in columns:
        current = col == name
        flip = f"-{col}" if current and not desc else col
        heads[col] = {
            "url": "?" + urlencode({**keep, "sort": flip}),
            "sorted": ("descending" if desc else "ascending") if current else "",
        }
    return order, heads

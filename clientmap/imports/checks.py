"""Checks run after an import has written, inside its transaction."""

from __future__ import annotations


def cycles_if_graph_changed(counts: dict[str, dict[str, int]]) -> list[dict]:
    """Cycles of the consumption graph, when the import touched services or consumption edges.

    A cycle does not stop an import (real dependency data has them) but is reported with the
    services involved, so that it can be fixed where it was entered.
    """
    touched = any(
        counts.get(name, {}).get("created") or counts.get(name, {}).get("updated")
        for name in ("consumes", "services")
    )
    if not touched:
        return []
    from clientmap.valuechain import rules as graph_rules
    from clientmap.valuechain import selectors

    try:
        return selectors.cycles(graph_rules.load_graph(refresh=True, current=False))
    finally:
        graph_rules.invalidate()  # the graph cached here may be rolled back (check mode)

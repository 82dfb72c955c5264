"""Hooks that lower layers expose and upper areas fill from their ``AppConfig.ready()``.

Layers point one way (core → … → fit → imports → web): a page of the directory cannot import
the fit area, so it asks here instead, and gets nothing when no area registered.

- *account badges*: ``fn(org_ids) -> {org_id: badge}`` where a badge is a dict with at least
  ``group`` (1–4), ``name`` and ``policy`` (words), ``url``; rendered by
  ``core/_account_badge.html`` and copied into API payloads as ``fit``.
- *overview blocks*: extra sections of the first screen, each a template and a context function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

BadgeProvider = Callable[[list[int]], dict[int, dict]]

_badge_providers: list[BadgeProvider] = []


def register_account_badges(fn: BadgeProvider) -> None:
    if fn not in _badge_providers:
        _badge_providers.append(fn)


def account_badges(org_ids: Iterable[int | None]) -> dict[int, dict]:
    """Badge per organization id (absent: no account data or no provider)."""
    ids = sorted({i for i in org_ids if i is not None})
    out: dict[int, dict] = {}
    if not ids:
        return out
    for fn in _badge_providers:
        out.update(fn(ids))
    return out


def account_badge(org_id: int | None) -> dict | None:
    return account_badges([org_id]).get(org_id) if org_id is not None else None


def badge_payload(badge: dict | None) -> dict | None:
    """The API form of a badge: plain strings, no lazy translations."""
    if badge is None:
        return None
    return {
        k: (str(v) if k in {"name", "policy", "diagnosis"} and v is not None else v)
        for k, v in badge.items()
    }


@dataclass(frozen=True)
class OverviewBlock:
    template: str
    context: Callable[[], dict]
    order: int = 100


_overview_blocks: list[OverviewBlock] = []


def register_overview_block(block: OverviewBlock) -> None:
    if all(b.template != block.template for b in _overview_blocks):
        _overview_blocks.append(block)
        _overview_blocks.sort(key=lambda b: b.order)


def overview_blocks() -> list[dict]:
    """[{template, data}] for the first screen, in order."""
    return [{"template": b.template, "data": b.context()} for b in _overview_blocks]

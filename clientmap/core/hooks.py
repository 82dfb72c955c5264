"""Hooks: how a lower layer uses what only a higher layer knows, without importing it.

Layers point one way (docs/architecture.md): ``core`` → ``directory`` → ``catalog`` →
``engagements`` → ``customers`` → ``valuechain`` → ``voice`` → ``experience`` → ``fit`` →
``imports`` → web/API/CLI. When a lower layer needs data an upper one owns (the value chain's
alert ranking and the wish list's demand weighting need each organization's fit group; the
overview shows figures of every area), the lower layer reads a hook declared here and the upper
app fills it in its ``AppConfig.ready()``::

    # clientmap/fit/apps.py
    def ready(self):
        from clientmap.core import hooks
        from clientmap.fit import selectors
        hooks.fit_group_by_organization.provide(selectors.fit_group_by_organization)

A hook nobody provides answers its documented default, so every layer works on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

R = TypeVar("R")
T = TypeVar("T")


class Hook(Generic[R]):
    """One answer provided by an upper layer; the default until one is provided."""

    def __init__(self, name: str, default: Callable[..., R]) -> None:
        self.name = name
        self._default = default
        self._provider: Callable[..., R] | None = None

    def provide(self, provider: Callable[..., R]) -> Callable[..., R]:
        """Answer this hook with ``provider`` (the last provider wins; usable as a decorator)."""
        self._provider = provider
        return provider

    def reset(self) -> None:
        """Back to the default (tests)."""
        self._provider = None

    @property
    def provided(self) -> bool:
        return self._provider is not None

    def __call__(self, *args: Any, **kwargs: Any) -> R:
        return (self._provider or self._default)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}{' (provided)' if self.provided else ''}>"


class Registry(Generic[T]):
    """An ordered collection that upper layers add to (each key once: re-registering replaces)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        self._items[key] = item
        return item

    def unregister(self, key: str) -> None:
        self._items.pop(key, None)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._items)}>"


# --- the hooks ------------------------------------------------------------------------------

fit_group_by_organization: Hook[dict[int, int]] = Hook(
    "fit_group_by_organization", default=lambda: {}
)
"""Fit group (1 = key customer … 4) per organization id; ``{}`` until the fit app provides it.
Read by the value chain's alert ranking (``valuechain.feed``) and the wish list's demand
weighting (``voice``)."""

revenue_by_organization: Hook[dict[int, float]] = Hook(
    "revenue_by_organization", default=lambda: {}
)
"""Revenue per organization id, when account data exists; ``{}`` until an app provides it."""


demand_weight_cases: Hook[list] = Hook("demand_weight_cases", default=lambda voter, weights: [])
"""Extra ``When(condition, then=weight)`` clauses for a vote's weight in the wish list's
weighted demand (``voice.demand``), tried before the built-in ones (paying customer, customer,
anyone). Called with ``voter`` — an ``OuterRef`` to the voting person's id — and the configured
weights; the fit app provides it to weigh votes by the voter organization's fit group. ``[]``
until provided."""


@dataclass(frozen=True)
class OverviewFigures:
    """Figures one area adds to the first screen.

    ``figures()`` returns a dict merged into the overview's context (``overview`` in
    ``core/home.html``); ``template``, when given, is included on the page after the built-in
    sections with ``block`` bound to that dict. ``order`` sorts the blocks (lower first). With
    ``earlier``, it is called as ``figures(earlier=merged)``: the figures of the blocks before
    it, so that a block does not read again what an earlier one already read (a key it needs may
    be missing when that block is not installed: read it then).
    """

    figures: Callable[..., dict]
    template: str = ""
    order: int = 100
    earlier: bool = False


overview: Registry[OverviewFigures] = Registry("overview")
"""What the first screen shows, filled by each area's ``AppConfig.ready()``."""


def overview_figures() -> tuple[dict, list[tuple[str, dict]]]:
    """Every registered area's figures merged, and the extra blocks (template, figures) in order."""
    merged: dict = {}
    blocks: list[tuple[str, dict]] = []
    for item in sorted(overview, key=lambda i: i.order):
        figures = item.figures(earlier=merged) if item.earlier else item.figures()
        merged.update(figures)
        if item.template:
            blocks.append((item.template, figures))
    return merged, blocks


account_badges: Hook[dict[int, dict]] = Hook("account_badges", default=lambda org_ids: {})
"""Fit badge per organization id for the given ids (``fn(org_ids) -> {org_id: badge}``): a dict
with ``group`` (1–4), ``computed_group``, ``name`` and ``policy`` (words), ``override``,
``diagnosis`` and ``url``; rendered by ``core/_account_badge.html`` on the organization, person,
request (evidence) and team pages, and copied into their API payloads as ``fit``. ``{}`` until
the fit app provides it."""


def account_badges_for(org_ids) -> dict[int, dict]:
    """Badges of the given organization ids (``None`` ids ignored; one call for a whole page)."""
    ids = sorted({i for i in org_ids if i is not None})
    return account_badges(ids) if ids else {}


def account_badge(org_id: int | None) -> dict | None:
    return account_badges_for([org_id]).get(org_id) if org_id is not None else None


def badge_payload(badge: dict | None) -> dict | None:
    """The API form of a badge: plain strings instead of lazy translations."""
    if badge is None:
        return None
    return {
        k: (str(v) if k in {"name", "policy", "diagnosis"} and v is not None else v)
        for k, v in badge.items()
    }

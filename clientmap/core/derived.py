"""One way to keep derived tables current.

A **derived table** is computed from input tables: the customer relations (C1, C2) from requests,
involvements, memberships, people and organizations; the value-chain graph (V1–V3, cached in each
process) from services, consumes edges, units, teams, organizations and the customer relations.

1. **Writes mark it stale, in the same transaction.** Every write that changes an input calls
   ``mark_stale(name, …)``: the table's ``DerivedState.version`` changes and what changed (a
   ``StaleScope`` row: everyone, a person, an organization) is recorded — committed or rolled back
   with the write itself, so a crash can lose neither. Django signals call it for ordinary saves
   and deletes (``customers/signals.py``, ``valuechain/apps.py``); bulk writers (imports) wrap
   their work in ``deferred()`` and mark once, or rebuild explicitly.
2. **One function brings it current:** ``ensure_current()``. It reads every table's state in one
   query and, for each whose built version or parameters (the day, the window) differ, runs the
   refresh the owning app registered, scoped to what changed when that is cheaper. It returns the
   versions it saw (the value chain keys its per-process cache on them).
3. **Every reader goes through it**: pages and the API through ``CurrentMiddleware``; the CLI,
   jobs and the read selectors through the ``@current`` decorator. After a commit, the writer's
   own process also brings the table current at once (``transaction.on_commit``), so a reader
   rarely pays for the rebuild.
4. **A page never waits for a whole rebuild.** When what a request would rebuild is the whole
   table (a new day, the window changed, a change for everyone), the table was built before, its
   last full rebuild took longer than ``CLIENTMAP["DERIVED_INLINE_SECONDS"]`` (or is not known)
   and a worker is running, the request queues the rebuild as a job (``core.derived``, one per
   table and version) and reads the last complete build meanwhile; the page says so
   (:func:`catching_up`, ``X-Clientmap-Catching-Up``). Without a worker, or for a scoped
   change, it rebuilds at once as before. The writer's own rebuild after its commit always runs
   at once (read-your-writes).

The owning app registers its table in ``AppConfig.ready()``::

    derived.register("customer_relations", refresh=rules.refresh, parameters=rules.parameters)
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger("clientmap.derived")

# Above this many ids a scoped rebuild is not worth it: everything is rebuilt.
MAX_SCOPE_IDS = 500


@dataclass(frozen=True)
class Changes:
    """What changed since the last build. Empty with ``everyone`` false means nothing."""

    everyone: bool = False
    person_ids: frozenset[int] = field(default_factory=frozenset)
    organization_ids: frozenset[int] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.everyone or bool(self.person_ids) or bool(self.organization_ids)

    def __or__(self, other: Changes) -> Changes:
        if self.everyone or other.everyone:
            return Changes(everyone=True)
        merged = Changes(
            person_ids=self.person_ids | other.person_ids,
            organization_ids=self.organization_ids | other.organization_ids,
        )
        if len(merged.person_ids) + len(merged.organization_ids) > MAX_SCOPE_IDS:
            return Changes(everyone=True)
        return merged


EVERYTHING = Changes(everyone=True)


@dataclass(frozen=True)
class Derived:
    """A registered derived table: how to rebuild it and the parameters it depends on."""

    name: str
    refresh: Callable[[Changes], None] | None = None
    parameters: Callable[[], str] = lambda: ""


_registry: dict[str, Derived] = {}


def register(
    name: str,
    *,
    refresh: Callable[[Changes], None] | None = None,
    parameters: Callable[[], str] | None = None,
) -> None:
    """Declare a derived table. ``refresh(changes)`` rebuilds what ``changes`` touch (it is
    called inside a transaction, with the table's state row locked); a table without ``refresh``
    only has a version (a per-process cache compares it). ``parameters()`` names what else the
    table was built for (the day, the window): when it differs, everything is rebuilt."""
    _registry[name] = Derived(name, refresh, parameters or (lambda: ""))


# --- marking stale ----------------------------------------------------------------------------

_local = threading.local()


def _deferred() -> dict[str, Changes] | None:
    return getattr(_local, "deferred", None)


def _new_version() -> int:
    # A fresh random token, not a counter: a rolled-back transaction can never make a later
    # version equal to one a process has cached.
    return random.getrandbits(62) + 1


def _bump(name: str, changes: Changes) -> None:
    from clientmap.core.models import DerivedState, StaleScope

    entry = _registry.get(name)
    if entry is None or entry.refresh is None:
        rows = []  # a version-only table (a per-process cache): nothing to rebuild in place
    elif changes.everyone:
        rows = [StaleScope(name=name, everyone=True)]
    else:
        rows = [StaleScope(name=name, person_id=p) for p in sorted(changes.person_ids)] + [
            StaleScope(name=name, organization_id=o) for o in sorted(changes.organization_ids)
        ]
    if rows:
        StaleScope.objects.bulk_create(rows)
    _forget_seen()
    version = _new_version()
    if not DerivedState.objects.filter(name=name).update(version=version):
        DerivedState.objects.bulk_create(
            [DerivedState(name=name, version=version, built=0)], ignore_conflicts=True
        )
        DerivedState.objects.filter(name=name).update(version=version)


def mark_stale(
    name: str,
    *,
    everyone: bool = False,
    person_ids: Iterable[int] = (),
    organization_ids: Iterable[int] = (),
) -> None:
    """Record, in the current transaction, that the inputs of ``name`` changed for these people
    and organizations — for everyone when no id is given."""
    person_ids, organization_ids = list(person_ids), list(organization_ids)
    changes = Changes(
        everyone=everyone or not (person_ids or organization_ids),
        person_ids=frozenset(int(i) for i in person_ids if i is not None),
        organization_ids=frozenset(int(i) for i in organization_ids if i is not None),
    )
    changes = changes | Changes()  # normalise (too many ids → everyone)
    if not changes:
        return
    pending = _deferred()
    if pending is not None:
        pending[name] = pending.get(name, Changes()) | changes
        return
    _bump(name, changes)
    _schedule_refresh()


@contextmanager
def deferred() -> Iterator[None]:
    """Collect every ``mark_stale`` inside (a bulk import, the demo) and record them once at the
    end, in the same transaction."""
    outer = _deferred()
    if outer is not None:
        yield
        return
    _local.deferred = {}
    try:
        yield
        pending = _local.deferred
    finally:
        _local.deferred = None
    for name, changes in pending.items():
        _bump(name, changes)
    if pending:
        _schedule_refresh()


def _after_commit() -> None:
    _forget_seen()
    token = _reading.set(None)  # the writer brings its own change current at once
    try:
        ensure_current()
    finally:
        _reading.reset(token)


def _schedule_refresh() -> None:
    """Bring the tables current once the writing transaction commits (at once in autocommit)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _after_commit()
        return
    if any(item[1] is _after_commit for item in conn.run_on_commit):
        return  # already scheduled for this transaction
    transaction.on_commit(_after_commit)


# --- bringing current -------------------------------------------------------------------------


def versions() -> dict[str, tuple[int, int, str]]:
    """Every derived table's (version, built version, built for), in one query."""
    from clientmap.core.models import DerivedState

    return {
        name: (version, built, built_for)
        for name, version, built, built_for in DerivedState.objects.values_list(
            "name", "version", "built", "built_for"
        )
    }


def pending_changes(name: str) -> tuple[Changes, int | None]:
    """What is marked stale for derived table ``name`` and not yet brought current (the scopes
    of its pending rows, merged), with the id of the last of those rows (None when none)."""
    from clientmap.core.models import StaleScope

    changes, last = Changes(), None
    rows = StaleScope.objects.filter(name=name).values_list(
        "id", "everyone", "person_id", "organization_id"
    )
    person_ids: set[int] = set()
    organization_ids: set[int] = set()
    everyone = False
    for pk, all_, person, organization in rows:
        last = pk if last is None or pk > last else last
        everyone = everyone or all_
        if person is not None:
            person_ids.add(person)
        if organization is not None:
            organization_ids.add(organization)
    changes = (
        Changes(
            everyone=everyone,
            person_ids=frozenset(person_ids),
            organization_ids=frozenset(organization_ids),
        )
        | Changes()
    )
    return changes, last


def rebuild(name: str, changes: Changes | None = None) -> None:
    """Bring ``name`` current now: lock its state row, rebuild what changed (``changes``, else
    what was recorded; everything when it was never built or its parameters differ), and mark it
    built for the version it locked."""
    from clientmap.core.db import retrying
    from clientmap.core.models import DerivedState, StaleScope

    entry = _registry[name]

    def run() -> None:
        with transaction.atomic():
            DerivedState.objects.bulk_create(
                [DerivedState(name=name, version=_new_version(), built=0)], ignore_conflicts=True
            )
            state = DerivedState.objects.select_for_update().get(name=name)
            params = entry.parameters()
            todo, last = pending_changes(name)
            if changes is not None:
                todo = todo | changes
            if state.built == 0 or state.built_for != params:
                todo = EVERYTHING
            elif changes is None and state.built == state.version and not todo:
                return
            if entry.refresh is not None and todo:
                started = time.perf_counter()
                entry.refresh(todo)
                if todo.everyone:
                    _remember_seconds(name, time.perf_counter() - started)
            if last is not None:
                StaleScope.objects.filter(name=name, id__lte=last).delete()
            DerivedState.objects.filter(pk=state.pk).update(built=state.version, built_for=params)

    retrying(run)


def mark_built(name: str, built_for: str | None = None) -> None:
    """Record that ``name`` was just rebuilt in full for its current inputs (a rebuild called
    directly, e.g. at the end of an import), with parameters ``built_for`` (default: the current
    ones). Call it inside the rebuild's transaction."""
    from clientmap.core.models import DerivedState, StaleScope

    entry = _registry[name]
    DerivedState.objects.bulk_create(
        [DerivedState(name=name, version=_new_version(), built=0)], ignore_conflicts=True
    )
    state = DerivedState.objects.select_for_update().get(name=name)
    StaleScope.objects.filter(name=name).delete()
    DerivedState.objects.filter(pk=state.pk).update(
        built=state.version, built_for=entry.parameters() if built_for is None else built_for
    )


# --- a whole rebuild in the background, the last build read meanwhile -------------------------

# The tables the request being served reads from their last complete build while a job rebuilds
# them; None outside ``CurrentMiddleware`` (the CLI, jobs, a writer's commit: always at once).
_reading: ContextVar[set[str] | None] = ContextVar("clientmap_derived_reading", default=None)


def _seconds_key(name: str) -> str:
    return f"clientmap:derived:{name}:full-seconds"


def _remember_seconds(name: str, seconds: float) -> None:
    from django.core.cache import cache

    try:
        cache.set(_seconds_key(name), round(seconds, 3), None)
    except Exception:  # noqa: BLE001 — a hint only: without it the next read decides as before
        logger.warning("could not record the rebuild time of %s", name, exc_info=True)


def last_full_seconds(name: str) -> float | None:
    """How long the last whole rebuild of ``name`` took (None: not known)."""
    from django.core.cache import cache

    try:
        return cache.get(_seconds_key(name))
    except Exception:  # noqa: BLE001
        return None


def _inline_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "CLIENTMAP", {}).get("DERIVED_INLINE_SECONDS", 2.0))


def _worker_running() -> bool:
    from django.utils import timezone

    from clientmap.core import jobs

    seen = jobs.last_worker_seen()
    return seen is not None and (timezone.now() - seen).total_seconds() < jobs.stale_seconds()


def _whole_rebuild_due(name: str, built: int, built_for: str, params: str) -> bool:
    from clientmap.core.models import StaleScope

    if built == 0:
        return False  # never built: there is nothing to read meanwhile
    return built_for != params or StaleScope.objects.filter(name=name, everyone=True).exists()


def _in_background(name: str, version: int, built: int, built_for: str, params: str) -> bool:
    """Queue the whole rebuild of ``name`` as a job and read its last build, when that is the
    better deal for the request being served (see the module's point 4)."""
    if not _whole_rebuild_due(name, built, built_for, params):
        return False
    known = last_full_seconds(name)
    if known is not None and known < _inline_seconds():
        return False
    if not _worker_running():
        return False
    from clientmap.core import jobs

    jobs.enqueue("core.derived", {"name": name}, key=f"derived:{name}:{version}:{params}")
    return True


# The versions the request being served already brought current (``CurrentMiddleware``): every
# later ``ensure_current`` of that request (``@current`` selectors, the graph's loader) answers
# from it instead of asking again, until a write of this process marks a table stale (``_bump``)
# or commits. A box (a dict) per request, None outside one.
_seen: ContextVar[dict | None] = ContextVar("clientmap_derived_seen", default=None)


def _forget_seen() -> None:
    box = _seen.get()
    if box is not None:
        box.clear()


def catching_up() -> list[str]:
    """The derived tables the current request reads from their last complete build."""
    return sorted(_reading.get() or ())


def rebuild_job(job, progress) -> dict:
    """The ``core.derived`` job: bring one table current (a reader queued it)."""
    name = job.params["name"]
    progress(step=name)
    started = time.perf_counter()
    rebuild(name)
    return {"name": name, "seconds": round(time.perf_counter() - started, 2)}


def ensure_current() -> dict[str, int]:
    """Bring every stale derived table current; return each table's version (one query when
    nothing is stale). Inside a request, a whole rebuild may go to a job instead (point 4), and
    only the first call asks the database: the request's later calls get the same answer, unless
    this process wrote in between."""
    box = _seen.get()
    if box:
        return dict(box["versions"])
    seen = versions()
    reading = _reading.get()
    for name, entry in _registry.items():
        if entry.refresh is None:
            continue
        version, built, built_for = seen.get(name, (0, 0, ""))
        params = entry.parameters()
        if name in seen and built == version and built_for == params:
            continue
        if reading is not None and (
            name in reading or _in_background(name, version, built, built_for, params)
        ):
            reading.add(name)
            continue
        rebuild(name)
        # a rebuild may mark the tables made from it stale (registered after it): read again
        seen = versions()
    # every table's version: the registered ones, and those only versioned (the value chain's
    # per-process graph keys its cache on its version, so it need not ask again)
    answer = {name: seen.get(name, (0,))[0] for name in _registry}
    answer.update((name, state[0]) for name, state in seen.items() if name not in answer)
    if box is not None:
        box["versions"] = dict(answer)
    return answer


def current(fn: F) -> F:
    """Decorator: bring the derived tables current before ``fn`` reads them."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ensure_current()
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class CurrentMiddleware:
    """Every page and API call sees derived tables current with every committed write."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _reading.set(set())
        seen = _seen.set({})
        try:
            ensure_current()
            response = self.get_response(request)
            if _reading.get():
                response["X-Clientmap-Catching-Up"] = ", ".join(catching_up())
            return response
        finally:
            _seen.reset(seen)
            _reading.reset(token)

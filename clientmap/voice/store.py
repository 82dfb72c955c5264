"""The weighted demand stored on the wish (``Wish.weighted_demand``), kept equal to
``demand.with_demand`` — the sum over a wish's votes of each voter's weight.

Why a column on the wish, updated by the writes themselves, rather than a separate derived table
rebuilt on every read: the demand is read far more often than it changes (the wish list sorted
by it, the overview's most-wanted wishes, the API), and each change touches few wishes, all of
them known to the write. So each write brings it current **in its own transaction**:

- a vote or an unvote adds or takes away the voter's weight (an atomic ``UPDATE … SET
  weighted_demand = weighted_demand ± weight``, like ``vote_count``: a concurrent vote is never
  lost);
- a merge (and any bulk load of votes: imports, ``services._recount``) recomputes the wishes it
  touched from the vote table, with their rows locked;
- a change of a voter's customer relations (kind, paying or not, customer or not) recomputes the
  wishes those voters voted on, inside the transaction that rebuilds the relations
  (``customers.summary.relations_rebuilt``, scoped to the people and organizations the rebuild
  was for; everything after a whole rebuild);
- a person deleted with their votes recomputes the wishes they had voted on.

What no write of this area sees goes through the project's one staleness mechanism
(``clientmap.core.derived``, table ``wish_demand``): the weights themselves
(``CLIENTMAP["VOICE_WEIGHTS"]``, ``["VOICE_GROUP_WEIGHTS"]``) and the day (an account's fit-group
override expires with the day, and the accounts are placed again) are its parameters, so a
change rebuilds every wish set-based (one ``UPDATE``, after bringing the placements current); an
override set or cleared (the accounts area's extra weight, read through
``hooks.demand_weight_cases``) recomputes the wishes of the organization's voters, in the
override's transaction; a single write that places a few accounts again (fit *amends* today's
run) recomputes the wishes of those accounts' people, in the amend's transaction; a new
placement run (a job, the CLI, an accounts import) rebuilds every wish once it has committed. They are connected by model label and by the audit event the
accounts area records, so this layer imports nothing from above. (A process that dies between a
run's commit and that rebuild leaves the fit part of the weights a day old at most: the next
day rebuilds.)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from clientmap.core import derived
from clientmap.directory.models import Person
from clientmap.voice.demand import demand_expression, demand_weights, group_weights, weight
from clientmap.voice.models import Vote, Wish

TABLE = "wish_demand"


def refresh_wishes(wish_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored demand of these wishes (every wish when None) from their votes."""
    qs = Wish.objects.all() if wish_ids is None else Wish.objects.filter(pk__in=list(wish_ids))
    return qs.update(weighted_demand=demand_expression())


def refresh_voters(person_ids: Iterable[int] = (), organization_ids: Iterable[int] = ()) -> int:
    """Recompute the wishes that these people, or people of these organizations, voted on."""
    person_ids, organization_ids = list(person_ids), list(organization_ids)
    if not person_ids and not organization_ids:
        return 0
    voters = Q(person_id__in=person_ids) | Q(person__organization_id__in=organization_ids)
    wishes = Vote.objects.filter(voters).values("wish_id")
    return Wish.objects.filter(pk__in=wishes).update(weighted_demand=demand_expression())


def add_vote(wish_id: int, person_id: int, sign: int) -> None:
    """One vote cast (``sign`` 1) or taken back (-1): count and demand change atomically."""
    voter_weight = Subquery(
        Person.objects.filter(pk=person_id).annotate(w=weight(OuterRef("pk"))).values("w")[:1]
    )
    Wish.objects.filter(pk=wish_id).update(
        vote_count=F("vote_count") + sign,
        weighted_demand=F("weighted_demand") + sign * voter_weight,
    )


# The accounts area's placements (its derived table, named: this layer imports nothing of it).
FIT_TABLE = "fit_placements"
_local = threading.local()


def refresh(changes: derived.Changes) -> None:
    """Bring the stored demand current for ``changes`` (called by ``derived.ensure_current``).

    A whole rebuild (a new day, other weights) first brings the fit placements current — on a
    new day they are placed again — so it weighs with today's groups once, rather than with
    yesterday's and then again after the placements' run marks it stale."""
    if changes.everyone:
        if FIT_TABLE in derived.versions():
            _local.rebuilding = True
            try:
                derived.rebuild(FIT_TABLE)
            finally:
                _local.rebuilding = False
        refresh_wishes()
    else:
        refresh_voters(changes.person_ids, changes.organization_ids)


def parameters() -> str:
    """What the stored demand was computed for besides the votes and relations: the weights and
    the day (no query: ``ensure_current`` asks on every request)."""
    weights = {"base": demand_weights(), "group": group_weights()}
    return f"{timezone.localdate().isoformat()}/{json.dumps(weights, sort_keys=True)}"


# --- receivers (connected in VoiceConfig.ready) -----------------------------------------------


def on_relations(sender, everyone: bool, person_ids, organization_ids, **kwargs) -> None:
    """The customer relations were rebuilt (same transaction): their voters' wishes too."""
    if everyone:
        refresh_wishes()
    else:
        refresh_voters(person_ids, organization_ids)


def on_placements(sender, instance, created: bool = False, **kwargs) -> None:
    """A fit placement run was recorded. A new run places every account: every vote may weigh
    differently — weigh them all again once it is committed (its snapshots are written after
    this row). An *amended* run (a single write placed a few accounts again: the run is saved
    after their snapshots) changes only the groups of those accounts — recompute the wishes
    their people voted on, in the amend's transaction (:func:`amended_organizations`). Nothing
    when the run is the one ``refresh`` asked for before weighing every vote again."""
    if getattr(_local, "rebuilding", False):
        return
    orgs = None if created else amended_organizations()
    if orgs is None:
        transaction.on_commit(lambda: derived.rebuild(TABLE, derived.EVERYTHING))
    else:
        refresh_voters(organization_ids=orgs)


def amended_organizations() -> list[int] | None:
    """The accounts the placements are being amended for: what was marked stale for them
    (``core.derived``'s scope of ``fit_placements``, still pending while its refresh runs) —
    the organizations named and those of the people named, as the amend maps them. None when
    that is everyone or nothing is pending (not an amend of a few: weigh everything)."""
    pending, _last = derived.pending_changes(FIT_TABLE)
    if pending.everyone or not pending:
        return None
    people = Person.objects.filter(pk__in=sorted(pending.person_ids))
    return sorted(
        set(pending.organization_ids) | set(people.values_list("organization_id", flat=True))
    )


FIT_ACTIONS = ("fit.override", "fit.clear")


def on_audit(sender, instance, created: bool = False, **kwargs) -> None:
    """An account's fit group was overridden or the override cleared: its voters weigh
    differently."""
    if not created or instance.action not in FIT_ACTIONS:
        return
    from clientmap.directory.models import Organization

    ids = list(Organization.objects.filter(key=instance.object_key).values_list("id", flat=True))
    refresh_voters(organization_ids=ids)  # in the override's transaction, after its write


def before_person_deleted(sender, instance, **kwargs) -> None:
    instance._voted_wishes = list(
        Vote.objects.filter(person_id=instance.pk).values_list("wish_id", flat=True)
    )


def after_person_deleted(sender, instance, **kwargs) -> None:
    wish_ids = getattr(instance, "_voted_wishes", None)
    if wish_ids:
        from clientmap.voice.services import _recount

        _recount(wish_ids)

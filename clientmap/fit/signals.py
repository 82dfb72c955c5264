"""Mark the fit placements stale on every change of their inputs (admin, API, forms, code).

The placements (``fit_placements``, a derived table of ``clientmap/core/derived.py``) are made
from: the account files (invoices, approvals, ratings, referrals, intents), the overrides and the
settings (fit's own models); the *decides* involvements (decision makers) and requests (repeat
requests; whether the organization is an account at all, with the memberships and people that
make its customer relations); the answered attestations (voice); the experience figures —
satisfaction and promises kept — read from the touchpoints. Each receiver below marks the
organizations whose placement can change (or the people: the refresh maps them to their
organizations), in the writing transaction, so the next read — or this process, after the
commit — amends today's placements for just them (``rules.refresh``). A settings change marks
everyone.

Writes the model signals do not see mark explicitly: the workbook import (everyone, from
``imports/accounts.py``), clearing overrides (``services.clear``), answering an attestation
(``voice.services.attested``). The derived touchpoints of a saved request (its promise) are
rebuilt by the experience area *after* the commit, so a request marks the placements once more
then, after that rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from clientmap.core import derived
from clientmap.fit.rules import TABLE


def mark(*, organization_ids: Iterable[int | None] = (), person_ids: Iterable[int | None] = ()):
    """The placements of these organizations (and of these people's organizations) are stale.
    Nothing named, nothing marked (never "everyone" by accident)."""
    orgs = sorted({int(o) for o in organization_ids if o is not None})
    people = sorted({int(p) for p in person_ids if p is not None})
    if orgs or people:
        derived.mark_stale(TABLE, organization_ids=orgs, person_ids=people)


def mark_everyone() -> None:
    derived.mark_stale(TABLE, everyone=True)


# --- fit's own inputs: the account files and the overrides -----------------------------------


def _remember_organization(sender, instance, raw: bool = False, **kwargs) -> None:
    if instance.pk and not instance._state.adding:
        instance._fit_old_organization_id = (
            sender.objects.filter(pk=instance.pk).values_list("organization_id", flat=True).first()
        )


def _on_account_row(sender, instance, **kwargs) -> None:
    mark(
        organization_ids=[
            instance.organization_id,
            getattr(instance, "_fit_old_organization_id", None),
        ]
    )


def _on_settings(sender, instance, **kwargs) -> None:
    mark_everyone()


# --- what fit reads from the areas below ----------------------------------------------------


def _remember_person(sender, instance, raw: bool = False, **kwargs) -> None:
    if instance.pk and not instance._state.adding:
        instance._fit_old_person_id = (
            sender.objects.filter(pk=instance.pk).values_list("person_id", flat=True).first()
        )


def _on_person_row(sender, instance, **kwargs) -> None:
    """Involvements (decision makers), touchpoints (satisfaction, promises), attestations,
    memberships (whether the person's organization is a customer): the person's organization."""
    mark(person_ids=[instance.person_id, getattr(instance, "_fit_old_person_id", None)])


def _on_request(sender, instance, raw: bool = False, **kwargs) -> None:
    # The customers app remembers the requester before the save (``_old_requester``).
    old = getattr(instance, "_old_requester", None)
    people = [instance.requester_id, old[0] if old else None]
    orgs = [old[1] if old else None]
    mark(person_ids=people, organization_ids=orgs)
    if not raw:
        _again_after_commit(people, orgs)


_after = threading.local()


def _again_after_commit(people: list, orgs: list) -> None:
    """The request's promise (a derived touchpoint) is rebuilt on commit by the experience area,
    whose receiver ran before this one: mark these again once the transaction committed — one
    callback per transaction, however many requests it wrote or deleted. In autocommit the
    experience area derived it already (its callback ran at once, before this receiver)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return
    pending = getattr(_after, "ids", None)
    if pending is None or not any(item[1] is _mark_pending for item in conn.run_on_commit):
        pending = _after.ids = (set(), set())
        transaction.on_commit(_mark_pending)
    pending[0].update(people)
    pending[1].update(orgs)


def _mark_pending() -> None:
    pending, _after.ids = getattr(_after, "ids", None), None
    if pending is not None:
        mark(person_ids=pending[0], organization_ids=pending[1])


def _on_person(sender, instance, created: bool = False, **kwargs) -> None:
    if created:
        return
    # The customers app remembers the organization before the save (``_old_organization_id``).
    old = getattr(instance, "_old_organization_id", instance.organization_id)
    if old != instance.organization_id:
        mark(organization_ids=[old, instance.organization_id])


def _on_person_deleted(sender, instance, **kwargs) -> None:
    # Its rows went with it (their receivers named a person who is gone): name the organization.
    mark(organization_ids=[instance.organization_id])


def _on_organization(sender, instance, created: bool = False, **kwargs) -> None:
    # A new organization has no data; an existing one may have become (or stopped being) home.
    if not created:
        mark(organization_ids=[instance.pk])


def _on_attested(sender, attestation, **kwargs) -> None:
    mark(person_ids=[attestation.person_id])


def install() -> None:
    """Connect the receivers (``FitConfig.ready``, after the lower apps connected theirs)."""
    from clientmap.directory.models import Organization, Person, TeamMembership
    from clientmap.engagements.models import Involvement, Request
    from clientmap.experience.models import Touchpoint
    from clientmap.fit.models import (
        Approval,
        FitSettings,
        Intent,
        Invoice,
        Override,
        Rating,
        Referral,
    )
    from clientmap.voice import services as voice_services
    from clientmap.voice.models import Attestation

    for model in (Invoice, Approval, Rating, Referral, Intent, Override):
        uid = f"fit-{model.__name__}"
        pre_save.connect(_remember_organization, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_on_account_row, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_account_row, sender=model, dispatch_uid=f"{uid}-delete")
    post_save.connect(_on_settings, sender=FitSettings, dispatch_uid="fit-settings-save")
    post_delete.connect(_on_settings, sender=FitSettings, dispatch_uid="fit-settings-delete")
    for model in (Involvement, Touchpoint, Attestation, TeamMembership):
        uid = f"fit-{model.__name__}"
        pre_save.connect(_remember_person, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_on_person_row, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_person_row, sender=model, dispatch_uid=f"{uid}-delete")
    post_save.connect(_on_request, sender=Request, dispatch_uid="fit-request-save")
    post_delete.connect(_on_request, sender=Request, dispatch_uid="fit-request-delete")
    post_save.connect(_on_person, sender=Person, dispatch_uid="fit-person-save")
    post_delete.connect(_on_person_deleted, sender=Person, dispatch_uid="fit-person-delete")
    post_save.connect(_on_organization, sender=Organization, dispatch_uid="fit-org-save")
    post_delete.connect(_on_organization, sender=Organization, dispatch_uid="fit-org-delete")
    voice_services.attested.connect(_on_attested, dispatch_uid="fit-attested")

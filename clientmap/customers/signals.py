"""Mark the customer relations stale on every change of their inputs (admin, API, code).

Each receiver calls ``rules.mark_dirty(scope)``: in the writing transaction, the table's version
row is bumped and the people (or organizations) whose relations can change are recorded; the next
``derived.ensure_current()`` — after the commit in this process, or the next read anywhere —
rebuilds just them (``clientmap/core/derived.py``). Bulk writers (imports, demo) wrap their work
in ``rules.deferred_recompute()`` and record once.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from clientmap.customers import rules, summary
from clientmap.directory.models import Organization, Person, TeamMembership
from clientmap.engagements.models import Involvement, Request


def _request_changed(instance: Request) -> None:
    person = Person.objects.filter(pk=instance.requester_id).values("organization_id").first()
    org = person["organization_id"] if person else None
    scope = rules.scope_for_person(instance.requester_id, org)
    old = getattr(instance, "_old_requester", None)
    if old and old != (instance.requester_id, org):
        scope = scope | rules.scope_for_person(*old)
    rules.mark_dirty(scope)


@receiver(pre_save, sender=Request)
def _remember_requester(sender, instance: Request, **kwargs) -> None:
    if instance.pk:
        row = (
            Request.objects.filter(pk=instance.pk)
            .values("requester_id", "requester__organization_id")
            .first()
        )
        if row:
            instance._old_requester = (row["requester_id"], row["requester__organization_id"])


@receiver(post_save, sender=Request)
@receiver(post_delete, sender=Request)
def _on_request(sender, instance: Request, **kwargs) -> None:
    _request_changed(instance)


@receiver(post_save, sender=Involvement)
@receiver(post_delete, sender=Involvement)
def _on_involvement(sender, instance: Involvement, **kwargs) -> None:
    rules.mark_dirty(rules.Scope(person_ids=frozenset({instance.person_id})))


@receiver(post_save, sender=TeamMembership)
@receiver(post_delete, sender=TeamMembership)
def _on_membership(sender, instance: TeamMembership, **kwargs) -> None:
    # A team is not its own customer: joining or leaving a team changes its relations.
    rules.mark_dirty(rules.Scope(person_ids=frozenset({instance.person_id})))


@receiver(pre_save, sender=Person)
def _remember_organization(sender, instance: Person, **kwargs) -> None:
    if instance.pk:
        instance._old_organization_id = (
            Person.objects.filter(pk=instance.pk).values_list("organization_id", flat=True).first()
        )


@receiver(post_save, sender=Person)
def _on_person(sender, instance: Person, created: bool, **kwargs) -> None:
    if created:
        # a new person has no requests yet: nothing to rebuild, one more person who is
        # nobody's customer in the stored figures
        summary.person_made(instance.pk)
        return
    old = getattr(instance, "_old_organization_id", None)
    if old == instance.organization_id:
        return  # a renamed one changes nothing derived
    rules.mark_dirty(
        rules.scope_for_person(instance.pk, instance.organization_id)
        | (rules.scope_for_person(instance.pk, old) if old else rules.Scope())
    )


@receiver(post_delete, sender=Person)
def _on_person_deleted(sender, instance: Person, **kwargs) -> None:
    summary.person_deleted()


@receiver(pre_save, sender=Organization)
def _remember_home(sender, instance: Organization, **kwargs) -> None:
    if instance.pk:
        instance._old_is_home = (
            Organization.objects.filter(pk=instance.pk).values_list("is_home", flat=True).first()
        )


@receiver(post_save, sender=Organization)
@receiver(post_delete, sender=Organization)
def _on_organization(sender, instance: Organization, **kwargs) -> None:
    if (
        kwargs.get("created") is False
        and getattr(instance, "_old_is_home", None) == instance.is_home
    ):
        return
    if kwargs.get("created") and not instance.is_home:
        return
    rules.mark_dirty(rules.EVERYONE)

"""Keep derived touchpoints current after single saves (in the saving transaction), and
survey a request when it is fulfilled (after the commit: a mail cannot be rolled back). Bulk writers (imports, the demo) rebuild once at the end (``derive.derive``) and
never send surveys: mailing every historical request of an import would be wrong; send those
with ``clientmap surveys send``."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from clientmap.catalog.models import Service
from clientmap.customers.models import RecomputeState
from clientmap.customers.summary import relations_rebuilt
from clientmap.directory.models import Organization, Person, Team
from clientmap.engagements.models import Request
from clientmap.experience import derive
from clientmap.experience.models import Survey, Touchpoint
from clientmap.valuechain.models import ImpactNotice


@receiver(pre_save, sender=Request)
def _remember_status(sender, instance: Request, **kwargs) -> None:
    instance._experience_old_status = (
        Request.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Request)
def _on_request_saved(sender, instance: Request, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    pk = instance.pk
    # In the saving transaction, not after its commit: a crash right after the commit must not
    # leave the request's promise (and the satisfaction groups it touches) behind.
    derive.derive(request_ids=[pk])
    old = getattr(instance, "_experience_old_status", None)
    if instance.status == Request.Status.FULFILLED and old != Request.Status.FULFILLED:
        from clientmap.experience import services

        def send() -> None:
            fresh = Request.objects.filter(pk=pk).first()
            if fresh is not None and fresh.status == Request.Status.FULFILLED:
                services.send_for_request(fresh)

        transaction.on_commit(send)


@receiver(post_delete, sender=Request)
def _on_request_deleted(sender, instance: Request, **kwargs) -> None:
    # Its derived touchpoints lost their request (SET_NULL): they go.
    Touchpoint.objects.filter(derived=True, request__isnull=True, notice__isnull=True).delete()


@receiver(post_save, sender=ImpactNotice)
def _on_notice(sender, instance: ImpactNotice, raw: bool = False, **kwargs) -> None:
    if not raw:
        derive.derive(notice_ids=[instance.pk])  # in the saving transaction, like a request


def _invalidate(sender, **kwargs) -> None:
    from clientmap.experience import selectors

    selectors.invalidate()


for _model in (Touchpoint, Survey, Request):
    post_save.connect(
        _invalidate, sender=_model, dispatch_uid=f"experience-cache-{_model.__name__}"
    )
    post_delete.connect(
        _invalidate, sender=_model, dispatch_uid=f"experience-cache-del-{_model.__name__}"
    )
post_save.connect(_invalidate, sender=RecomputeState, dispatch_uid="experience-cache-relations")


# --- the groups of the stored satisfaction table a write touches (experience.store) -----------
# A request's change reaches the table through ``derive.derive`` (its promises).


def _groups(team_id, service_id, person_id) -> dict:
    return {"teams": [team_id], "services": [service_id], "people": [person_id]}


def _old_groups(model, instance, fields: tuple[str, ...]):
    if not instance.pk:
        return None
    return model.objects.filter(pk=instance.pk).values_list(*fields).first()


@receiver(pre_save, sender=Touchpoint)
def _touchpoint_before(sender, instance: Touchpoint, **kwargs) -> None:
    instance._satisfaction_old = _old_groups(
        Touchpoint, instance, ("kind", "team_id", "service_id", "person_id")
    )


@receiver(post_save, sender=Touchpoint)
@receiver(post_delete, sender=Touchpoint)
def _touchpoint_written(sender, instance: Touchpoint, **kwargs) -> None:
    from clientmap.experience import store

    old = getattr(instance, "_satisfaction_old", None)
    if old is not None and old[0] in store.FIGURE_KINDS:
        store.touch(**_groups(*old[1:]))
    if instance.kind in store.FIGURE_KINDS:
        store.touch(**_groups(instance.team_id, instance.service_id, instance.person_id))


@receiver(pre_save, sender=Survey)
def _survey_before(sender, instance: Survey, **kwargs) -> None:
    instance._satisfaction_old = _old_groups(
        Survey, instance, ("team_id", "service_id", "person_id")
    )


@receiver(post_save, sender=Survey)
@receiver(post_delete, sender=Survey)
def _survey_written(sender, instance: Survey, **kwargs) -> None:
    from clientmap.experience import store

    old = getattr(instance, "_satisfaction_old", None)
    if old is not None:
        store.touch(**_groups(*old))
    store.touch(**_groups(instance.team_id, instance.service_id, instance.person_id))


@receiver(relations_rebuilt)
def _relations_rebuilt(sender, everyone: bool, person_ids, organization_ids, **kwargs) -> None:
    """The customer kinds come from the relations: the groups of the people rebuilt."""
    from clientmap.experience import store

    if everyone:
        store.mark_stale()
        return
    people = set(person_ids)
    if organization_ids:
        people |= set(
            Person.objects.filter(organization_id__in=list(organization_ids)).values_list(
                "pk", flat=True
            )
        )
    store.touch_people(people)


@receiver(pre_save, sender=Person)
def _person_before(sender, instance: Person, **kwargs) -> None:
    instance._satisfaction_old = _old_groups(Person, instance, ("organization_id",))


@receiver(post_save, sender=Person)
def _person_saved(sender, instance: Person, created: bool = False, **kwargs) -> None:
    from clientmap.experience import store

    old = getattr(instance, "_satisfaction_old", None)
    if old is not None and old[0] != instance.organization_id:
        store.touch(organizations=[old[0]])
        store.touch_people([instance.pk])


@receiver(pre_delete, sender=Person)
def _person_deleting(sender, instance: Person, **kwargs) -> None:
    from clientmap.experience import store

    store.touch_people([instance.pk])


@receiver(post_save, sender=Team)
def _team_saved(sender, instance: Team, created: bool = False, **kwargs) -> None:
    from clientmap.experience import store

    if not created:  # its name or key; its services' rows show its key
        store.touch(
            teams=[instance.pk],
            services=Service.objects.filter(team=instance).values_list("pk", flat=True),
        )


@receiver(post_save, sender=Service)
def _service_saved(sender, instance: Service, created: bool = False, **kwargs) -> None:
    from clientmap.experience import store

    if not created:
        store.touch(services=[instance.pk])


@receiver(pre_save, sender=Organization)
def _organization_before(sender, instance: Organization, **kwargs) -> None:
    instance._satisfaction_old = _old_groups(Organization, instance, ("is_home",))


@receiver(post_save, sender=Organization)
def _organization_saved(sender, instance: Organization, created: bool = False, **kwargs) -> None:
    from clientmap.experience import store

    old = getattr(instance, "_satisfaction_old", None)
    if old is not None and old[0] != instance.is_home:
        store.mark_stale()  # who is internal changed
    elif not created:
        store.touch(organizations=[instance.pk])


def _deleted(sender, **kwargs) -> None:
    """A team, service or organization deleted: its rows move to "(none)" or go."""
    from clientmap.experience import store

    store.mark_stale()


for _model in (Team, Service, Organization):
    post_delete.connect(_deleted, sender=_model, dispatch_uid=f"satisfaction-del-{_model.__name__}")

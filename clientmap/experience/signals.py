"""Keep derived touchpoints current after single saves, and survey a request when it is
fulfilled. Bulk writers (imports, the demo) rebuild once at the end (``derive.derive``) and
never send surveys: mailing every historical request of an import would be wrong; send those
with ``clientmap surveys send``."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from clientmap.customers.models import RecomputeState
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
    transaction.on_commit(lambda: derive.derive(request_ids=[pk]))
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
        pk = instance.pk
        transaction.on_commit(lambda: derive.derive(notice_ids=[pk]))


def _invalidate(sender, **kwargs) -> None:
    from clientmap.experience import selectors, store

    selectors.invalidate()
    if sender is not Request:  # a request's change reaches the figures through derive.derive
        store.mark_stale()


for _model in (Touchpoint, Survey, Request):
    post_save.connect(
        _invalidate, sender=_model, dispatch_uid=f"experience-cache-{_model.__name__}"
    )
    post_delete.connect(
        _invalidate, sender=_model, dispatch_uid=f"experience-cache-del-{_model.__name__}"
    )
post_save.connect(_invalidate, sender=RecomputeState, dispatch_uid="experience-cache-relations")

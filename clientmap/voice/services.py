"""Changes to wishes: votes (exact under concurrency), merges, triage, attestation."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clientmap.core import audit, signing
from clientmap.core.db import retrying
from clientmap.directory import inbox
from clientmap.directory.models import Message, Person
from clientmap.voice import store
from clientmap.voice.demand import demand_expression
from clientmap.voice.models import (
    ATTESTATION_PURPOSE,
    TEXT_MAX,
    TITLE_MAX,
    Attestation,
    Comment,
    Follow,
    Notification,
    StatusChange,
    Vote,
    Wish,
)


def _recount(wish_ids: list[int]) -> None:
    """vote_count and the stored weighted demand from the vote table itself (``store``)."""
    votes = (
        Vote.objects.filter(wish=OuterRef("pk"))
        .order_by()
        .values("wish")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    Wish.objects.filter(pk__in=wish_ids).update(
        vote_count=Coalesce(Subquery(votes), 0), weighted_demand=demand_expression()
    )


def submit_wish(
    author: Person,
    title: str,
    text: str = "",
    *,
    team=None,
    service=None,
    visibility: str = Wish.Visibility.PUBLIC,
    key: str | None = None,
) -> Wish:
    title, text = title.strip(), text.strip()
    if not title or len(title) > TITLE_MAX:
        raise ValueError(_("A title holds 1 to %(n)d characters.") % {"n": TITLE_MAX})
    if len(text) > TEXT_MAX:
        raise ValueError(_("The text holds at most %(n)d characters.") % {"n": TEXT_MAX})

    def do() -> Wish:
        with transaction.atomic():
            wish = Wish.objects.create(
                key=key or f"W-{timezone.now():%Y%m%d%H%M%S%f}",
                author=author,
                title=title.strip(),
                text=text.strip(),
                team=team,
                service=service,
                visibility=visibility,
            )
            Follow.objects.get_or_create(wish=wish, person=author)
            return wish

    return retrying(do)


def vote(wish: Wish, person: Person) -> bool:
    """Vote once. Returns False when the person had already voted (the database says so)."""

    def do() -> bool:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Vote.objects.create(wish_id=wish.pk, person=person)
            except IntegrityError:
                return False
            # An atomic increment: the UPDATE locks the row and adds to the committed value,
            # so concurrent votes are never lost (a recount here could miss a vote another
            # transaction has not committed yet). The voter's weight is added the same way.
            store.add_vote(wish.pk, person.pk, 1)
            return True

    return retrying(do)


def unvote(wish: Wish, person: Person) -> bool:
    def do() -> bool:
        with transaction.atomic():
            deleted, _ = Vote.objects.filter(wish_id=wish.pk, person=person).delete()
            if deleted:
                store.add_vote(wish.pk, person.pk, -1)
            return bool(deleted)

    return retrying(do)


def comment(wish: Wish, person: Person, text: str) -> Comment:
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise ValueError(_("The text holds at most %(n)d characters.") % {"n": TEXT_MAX})
    return retrying(lambda: Comment.objects.create(wish=wish, person=person, text=text))


def follow(wish: Wish, person: Person) -> None:
    retrying(lambda: Follow.objects.get_or_create(wish=wish, person=person))


@transaction.atomic
def merge(duplicate: Wish, survivor: Wish, *, by=None) -> Wish:
    """Fold ``duplicate`` into ``survivor``: votes, comments and followers move; a person who
    voted on both counts once; the duplicate points to the survivor from now on."""
    if duplicate.pk == survivor.pk:
        raise ValueError(_("A wish cannot be merged into itself."))
    if survivor.merged_into_id:
        raise ValueError(_("Merge into the surviving wish, not into a merged one."))
    # Hold both rows while votes move, so a vote cast meanwhile waits and then counts.
    list(Wish.objects.select_for_update().filter(pk__in=[duplicate.pk, survivor.pk]))
    moved_votes = Vote.objects.filter(wish=duplicate).exclude(
        person__in=Vote.objects.filter(wish=survivor).values("person")
    )
    moved_votes.update(wish=survivor)
    Vote.objects.filter(wish=duplicate).delete()  # those who voted on both
    Comment.objects.filter(wish=duplicate).update(wish=survivor)
    Follow.objects.filter(wish=duplicate).exclude(
        person__in=Follow.objects.filter(wish=survivor).values("person")
    ).update(wish=survivor)
    Follow.objects.filter(wish=duplicate).delete()
    old = duplicate.status
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into"])
    StatusChange.objects.create(
        wish=duplicate,
        old=old,
        new=old,
        reason=_("Merged into %(key)s") % {"key": survivor.key},
        by=by,
    )
    _recount([duplicate.pk, survivor.pk])
    survivor.refresh_from_db()
    audit.record(
        by,
        "wish.merge",
        duplicate,
        before={"merged_into": None},
        after={"merged_into": survivor.key, "survivor_votes": survivor.vote_count},
    )
    # Tell the duplicate's author and those who now follow the survivor because of it.
    told = set(Follow.objects.filter(wish=survivor).values_list("person_id", flat=True))
    told.add(duplicate.author_id)
    for person in Person.objects.filter(pk__in=told):
        with override(person.language or None):
            text = _("“%(duplicate)s” was merged into “%(survivor)s”: its votes count there.") % {
                "duplicate": duplicate.title,
                "survivor": survivor.title,
            }
        inbox.tell(
            person, text, kind=Message.Kind.WISH, url=reverse("voice:wish", args=[survivor.key])
        )
    return survivor


@transaction.atomic
def cover(wish: Wish, service, *, by=None) -> None:
    """Link the service that already covers what the wish asks for."""
    before = sorted(wish.covered_by.values_list("key", flat=True))
    wish.covered_by.add(service)
    audit.record(
        by,
        "wish.cover",
        wish,
        before={"covered_by": before},
        after={"covered_by": sorted({*before, service.key})},
    )


@transaction.atomic
def change_status(wish: Wish, status: str, *, by=None, reason: str = "") -> Wish:
    """Record who changed what and when, tell the followers (in the app and by e-mail), and
    ask the author and voters of a delivered wish whether it helped."""
    if status not in Wish.Status.values:
        raise ValueError(status)
    old = wish.status
    if old == status and not reason:
        return wish
    wish.status = status
    if status == Wish.Status.DECLINED:
        wish.public_reason = reason
    wish.save(update_fields=["status", "public_reason"])
    StatusChange.objects.create(wish=wish, old=old, new=status, reason=reason, by=by)
    audit.record(
        by, "wish.status", wish, before={"status": old}, after={"status": status, "reason": reason}
    )
    followers = Person.objects.filter(follows__wish=wish).distinct()
    for person in followers:
        with override(person.language or None):
            text = _("“%(title)s” is now %(status)s.") % {
                "title": wish.title,
                "status": wish.get_status_display(),
            }
            if reason:
                text += " " + reason
        Notification.objects.create(person=person, wish=wish, text=text)
        # The inbox and/or e-mail, as the person chose.
        inbox.tell(person, text, kind=Message.Kind.WISH, url=f"/voice/wishes/{wish.key}/")
    if status == Wish.Status.DELIVERED:
        ask_for_attestation(wish)
    return wish


def ask_for_attestation(wish: Wish) -> list[Attestation]:
    """One link per author and voter; sending is idempotent (one attestation per person).
    Set-based: one read of who was asked already, one insert of the rest."""
    people = set(Vote.objects.filter(wish=wish).values_list("person_id", flat=True))
    people.add(wish.author_id)
    asked = set(
        Attestation.objects.filter(wish=wish, person_id__in=people).values_list(
            "person_id", flat=True
        )
    )
    new = list(Person.objects.filter(pk__in=people - asked).order_by("pk"))
    made = Attestation.objects.bulk_create(Attestation(wish=wish, person=p) for p in new)
    for person, att in zip(new, made, strict=True):
        if person.email:
            with override(person.language or None):
                body = _(
                    "“%(title)s” has been delivered. Did it help you do something better? "
                    "Answer once, here: /voice/attest/%(token)s/"
                ) % {"title": wish.title, "token": att.link_token()}
            transaction.on_commit(
                lambda p=person, b=body: send_mail(b[:120], b, None, [p.email], fail_silently=True)
            )
    return made


def attestation_for_link(link: str) -> Attestation:
    """The attestation a signed link names; raises :class:`~clientmap.core.signing.TokenError`
    (expired, changed, already used) otherwise."""
    secret = signing.read_token(ATTESTATION_PURPOSE, link)
    att = Attestation.objects.select_related("wish", "person").filter(token=secret).first()
    if att is None:
        raise signing.TokenInvalid
    return att


# Sent inside the answering transaction (``attestation=``): the answer is written by a
# compare-and-set ``update``, which Django's model signals do not see; upper layers that read
# answers (fit's placements) mark their derived tables stale from it.
attested = Signal()


def attest(link: str, helped: bool, comment_text: str = "") -> Attestation | None:
    """Answer once, by the signed link. Returns None when the link was already used; raises
    :class:`~clientmap.core.signing.TokenError` when it is expired or not valid."""
    try:
        att = attestation_for_link(link)
    except signing.TokenUsed:
        return None
    with transaction.atomic():
        updated = Attestation.objects.filter(pk=att.pk, answered_at__isnull=True).update(
            helped=helped, comment=comment_text.strip(), answered_at=timezone.now()
        )
        if not updated:
            return None
        attested.send(sender=Attestation, attestation=att)
        try:
            signing.use_token(ATTESTATION_PURPOSE, link)
        except signing.TokenUsed:
            transaction.set_rollback(True)
            return None
    att.refresh_from_db()
    return att

"""The inbox: notifications for a person, shown under the bell, by e-mail, or both.

Every area tells people things through :func:`tell` (the directory is below them all, so any
layer may call it). ``Person.delivery`` decides where it goes: ``app`` keeps it in the inbox
only, ``mail`` sends it by e-mail only, ``both`` does both. A person without a login always gets
the e-mail (they have no inbox to look at), and nothing is mailed to a person without an address.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clientmap.directory.models import Message, Person

log = logging.getLogger(__name__)


def wants_app(person: Person) -> bool:
    return bool(person.user_id) and person.delivery in ("app", "both")


def wants_mail(person: Person) -> bool:
    return bool(person.email) and (not person.user_id or person.delivery in ("mail", "both"))


def tell(
    person: Person,
    subject: str,
    body: str = "",
    *,
    kind: str = Message.Kind.OTHER,
    url: str = "",
    mail: bool = True,
) -> Message | None:
    """Tell ``person``: a message in their inbox and/or an e-mail, as they chose.

    ``mail=False`` when the caller already sent the e-mail itself (an impact notice). Returns the
    inbox message, or None when the person reads no inbox."""
    message = None
    if wants_app(person):
        message = Message.objects.create(
            person=person, kind=kind, subject=subject[:300], body=body, url=url
        )
    if mail and wants_mail(person):
        transaction.on_commit(
            lambda: send_mail(
                subject[:120], body or subject, None, [person.email], fail_silently=True
            )
        )
    return message


def unread(person: Person | None) -> int:
    if person is None:
        return 0
    return Message.objects.filter(person=person, read_at__isnull=True).count()


def messages(person: Person) -> QuerySet[Message]:
    return Message.objects.filter(person=person)


def mark_read(person: Person, ids: list[int] | None = None) -> int:
    """Mark these messages (or all) of ``person`` as read; returns how many changed."""
    qs = Message.objects.filter(person=person, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())

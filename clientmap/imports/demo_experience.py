"""The surveys behind the demo's answers (X1).

The demo's touchpoints.csv (written by scripts/make_demo_touchpoints.py) holds its answered
surveys; a survey answer that came from our own survey also has the survey that was sent, so
the response rate is real. After the demo is imported this writes, set-based and idempotently
(one survey per request and person, a database constraint): an answered survey for every demo
answer, sent the day before it; and an unanswered one for every other request of the last 60
days whose id is even (so about half of them), sent the day after it closed — never to a member
of the serving team, nor to the demo's never-asked customer.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

NEVER_ASKED = "nsa-appdir"


def load_surveys() -> int:
    from clientmap.directory.models import TeamMembership
    from clientmap.engagements.models import Request
    from clientmap.experience import rules
    from clientmap.experience.models import Survey, Touchpoint

    expiry = timedelta(days=rules.expiry_days())
    made = []
    for tp in Touchpoint.objects.filter(
        key__startswith="demo-a-", kind=Touchpoint.Kind.SURVEY, request__isnull=False
    ).select_related("request"):
        sent = (tp.at or timezone.make_aware(datetime.combine(tp.day, time(9)))) - timedelta(days=1)
        made.append(
            Survey(
                request_id=tp.request_id,
                person_id=tp.person_id,
                team_id=tp.team_id,
                service_id=tp.service_id,
                reason=Survey.Reason.FULFILLED,
                sent_at=sent,
                expires_at=sent + expiry,
                answered_at=tp.at,
                answer=tp,
            )
        )
    answered = {s.request_id for s in made}
    since = timezone.localdate() - timedelta(days=60)
    members = set(TeamMembership.objects.values_list("team_id", "person_id"))
    for r in Request.objects.filter(status=Request.Status.FULFILLED, closed__gte=since).exclude(
        requester__key=NEVER_ASKED
    ):
        if r.pk in answered or r.pk % 2 or (r.team_id, r.requester_id) in members:
            continue
        sent = timezone.make_aware(datetime.combine(r.closed + timedelta(days=1), time(9)))
        made.append(
            Survey(
                request_id=r.pk,
                person_id=r.requester_id,
                team_id=r.team_id,
                service_id=r.service_id,
                reason=Survey.Reason.FULFILLED,
                sent_at=sent,
                expires_at=sent + expiry,
            )
        )
    before = Survey.objects.count()
    Survey.objects.bulk_create(made, batch_size=2000, ignore_conflicts=True)
    return Survey.objects.count() - before

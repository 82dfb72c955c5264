"""Changes with side effects: sending surveys and reminders, answering, recording touchpoints.

Who is asked (set-based selection, then one mail each):

* after a request is fulfilled: its requester (reason ``fulfilled``); on demand also its
  deciders and specifiers — people with a *decides* or *specifies* involvement in the request's
  team (for the request's service, or for no service in particular) dated inside the C1 window
  before the request closed;
* in bulk, a segment: a team's active C1 customers, an organization's people, the C1 customers
  of one kind (optionally of one team).

Nobody is asked when they have no e-mail address, are a member of the serving team (they cannot
answer for their own work), were already asked about that request, or were surveyed — asked,
or answered a survey from any source — inside the quiet period (default 30 days).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization, Person, Team, TeamMembership
from clientmap.engagements.models import Involvement, Request
from clientmap.experience import rules, tokens
from clientmap.experience.models import Survey, Touchpoint

log = logging.getLogger(__name__)

# Sent after an answer is recorded (in-process listeners; the API lists answers for others).
survey_answered = Signal()

SKIP_REASONS = ("no_email", "serving_team", "already_asked", "quiet_period")


@dataclass
class SendResult:
    sent: int = 0
    skipped: Counter = field(default_factory=Counter)
    surveys: list[Survey] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "skipped": {k: self.skipped.get(k, 0) for k in SKIP_REASONS}}


def _language(person: Person) -> str:
    codes = [c for c, _ in settings.LANGUAGES]
    return person.language if person.language in codes else settings.LANGUAGE_CODE


def link(survey: Survey) -> str:
    """The absolute link of a survey, in the recipient's language."""
    base = str(settings.CLIENTMAP.get("BASE_URL", "")).rstrip("/")
    with override(survey.language or settings.LANGUAGE_CODE):
        path = reverse("experience:survey", args=[tokens.make(survey.pk, survey.expires_at)])
    return base + path


def _subject_of(survey: Survey) -> str:
    if survey.team_id:
        return survey.team.name
    return Organization.objects.filter(is_home=True).values_list("name", flat=True).first() or ""


def _mail(survey: Survey, *, reminder: bool) -> EmailMessage:
    with override(survey.language or settings.LANGUAGE_CODE):
        who = _subject_of(survey)
        if reminder:
            subject = _("Reminder: how did %(who)s do?") % {"who": who}
        else:
            subject = _("How did %(who)s do?") % {"who": who}
        about = ""
        if survey.request_id:
            about = _("About your request %(key)s “%(title)s”.") % {
                "key": survey.request.key,
                "title": survey.request.title,
            }
        body = "\n\n".join(
            part
            for part in (
                _("Hello %(name)s,") % {"name": survey.person.name},
                about,
                _("How satisfied are you with %(who)s? One question, 1 to 5, no login needed:")
                % {"who": who},
                link(survey),
                _("The link works once and expires on %(day)s.")
                % {"day": timezone.localtime(survey.expires_at).date().isoformat()},
            )
            if part
        )
    return EmailMessage(subject, body, to=[survey.person.email])


SEND_JOB = "experience.send_surveys"
SEND_CHUNK = 500  # surveys per job: a failed job is retried without mailing thousands again


def _queue_mails(survey_ids: list[int], *, reminder: bool = False) -> None:
    """Queue the mails as background jobs (``core.jobs``), in the writer's transaction: the
    surveys and their jobs commit together, and the worker sends them (at once in tests and
    with the immediate backend). Each job's key names its surveys, so it is queued once."""
    import hashlib

    from clientmap.core import jobs

    ids = sorted(int(i) for i in survey_ids)
    for i in range(0, len(ids), SEND_CHUNK):
        chunk = ids[i : i + SEND_CHUNK]
        digest = hashlib.sha1(
            ",".join(map(str, chunk)).encode(), usedforsecurity=False
        ).hexdigest()[:16]
        kind = "remind" if reminder else "send"
        jobs.enqueue(
            SEND_JOB,
            {"surveys": chunk, "reminder": reminder},
            key=f"{SEND_JOB}:{kind}:{chunk[0]}-{chunk[-1]}:{digest}",
        )


def send_job(job, progress) -> dict:
    """The job behind ``_queue_mails``: mail its surveys."""
    ids = [int(i) for i in job.params.get("surveys", [])]
    progress(step="mail", total=len(ids))
    return {"mailed": _send_mails(ids, reminder=bool(job.params.get("reminder")))}


def _send_mails(survey_ids: list[int], *, reminder: bool = False) -> int:
    """Mail each survey (run by the ``experience.send_surveys`` job)."""
    sent = 0
    surveys = Survey.objects.select_related("person", "team", "request").filter(pk__in=survey_ids)
    with get_connection() as connection:
        for survey in surveys:
            message = _mail(survey, reminder=reminder)
            message.connection = connection
            try:
                sent += message.send()
            except OSError:  # smtplib errors included
                log.exception("Could not send the survey %s to %s", survey.pk, survey.person.email)
    return sent


def _quiet_since(now: datetime) -> tuple[datetime, date]:
    since = now - timedelta(days=rules.quiet_days())
    return since, timezone.localdate(since)


def surveyed_recently(now: datetime | None = None) -> tuple[Exists, Exists]:
    """(asked inside the quiet period, answered a survey inside it) as EXISTS over a person."""
    since, since_day = _quiet_since(now or timezone.now())
    asked = Exists(Survey.objects.filter(person=OuterRef("pk"), sent_at__gte=since))
    answered = Exists(
        Touchpoint.objects.filter(
            person=OuterRef("pk"), kind=Touchpoint.Kind.SURVEY, day__gte=since_day
        )
    )
    return asked, answered


def _eligible(
    people: QuerySet[Person],
    *,
    team_id: int | None,
    request_id: int | None,
    result: SendResult,
    now: datetime,
) -> list[Person]:
    """Filter ``people`` by the rules above, counting why each one left is skipped.

    Four set-based queries whatever the number of people."""
    asked, answered = surveyed_recently(now)
    member = Exists(TeamMembership.objects.filter(person=OuterRef("pk"), team_id=team_id))
    already = Exists(Survey.objects.filter(person=OuterRef("pk"), request_id=request_id))
    rows = people.annotate(
        is_member=member if team_id else Q(pk__isnull=True),
        is_asked=already if request_id else Q(pk__isnull=True),
        is_quiet=asked,
        has_answered=answered,
    ).only("id", "name", "email", "language")
    keep = []
    for p in rows:
        if not p.email:
            result.skipped["no_email"] += 1
        elif p.is_member:
            result.skipped["serving_team"] += 1
        elif p.is_asked:
            result.skipped["already_asked"] += 1
        elif p.is_quiet or p.has_answered:
            result.skipped["quiet_period"] += 1
        else:
            keep.append(p)
    return keep


def _create(
    people: list[Person],
    *,
    reason: str,
    team_id: int | None,
    service_id: int | None,
    request_id: int | None,
    by,
    now: datetime,
    result: SendResult,
) -> None:
    expires = now + timedelta(days=rules.expiry_days())
    rows = [
        Survey(
            person=p,
            team_id=team_id,
            service_id=service_id,
            request_id=request_id,
            reason=reason,
            language=_language(p),
            sent_at=now,
            expires_at=expires,
            sent_by=by if getattr(by, "pk", None) else None,
        )
        for p in people
    ]
    made = []
    for s in rows:
        try:
            with transaction.atomic():
                s.save()
            made.append(s)
        except IntegrityError:  # asked meanwhile about the same request
            result.skipped["already_asked"] += 1
    result.surveys.extend(made)
    result.sent += len(made)
    ids = [s.pk for s in made]
    if ids:
        _queue_mails(ids)


def _people(ids: Iterable[int]) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=list(ids))


def request_people(request: Request, *, roles: Iterable[str] = ("requester",)) -> dict[str, list]:
    """The people a request's survey goes to, by role: requester, deciders, specifiers."""
    out: dict[str, list[int]] = {}
    roles = set(roles)
    if "requester" in roles:
        out["requester"] = [request.requester_id]
    wanted = {
        "deciders": Involvement.Role.DECIDES,
        "specifiers": Involvement.Role.SPECIFIES,
    }
    end = request.closed or timezone.localdate()
    since = end - timedelta(days=rules.window_days())
    for name, role in wanted.items():
        if name not in roles:
            continue
        qs = Involvement.objects.filter(team_id=request.team_id, role=role, date__gt=since)
        qs = qs.filter(date__lte=end)
        if request.service_id:
            qs = qs.filter(Q(service_id=request.service_id) | Q(service__isnull=True))
        out[name] = sorted(
            set(qs.exclude(person_id=request.requester_id).values_list("person_id", flat=True))
        )
    return out


REASON_OF_ROLE = {
    "requester": Survey.Reason.FULFILLED,
    "deciders": Survey.Reason.DECIDER,
    "specifiers": Survey.Reason.SPECIFIER,
}


@transaction.atomic
def send_for_request(
    request: Request,
    *,
    roles: Iterable[str] = ("requester",),
    by=None,
    now: datetime | None = None,
) -> SendResult:
    """Survey a request's people (one survey per request and person). Mails go on commit."""
    now = now or timezone.now()
    result = SendResult()
    for role, ids in request_people(request, roles=roles).items():
        keep = _eligible(
            _people(ids), team_id=request.team_id, request_id=request.pk, result=result, now=now
        )
        _create(
            keep,
            reason=REASON_OF_ROLE[role],
            team_id=request.team_id,
            service_id=request.service_id,
            request_id=request.pk,
            by=by,
            now=now,
            result=result,
        )
    return result


def segment_people(
    *, team: Team | None = None, organization: Organization | None = None, kind: str | None = None
) -> QuerySet[Person]:
    """A team's active C1 customers, an organization's people, or customers of a kind (these
    combine: e.g. a team's external paying customers of one organization)."""
    qs = Person.objects.all()
    if team is not None or kind:
        rel = CustomerRelation.objects.filter(person=OuterRef("pk"), is_customer=True)
        if team is not None:
            rel = rel.filter(team=team, active=True)
        if kind:
            rel = rel.filter(kind=kind)
        qs = qs.filter(Exists(rel))
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs


@transaction.atomic
def send_segment(
    *,
    team: Team | None = None,
    organization: Organization | None = None,
    kind: str | None = None,
    people: Iterable[int] | None = None,
    by=None,
    now: datetime | None = None,
) -> SendResult:
    """Survey a segment (or the given people), respecting the quiet period."""
    if team is None and organization is None and not kind and people is None:
        raise ValueError(_("Choose a segment: a team, an organization, a kind or people."))
    now = now or timezone.now()
    result = SendResult()
    qs = segment_people(team=team, organization=organization, kind=kind)
    if people is not None:
        qs = qs.filter(pk__in=list(people))
    keep = _eligible(qs, team_id=team.pk if team else None, request_id=None, result=result, now=now)
    _create(
        keep,
        reason=Survey.Reason.SEGMENT,
        team_id=team.pk if team else None,
        service_id=None,
        request_id=None,
        by=by,
        now=now,
        result=result,
    )
    return result


def due_reminders(now: datetime | None = None) -> QuerySet[Survey]:
    now = now or timezone.now()
    return Survey.objects.filter(
        answered_at__isnull=True,
        reminded_at__isnull=True,
        expires_at__gt=now,
        sent_at__lte=now - timedelta(days=rules.remind_after_days()),
    )


@transaction.atomic
def remind(now: datetime | None = None) -> int:
    """One reminder per unanswered, unexpired survey sent at least N days ago."""
    now = now or timezone.now()
    ids = list(due_reminders(now).values_list("pk", flat=True))
    if ids:
        Survey.objects.filter(pk__in=ids, reminded_at__isnull=True).update(reminded_at=now)
        _queue_mails(ids, reminder=True)
    return len(ids)


# --- answering ---------------------------------------------------------------------------------


class Outcome:
    RECORDED = "recorded"
    USED = "used"
    EXPIRED = "expired"
    TAMPERED = "tampered"
    REFUSED = "refused"  # a member of the serving team
    INVALID = "invalid"  # no score, or not 1–5


def open_survey(token: str, now: datetime | None = None) -> tuple[str | None, Survey | None]:
    """Read a link (never writes): (problem or None, survey)."""
    survey_id = tokens.read(token)
    if survey_id is None:
        return Outcome.TAMPERED, None
    survey = (
        Survey.objects.select_related("person", "team", "request", "service")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None:
        return Outcome.TAMPERED, None
    now = now or timezone.now()
    if survey.answered_at is not None:
        return Outcome.USED, survey
    if survey.expires_at <= now:
        return Outcome.EXPIRED, survey
    if (
        survey.team_id
        and TeamMembership.objects.filter(team_id=survey.team_id, person=survey.person_id).exists()
    ):
        return Outcome.REFUSED, survey
    return None, survey


def parse_score(value) -> int | None:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


def answer(
    token: str, score, comment: str = "", now: datetime | None = None
) -> tuple[str, Survey | None]:
    """Record an answer once (a conditional UPDATE: two concurrent answers cannot both win)."""
    now = now or timezone.now()
    problem, survey = open_survey(token, now)
    if problem:
        return problem, survey
    value = parse_score(score)
    if value is None:
        return Outcome.INVALID, survey
    with transaction.atomic():
        won = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(answered_at=now)
        if not won:
            return Outcome.USED, survey
        tp = Touchpoint.objects.create(
            key=f"survey:{survey.pk}",
            person_id=survey.person_id,
            team_id=survey.team_id,
            service_id=survey.service_id,
            request_id=survey.request_id,
            kind=Touchpoint.Kind.SURVEY,
            day=timezone.localdate(now),
            at=now,
            score=value,
            comment=(comment or "").strip()[:5000],
        )
        Survey.objects.filter(pk=survey.pk).update(answer=tp)
        survey.answered_at, survey.answer = now, tp
        transaction.on_commit(lambda: survey_answered.send(sender=Survey, survey=survey))
    return Outcome.RECORDED, survey


# --- recording by hand or by API -------------------------------------------------------------


def record(
    *,
    person: Person,
    kind: str,
    day: date,
    team: Team | None = None,
    service=None,
    request: Request | None = None,
    score: int | None = None,
    comment: str = "",
    key: str | None = None,
    at: datetime | None = None,
    by=None,
) -> Touchpoint:
    """Record one touchpoint (staff form, API). A score needs kind ``survey``."""
    if kind not in Touchpoint.RECORDABLE:
        raise ValueError(_("Unknown touchpoint kind %(kind)s.") % {"kind": kind})
    if score is not None and (kind != Touchpoint.Kind.SURVEY or not 1 <= int(score) <= 5):
        raise ValueError(_("A score 1–5 goes with a survey answer only."))
    if kind == Touchpoint.Kind.SURVEY and score is None:
        raise ValueError(_("A survey answer needs a score 1–5."))
    if key and Touchpoint.objects.filter(key=key).exists():
        raise ValueError(_("A touchpoint with key %(key)s already exists.") % {"key": key})
    return Touchpoint.objects.create(
        key=key or f"tp-{timezone.now():%Y%m%d%H%M%S%f}-{person.pk}",
        person=person,
        team=team,
        service=service,
        request=request,
        kind=kind,
        day=day,
        at=at,
        score=score,
        comment=comment.strip(),
        recorded_by=by if getattr(by, "pk", None) else None,
    )

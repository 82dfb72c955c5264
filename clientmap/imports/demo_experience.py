"""The demo's experience story (X1), added to the demo workbook and loaded with it.

* **Customer support** is liked (answers 5, 5, 4) but keeps missing its promises: three of its
  recent tickets were closed days after their target date — the low number to read beside the
  good score (Rance: "set their expectations correctly and then reliably deliver").
* **Sales and accounts** asked the Harbor Health IT manager, who answered 3, but never asked
  Dana Whitfield, the Flight Centre's applications director who signed the purchase order: a
  paying customer at the top of the never-asked list.
* **ERP applications** delivered on time to Finance, which still scored it 2 and 3.

Dates are relative to the day the demo is loaded, like the rest of the demo. Each answered
survey is also a sent survey (``Survey``), so the response rate is real; one sent survey is
still unanswered.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

# key, requester, team, service, status, payment, opened, accepted, target, closed, title —
# opened/accepted/closed are days ago; target is days ahead (negative: in the past).
REQUESTS = [
    (
        "REQ-3001",
        "nsa-user-2",
        "t-support",
        "svc-helpdesk",
        "fulfilled",
        "cash",
        40,
        40,
        -33,
        26,
        "Approval e-mails arrive twice",
    ),
    (
        "REQ-3002",
        "nsa-user-2",
        "t-support",
        "svc-helpdesk",
        "fulfilled",
        "cash",
        25,
        24,
        -20,
        12,
        "Per-diem rates for Kourou missing",
    ),
    (
        "REQ-3003",
        "hh-clerk",
        "t-support",
        "svc-helpdesk",
        "fulfilled",
        "trade",
        15,
        15,
        -10,
        5,
        "Clinic cost centres not in the drop-down",
    ),
    (
        "REQ-3004",
        "hh-clerk",
        "t-support",
        "svc-helpdesk",
        "in_progress",
        "trade",
        12,
        11,
        -4,
        None,
        "Export of rejected claims",
    ),
    (
        "REQ-3005",
        "aur-fin-1",
        "t-erp",
        "svc-erp",
        "fulfilled",
        "internal",
        60,
        58,
        -40,
        42,
        "Quarter-end close checklist in the ERP",
    ),
    (
        "REQ-3006",
        "aur-cfo",
        "t-erp",
        "svc-erp",
        "fulfilled",
        "internal",
        50,
        48,
        -25,
        27,
        "Payroll variance report",
    ),
    (
        "REQ-3007",
        "hh-itmgr",
        "t-sales",
        "svc-licences",
        "fulfilled",
        "trade",
        70,
        68,
        -50,
        52,
        "Renew the clinic pilot licences",
    ),
]

# key, person, team, service, request, kind, days ago, score, comment
TOUCHPOINTS = [
    (
        "demo-tp-01",
        "nsa-user-2",
        "t-support",
        "svc-helpdesk",
        "REQ-3001",
        "survey",
        25,
        5,
        "Friendly and thorough, even if it took a while.",
    ),
    (
        "demo-tp-02",
        "nsa-user-2",
        "t-support",
        "svc-helpdesk",
        "REQ-3002",
        "survey",
        11,
        5,
        "Great people.",
    ),
    (
        "demo-tp-03",
        "hh-clerk",
        "t-support",
        "svc-helpdesk",
        "REQ-3003",
        "survey",
        4,
        4,
        "Solved, but later than promised.",
    ),
    ("demo-tp-04", "aur-fin-1", "t-erp", "svc-erp", "REQ-3005", "survey", 41, 3, ""),
    (
        "demo-tp-05",
        "aur-cfo",
        "t-erp",
        "svc-erp",
        "REQ-3006",
        "survey",
        26,
        2,
        "On time, but not what Finance needed.",
    ),
    ("demo-tp-06", "hh-itmgr", "t-sales", "svc-licences", "REQ-3007", "survey", 51, 3, ""),
    (
        "demo-tp-07",
        "nsa-appdir",
        "t-impl",
        "svc-onboarding",
        "REQ-1002",
        "meeting",
        60,
        None,
        "Roll-out kick-off at the Flight Centre",
    ),
    (
        "demo-tp-08",
        "nsa-appdir",
        "t-impl",
        "svc-onboarding",
        "REQ-1002",
        "call",
        20,
        None,
        "Weekly roll-out call",
    ),
    (
        "demo-tp-09",
        "hh-itmgr",
        "t-sales",
        "svc-licences",
        "",
        "mail",
        30,
        None,
        "Price list for the clinic network",
    ),
]

# Surveys that were sent and are still unanswered: (request, person, days ago sent)
UNANSWERED = [("REQ-1003", "nsa-user-2", 17)]


def _at(today: date, days: int) -> datetime:
    return timezone.make_aware(datetime.combine(today - timedelta(days=days), time(10)))


def touchpoint_rows(today: date) -> list[tuple]:
    return [
        (k, p, t, s, r, kind, _at(today, d).isoformat(), "" if score is None else score, c)
        for k, p, t, s, r, kind, d, score, c in TOUCHPOINTS
    ]


def load_surveys(today: date) -> int:
    """The sent surveys behind the demo's answers (idempotent: one per request and person)."""
    from clientmap.directory.models import Person
    from clientmap.engagements.models import Request
    from clientmap.experience import rules
    from clientmap.experience.models import Survey, Touchpoint

    made = 0
    expiry = timedelta(days=rules.expiry_days())
    answers = {
        t.request.key: t
        for t in Touchpoint.objects.filter(
            key__in=[r[0] for r in TOUCHPOINTS], kind="survey"
        ).select_related("request")
        if t.request_id
    }
    people = dict(Person.objects.values_list("key", "pk"))
    for request_key, tp in answers.items():
        req = Request.objects.get(key=request_key)
        sent = tp.at - timedelta(days=1)
        _s, created = Survey.objects.get_or_create(
            request=req,
            person_id=tp.person_id,
            defaults={
                "team_id": req.team_id,
                "service_id": req.service_id,
                "reason": Survey.Reason.FULFILLED,
                "sent_at": sent,
                "expires_at": sent + expiry,
                "answered_at": tp.at,
                "answer": tp,
            },
        )
        made += created
    for request_key, person_key, days in UNANSWERED:
        req = Request.objects.get(key=request_key)
        sent = _at(today, days)
        _s, created = Survey.objects.get_or_create(
            request=req,
            person_id=people[person_key],
            defaults={
                "team_id": req.team_id,
                "service_id": req.service_id,
                "reason": Survey.Reason.FULFILLED,
                "sent_at": sent,
                "expires_at": sent + expiry,
            },
        )
        made += created
    return made

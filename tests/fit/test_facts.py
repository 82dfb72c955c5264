"""K1's facts as read from the data (``fit.rules.collect``), each inside the window (as of − N
days … as of): decision makers are people with a *decides* involvement, each counted once;
friendliness the mean staff rating; reputation the weighted referrals; the intent the latest
one; repeat requests the agreed ones; attestations the answered ones and how many "it helped";
approvals the days each important question waited; invoices what was invoiced, paid and is
overdue. And who is an account at all (``account_ids``), and the account's decision makers
(``decision_makers``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clientmap.engagements.models import Involvement
from clientmap.fit import config, rules
from clientmap.fit.models import Approval, Intent, Invoice, Rating, Referral
from clientmap.voice.models import Attestation, Wish
from tests import factories as f
from tests.fit.conftest import AS_OF

pytestmark = pytest.mark.django_db

CFG = {**config.DEFAULTS, "window_days": 100.0}
START = AS_OF - timedelta(days=100)
BEFORE = START - timedelta(days=1)  # just outside the window


def _at(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def acme(home, experience):
    return f.org(key="acme", name="Acme")


def _facts(org) -> rules.Facts:
    return rules.collect([org.pk], AS_OF, CFG)[org.pk]


def test_decision_makers_are_people_who_decide_in_the_window_each_once(acme) -> None:
    team, other_team = f.team(), f.team()
    decides = Involvement.Role.DECIDES
    twice = f.person(acme)
    f.involvement(twice, team, decides, date=AS_OF)
    f.involvement(twice, other_team, decides, date=START)
    f.involvement(f.person(acme), team, decides, date=AS_OF - timedelta(days=50))
    f.involvement(f.person(acme), team, decides, date=BEFORE)  # too old
    f.involvement(f.person(acme), team, decides, date=AS_OF + timedelta(days=1))  # not yet
    f.involvement(f.person(acme), team, Involvement.Role.SPECIFIES, date=AS_OF)
    f.involvement(f.person(f.org()), team, decides, date=AS_OF)  # another organization
    assert _facts(acme).decision_makers == 2
    people = rules.decision_makers(acme.pk, AS_OF, 100)
    assert sorted(p.pk for p in people) == sorted(
        {twice.pk, Involvement.objects.get(date=AS_OF - timedelta(days=50)).person_id}
    )


def test_friendliness_is_the_mean_rating_in_the_window(acme) -> None:
    rater = f.person()
    for score, day in [(3, AS_OF), (4, START), (1, BEFORE), (1, AS_OF + timedelta(days=1))]:
        Rating.objects.create(organization=acme, rater=rater, score=score, date=day)
    facts = _facts(acme)
    assert facts.rating_mean == 3.5 and facts.ratings == 2


def test_reputation_weighs_each_kind_of_referral(acme) -> None:
    K = Referral.Kind
    for kind, day in [
        (K.REFERRAL, AS_OF),
        (K.REFERRAL, START),
        (K.PUBLIC_MENTION, AS_OF),  # half a referral
        (K.AWARD, BEFORE),
        (K.CASE_STUDY, AS_OF + timedelta(days=1)),
    ]:
        Referral.objects.create(organization=acme, kind=kind, date=day)
    facts = _facts(acme)
    assert facts.reputation == 2.5 and facts.referrals == 3


def test_the_latest_intent_in_the_window_counts(acme) -> None:
    W = Intent.Wants
    Intent.objects.create(organization=acme, date=BEFORE, wants=W.LEAVE)
    Intent.objects.create(organization=acme, date=AS_OF - timedelta(days=10), wants=W.EXPAND)
    Intent.objects.create(organization=acme, date=AS_OF - timedelta(days=30), wants=W.REDUCE)
    Intent.objects.create(organization=acme, date=AS_OF - timedelta(days=10), wants=W.RENEW)
    assert _facts(acme).intent == "renew"  # the same day: the one recorded last
    Intent.objects.create(organization=acme, date=AS_OF + timedelta(days=1), wants=W.LEAVE)
    assert _facts(acme).intent == "renew"  # not yet
    Intent.objects.create(organization=acme, date=AS_OF - timedelta(days=60), wants=W.LEAVE)
    assert _facts(acme).intent == "renew"  # recorded last, said earlier: the latest said wins
    old = f.org(key="old")
    Intent.objects.create(organization=old, date=BEFORE, wants=W.LEAVE)
    assert _facts(old).intent is None  # only an intent before the window: no data


def test_repeat_requests_are_the_agreed_ones_of_the_window(acme) -> None:
    team = f.team()
    p, q = f.person(acme), f.person(acme)
    f.request(p, team, status="accepted", opened=AS_OF)
    f.request(q, team, status="fulfilled", opened=START)
    f.request(p, team, status="declined", opened=AS_OF)
    f.request(p, team, status="accepted", opened=BEFORE)
    f.request(p, team, status="accepted", opened=AS_OF + timedelta(days=1))  # not yet asked
    facts = _facts(acme)
    assert facts.agreed_requests == 2
    assert facts.ever_requests == 4  # ever asked, by as of


def test_attestations_answered_in_the_window_and_how_many_helped(acme) -> None:
    author = f.person(acme)
    for i, (answered, helped) in enumerate(
        [
            (AS_OF, True),
            (START, True),
            (AS_OF - timedelta(days=3), False),
            (None, None),  # asked, not answered
            (AS_OF, None),  # answered without saying
            (BEFORE, True),
            (AS_OF + timedelta(days=1), True),
        ]
    ):
        wish = Wish.objects.create(key=f"w{i}", title=f"Wish {i}", author=author)
        Attestation.objects.create(
            wish=wish,
            person=f.person(acme),
            answered_at=None if answered is None else _at(answered),
            helped=helped,
        )
    facts = _facts(acme)
    assert facts.att_answered == 3 and facts.att_helped == 2


def test_approvals_are_the_days_important_questions_waited(acme) -> None:
    def ask(asked, answered=None, important=True):
        Approval.objects.create(
            key=f"ap{Approval.objects.count()}",
            organization=acme,
            important=important,
            asked=asked,
            answered=answered,
        )

    ask(AS_OF - timedelta(days=20), AS_OF - timedelta(days=15))  # 5 days
    ask(AS_OF - timedelta(days=8))  # still waiting: 8 days so far
    ask(AS_OF - timedelta(days=6), AS_OF + timedelta(days=3))  # answered later: 6 so far
    ask(AS_OF - timedelta(days=4), AS_OF - timedelta(days=5))  # answered before asked: 0
    ask(AS_OF - timedelta(days=2), AS_OF, important=False)
    ask(BEFORE, AS_OF)
    assert sorted(_facts(acme).approval_days) == [0.0, 5.0, 6.0, 8.0]


def test_invoices_in_the_window(acme) -> None:
    def invoice(amount, issued, due, paid=None):
        Invoice.objects.create(
            key=f"i{Invoice.objects.count()}",
            organization=acme,
            amount=Decimal(amount),
            issued=issued,
            due=due,
            paid=paid,
        )

    d = lambda n: AS_OF - timedelta(days=n)  # noqa: E731
    invoice(100, d(60), d(30), d(30))  # on time
    invoice(200, d(50), d(20), d(10))  # paid 10 days late
    invoice(400, d(40), d(10))  # unpaid, 10 days overdue
    invoice(800, d(5), d(-25))  # not due yet
    facts = _facts(acme)
    assert facts.has_invoices
    assert facts.revenue == Decimal(300)  # paid in the window
    assert facts.invoiced == Decimal(1500)  # issued in the window
    assert facts.overdue == Decimal(400)
    assert facts.invoices_due == 3 and facts.late_days == 20.0
    assert facts.due_months >= 1 and facts.late_months >= 1


def test_an_account_without_invoices_paid_in_the_window_has_no_revenue(acme) -> None:
    Invoice.objects.create(
        key="i", organization=acme, amount=Decimal(50), issued=AS_OF, due=AS_OF + timedelta(days=30)
    )
    facts = _facts(acme)
    assert facts.revenue == Decimal(0) and facts.overdue == Decimal(0)
    assert facts.invoices_due == 0 and facts.late_days == 0.0 and facts.late_months == 0


def test_accounts_are_customer_organizations_with_data(home, experience) -> None:
    team = f.team()
    with_data = {}
    for name, make in [
        ("invoice", lambda o: Invoice.objects.create(
            key="i", organization=o, amount=1, issued=AS_OF, due=AS_OF)),
        ("approval", lambda o: Approval.objects.create(key="a", organization=o, asked=AS_OF)),
        ("rating", lambda o: Rating.objects.create(
            organization=o, rater=f.person(), score=3, date=AS_OF)),
        ("referral", lambda o: Referral.objects.create(
            organization=o, kind=Referral.Kind.AWARD, date=AS_OF)),
        ("intent", lambda o: Intent.objects.create(organization=o, date=AS_OF, wants="renew")),
    ]:  # fmt: skip
        org = f.org(key=name)
        make(org)
        with_data[name] = org.pk
    customer = f.org(key="customer")
    f.request(f.person(customer), team, opened=AS_OF)
    prospect = f.org(key="prospect")
    f.request(f.person(prospect), team, status="declined", opened=AS_OF)
    f.org(key="nothing")
    Rating.objects.create(organization=home, rater=f.person(), score=3, date=AS_OF)
    from clientmap.customers import rules as customer_rules

    customer_rules.recompute(as_of=AS_OF)
    expected = sorted([*with_data.values(), customer.pk])
    assert rules.account_ids() == expected
    assert rules.account_ids([with_data["rating"], prospect.pk, home.pk]) == [with_data["rating"]]
    assert rules.account_ids([]) == []


def test_collect_for_some_accounts_only_reads_theirs(acme) -> None:
    other = f.org(key="other")
    rater = f.person()
    for org, score in ((acme, 2), (other, 4)):
        Rating.objects.create(organization=org, rater=rater, score=score, date=AS_OF)
    both = rules.collect([acme.pk, other.pk], AS_OF, CFG)
    assert both[acme.pk].rating_mean == 2.0 and both[other.pk].rating_mean == 4.0
    only = rules.collect([acme.pk], AS_OF, CFG, only=True)
    assert list(only) == [acme.pk] and only[acme.pk].rating_mean == 2.0
    assert rules.collect([], AS_OF, CFG, only=True) == {}

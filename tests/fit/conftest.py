"""Five known accounts (issue 13's "done when") and the builders behind them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from clientmap.engagements.models import Involvement
from clientmap.fit import sources
from clientmap.fit.models import Approval, Intent, Invoice, Rating
from tests import factories as f

AS_OF = date.today()  # relative, so overrides made "today" meet recomputes "as of" it
_seq = itertools.count(1)


def months_back(n: int) -> date:
    y, m = AS_OF.year, AS_OF.month - n
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 15)


def invoices(org, *, amount, late_days=0, unpaid_last=0, months=12):
    """One invoice a month for ``months`` months, paid ``late_days`` after due; the last
    ``unpaid_last`` still unpaid."""
    out = []
    for i in range(months, 0, -1):
        issued = months_back(i)
        due = issued + timedelta(days=30)
        paid = None if i <= unpaid_last else due + timedelta(days=late_days)
        if paid and paid > AS_OF:
            paid = None
        out.append(
            Invoice(
                key=f"inv/{org.key}/{next(_seq)}",
                organization=org,
                amount=Decimal(amount),
                currency="EUR",
                issued=issued,
                due=due,
                paid=paid,
            )
        )
    Invoice.objects.bulk_create(out)


def deciders(org, team, n):
    for _ in range(n):
        p = f.person(org)
        f.involvement(p, team, Involvement.Role.DECIDES, date=AS_OF - timedelta(days=40))


def approvals(org, days, n=4, important=True):
    for i in range(n):
        asked = AS_OF - timedelta(days=60 + 20 * i)
        Approval.objects.create(
            key=f"ap/{org.key}/{next(_seq)}",
            organization=org,
            subject="scope change",
            important=important,
            asked=asked,
            answered=asked + timedelta(days=days),
        )


def ratings(org, rater, *scores):
    for i, s in enumerate(scores):
        Rating.objects.create(
            organization=org, rater=rater, score=s, date=AS_OF - timedelta(days=10 + i)
        )


@pytest.fixture
def experience(monkeypatch):
    """The experience area's figures per organization id (its contract, behind the adapter)."""
    data: dict[int, sources.Experience] = {}
    monkeypatch.setattr(sources, "experience", lambda org_ids, *, as_of, window_days: dict(data))
    return data


@pytest.fixture
def five(db, experience):
    """friendly (1), polite debtor (2), reliable payer with late deliveries (3), unhappy
    debtor (4), and one like the friendly one to be overridden."""
    home = f.home_org()
    staff = f.person(home, key="rater")
    team = f.team(key="delivery")
    friendly = f.org(key="friendly", name="Friendly Ltd")
    polite = f.org(key="polite & co's", name="Polite & Co")
    unhappy_payer = f.org(key="payer", name="Reliable Payer")
    unhappy_debtor = f.org(key="debtor", name="Unhappy Debtor")
    overridden = f.org(key="over ride %20", name="Overridden Inc")

    for org in (friendly, overridden):
        invoices(org, amount=1000)
        deciders(org, team, 1)
        approvals(org, 2)
        ratings(org, staff, 5, 5)
        Intent.objects.create(organization=org, date=AS_OF - timedelta(days=5), wants="renew")
        experience[org.pk] = sources.Experience(
            answers=20, csat=0.9, csat_trend=0.05, promises_due=10, promises_kept=0.95
        )
    invoices(polite, amount=20000, late_days=45, unpaid_last=3)
    deciders(polite, team, 7)
    approvals(polite, 35)
    ratings(polite, staff, 5, 4)
    experience[polite.pk] = sources.Experience(
        answers=40, csat=0.85, csat_trend=0.0, promises_due=30, promises_kept=0.9
    )
    invoices(unhappy_payer, amount=2000)
    deciders(unhappy_payer, team, 2)
    approvals(unhappy_payer, 3)
    ratings(unhappy_payer, staff, 4)
    experience[unhappy_payer.pk] = sources.Experience(
        answers=25, csat=0.45, csat_trend=-0.1, promises_due=20, promises_kept=0.35
    )
    invoices(unhappy_debtor, amount=3000, late_days=50, unpaid_last=4)
    deciders(unhappy_debtor, team, 5)
    approvals(unhappy_debtor, 25)
    ratings(unhappy_debtor, staff, 2, 1)
    Intent.objects.create(
        organization=unhappy_debtor, date=AS_OF - timedelta(days=20), wants="leave"
    )
    experience[unhappy_debtor.pk] = sources.Experience(
        answers=12, csat=0.3, csat_trend=-0.15, promises_due=8, promises_kept=0.5
    )
    return {
        "friendly": friendly,
        "polite": polite,
        "payer": unhappy_payer,
        "debtor": unhappy_debtor,
        "overridden": overridden,
        "team": team,
        "staff": staff,
    }


@pytest.fixture(autouse=True)
def _english_after():
    """A request in another language leaves it active in the thread: reset it."""
    from django.utils import translation

    yield
    translation.activate("en")

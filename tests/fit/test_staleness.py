"""Every input of the fit placements marks them stale in the writing transaction: a single save,
update or delete (admin, API, form, code) is visible on the next read of the API, the account
page and the matrix — no recompute called by hand (``fit/signals.py``, ``core.derived``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from clientmap.customers import rules as customer_rules
from clientmap.directory.models import Organization
from clientmap.engagements.models import Involvement, Request
from clientmap.experience.models import Touchpoint
from clientmap.fit import config, rules, services
from clientmap.fit.models import Approval, Intent, Invoice, Rating, Recompute, Referral
from tests import factories as f
from tests.fit.conftest import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(five):
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)  # a run kept as made (the daily job's): writes follow it
    return five


def account(client, org) -> dict:
    r = client.get("/api/fit/accounts/" + quote(org.key, safe=""))
    assert r.status_code == 200
    return r.json()


def part(client, org, name: str):
    d = account(client, org)
    rows = {p["part"]: p for p in d["wants_us_parts"] + d["we_want_parts"]}
    return rows[name]["value"]


# --- fit's own inputs ---------------------------------------------------------------------


def test_a_saved_invoice_shows_on_the_next_read(placed, staff_client):
    friendly = placed["friendly"]
    assert part(staff_client, friendly, "overdue_amount") == 0
    Invoice.objects.create(
        key="late/1",
        organization=friendly,
        amount=Decimal(12000),
        issued=AS_OF - timedelta(days=60),
        due=AS_OF - timedelta(days=30),
    )
    assert part(staff_client, friendly, "overdue_amount") == 0.5
    # and on the account page and in the matrix's table: its new score
    we_want = f"{account(staff_client, friendly)['we_want']:.2f}"
    assert we_want != "1.00"
    page = staff_client.get(reverse("fit:account", args=[friendly.key])).content.decode()
    assert we_want in page
    table = staff_client.get(reverse("fit:matrix")).content.decode().split('id="accounts"')[1]
    row = table.split("Friendly Ltd")[1].split("</tr>")[0]
    assert we_want in row


def test_an_invoice_paid_or_deleted_shows_on_the_next_read(placed, staff_client):
    debtor = placed["debtor"]
    before = part(staff_client, debtor, "overdue_amount")
    unpaid = list(Invoice.objects.filter(organization=debtor, paid__isnull=True, due__lt=AS_OF))
    assert unpaid and before > 0
    unpaid[0].paid = AS_OF
    unpaid[0].save()  # a single update (admin, API)
    paid_one = part(staff_client, debtor, "overdue_amount")
    assert paid_one < before
    for inv in unpaid[1:]:
        inv.delete()
    assert part(staff_client, debtor, "overdue_amount") == 0


def test_an_invoice_moved_to_another_organization_replaces_both(placed, staff_client):
    debtor, friendly = placed["debtor"], placed["friendly"]
    # a first write makes the live run (every account placed again); the move amends it
    Referral.objects.create(organization=placed["payer"], date=AS_OF, kind="award")
    before = part(staff_client, debtor, "overdue_amount")
    inv = Invoice.objects.filter(organization=debtor, paid__isnull=True, due__lt=AS_OF).first()
    inv.organization = friendly
    inv.save()
    assert part(staff_client, friendly, "overdue_amount") > 0
    assert part(staff_client, debtor, "overdue_amount") < before  # the old one is placed again


def test_an_approval_shows_on_the_next_read(placed, staff_client):
    payer = placed["payer"]
    assert part(staff_client, payer, "approvals") == 3
    for i in range(5):
        Approval.objects.create(
            key=f"slow/{i}",
            organization=payer,
            important=True,
            asked=AS_OF - timedelta(days=100),
            answered=AS_OF - timedelta(days=10),
        )
    assert part(staff_client, payer, "approvals") == 90
    Approval.objects.filter(key__startswith="slow/").first().delete()
    assert part(staff_client, payer, "approvals") == 46.5  # four of 3 days, four of 90
    for a in Approval.objects.filter(key__startswith="slow/"):
        a.delete()
    assert part(staff_client, payer, "approvals") == 3


def test_a_rating_shows_on_the_next_read(placed, staff_client):
    payer = placed["payer"]
    assert part(staff_client, payer, "friendliness") == 4
    Rating.objects.create(
        organization=payer, rater=placed["staff"], score=1, date=AS_OF - timedelta(days=2)
    )
    assert part(staff_client, payer, "friendliness") == 2.5


def test_a_referral_shows_on_the_next_read(placed, staff_client):
    payer = placed["payer"]
    assert part(staff_client, payer, "reputation") is None  # no data
    Referral.objects.create(organization=payer, date=AS_OF - timedelta(days=3), kind="award")
    assert part(staff_client, payer, "reputation") == 1


def test_an_intent_shows_on_the_next_read(placed, staff_client):
    friendly = placed["friendly"]
    assert part(staff_client, friendly, "intent") == "renew"
    Intent.objects.create(organization=friendly, date=AS_OF - timedelta(days=1), wants="leave")
    assert part(staff_client, friendly, "intent") == "leave"


def test_an_override_and_its_clearing_are_in_the_history(placed, staff_client):
    debtor = placed["debtor"]
    services.override(debtor, group=2, reason="new contract", expires=timezone.localdate())
    timeline = account(staff_client, debtor)["timeline"]
    assert [t["group"] for t in timeline] == [4, 2]
    services.clear(debtor)  # a queryset update: marked by the service
    d = account(staff_client, debtor)
    # the live run follows the writes: the override came and went within it
    assert d["group"] == 4 and [t["group"] for t in d["timeline"]] == [4]


def test_the_settings_place_everyone_again(placed, staff_client):
    friendly = placed["friendly"]
    assert account(staff_client, friendly)["group"] == 1
    config.save({"wants_us_threshold": 1.0})
    assert account(staff_client, friendly)["group"] == 3


# --- what fit reads from the areas below --------------------------------------------------


def test_a_decides_involvement_shows_on_the_next_read(placed, staff_client):
    friendly, team = placed["friendly"], placed["team"]
    assert part(staff_client, friendly, "decision_makers") == 1
    boss = f.person(friendly)
    inv = f.involvement(boss, team, Involvement.Role.DECIDES, date=AS_OF - timedelta(days=5))
    assert part(staff_client, friendly, "decision_makers") == 2
    inv.role = Involvement.Role.SPECIFIES
    inv.save()
    assert part(staff_client, friendly, "decision_makers") == 1


def test_a_decision_maker_who_moves_or_goes_leaves_the_count(placed, staff_client):
    friendly, payer = placed["friendly"], placed["payer"]
    assert part(staff_client, payer, "decision_makers") == 2
    mover = Involvement.objects.filter(person__organization=payer).first().person
    mover.organization = friendly
    mover.save()
    assert part(staff_client, payer, "decision_makers") == 1
    assert part(staff_client, friendly, "decision_makers") == 2
    mover.involvements.all().delete()
    mover.delete()
    assert part(staff_client, friendly, "decision_makers") == 1


def test_a_request_shows_as_a_repeat_request(placed, staff_client):
    payer, team = placed["payer"], placed["team"]
    assert part(staff_client, payer, "repeat") is None
    buyer = f.person(payer)
    req = f.request(buyer, team, opened=AS_OF - timedelta(days=3))
    assert part(staff_client, payer, "repeat") == 1
    f.request(buyer, team, opened=AS_OF - timedelta(days=2))
    assert part(staff_client, payer, "repeat") == 2
    req.status = Request.Status.DECLINED
    req.save()
    assert part(staff_client, payer, "repeat") == 1


def test_an_answered_attestation_shows_on_the_next_read(placed, staff_client):
    from clientmap.voice import services as voice
    from clientmap.voice.models import Attestation, Wish

    payer = placed["payer"]
    author = f.person(payer)
    wish = Wish.objects.create(key="faster", author=author, title="Faster exports")
    assert part(staff_client, payer, "attestations") is None
    (asked,) = voice.ask_for_attestation(wish)
    assert part(staff_client, payer, "attestations") is None  # asked, not answered
    voice.attest(asked.link_token(), helped=False)  # an update: the attested signal marks
    assert part(staff_client, payer, "attestations") == 0
    Attestation.objects.create(
        wish=wish, person=f.person(payer), helped=True, answered_at=timezone.now()
    )
    assert part(staff_client, payer, "attestations") == 0.5


def test_an_organization_that_becomes_home_is_no_account(placed, staff_client):
    payer = placed["payer"]
    assert account(staff_client, payer)["group"] == 3
    Organization.objects.filter(is_home=True).update(is_home=False)
    payer.is_home = True
    payer.save()
    assert account(staff_client, payer)["group"] is None


@pytest.fixture
def measured():
    """An account whose experience figures come from the experience area itself (not the
    ``experience`` fixture): survey answers and the promises of its requests."""
    f.home_org()
    team = f.team(key="delivery")
    org = f.org(key="measured / 100%", name="Measured")
    person = f.person(org)
    Invoice.objects.create(
        key="m/1",
        organization=org,
        amount=Decimal(500),
        issued=AS_OF - timedelta(days=90),
        due=AS_OF - timedelta(days=60),
        paid=AS_OF - timedelta(days=60),
    )
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)
    return {"org": org, "person": person, "team": team}


def test_a_survey_answer_shows_as_satisfaction(measured, staff_client):
    org, person = measured["org"], measured["person"]
    assert part(staff_client, org, "satisfaction") is None
    tp = Touchpoint.objects.create(
        person=person, kind=Touchpoint.Kind.SURVEY, day=AS_OF - timedelta(days=4), score=5
    )
    assert part(staff_client, org, "satisfaction") == 1
    tp.score = 1
    tp.save()
    assert part(staff_client, org, "satisfaction") == 0
    tp.delete()
    assert part(staff_client, org, "satisfaction") is None


@pytest.mark.django_db(transaction=True)
def test_a_late_delivery_shows_as_a_promise_missed(measured, staff_client):
    """The promise is a touchpoint the experience area derives after the request commits (here
    a real commit, of a transaction as a form's or the API's): the placements follow that
    rebuild too."""
    from django.db import transaction

    org, person, team = measured["org"], measured["person"], measured["team"]
    assert part(staff_client, org, "promises") is None
    with transaction.atomic():
        f.request(
            person,
            team,
            status=Request.Status.FULFILLED,
            opened=AS_OF - timedelta(days=40),
            target=AS_OF - timedelta(days=30),
            closed=AS_OF - timedelta(days=20),
        )
    assert Touchpoint.objects.filter(kind=Touchpoint.Kind.FULFILLED, person=person).exists()
    assert part(staff_client, org, "promises") == 0


@pytest.mark.django_db(transaction=True)
def test_requests_deleted_in_bulk_bring_the_placements_current_once(measured, monkeypatch):
    """Set-based: a transaction that deletes many requests refreshes the placements once after
    its commit (not once per request)."""
    from django.db import transaction

    from clientmap.core import derived

    person, team = measured["person"], measured["team"]
    for i in range(6):
        f.request(person, team, opened=AS_OF - timedelta(days=i + 1))
    entry = derived._registry[rules.TABLE]
    calls = []

    def counting(changes):
        calls.append(changes)
        entry.refresh(changes)

    monkeypatch.setitem(
        derived._registry,
        rules.TABLE,
        derived.Derived(rules.TABLE, refresh=counting, parameters=entry.parameters),
    )
    with transaction.atomic():
        Request.objects.filter(requester=person).delete()
    assert len(calls) == 2  # the commit's refresh, and once more after the promises' rebuild
    assert calls[-1].person_ids == {person.pk}  # refresh maps the people to their organization


# --- the bulk path: the workbook import ---------------------------------------------------


def test_an_import_marks_the_placements_stale(placed, staff_client, tmp_path: Path):
    """Bulk writes send no model signals: an import that changed anything marks everyone, in
    its transaction (here the commit never comes: the next read brings them current)."""
    from clientmap.imports import workbook

    friendly = placed["friendly"]
    assert part(staff_client, friendly, "decision_makers") == 1
    (tmp_path / "people.csv").write_text(
        f"key,name,organization\nnew boss,New Boss,{friendly.key}\n", encoding="utf-8"
    )
    (tmp_path / "involvements.csv").write_text(
        f"person,team,role,date\nnew boss,delivery,decides,{AS_OF - timedelta(days=3)}\n",
        encoding="utf-8",
    )
    report = workbook.import_workbook(tmp_path)
    assert report.changed
    assert part(staff_client, friendly, "decision_makers") == 2


def test_single_writes_amend_one_live_run(placed, staff_client):
    """The first write after a kept run makes one live run; later writes amend it in place."""
    payer = placed["payer"]
    kept = Recompute.objects.get()
    for score in (1, 2, 3):
        Rating.objects.create(
            organization=payer,
            rater=placed["staff"],
            score=score,
            date=AS_OF - timedelta(days=score),
        )
        assert account(staff_client, payer)["group"] is not None
    runs = list(Recompute.objects.order_by("id"))
    assert [r.pk for r in runs][0] == kept.pk and len(runs) == 2
    assert runs[1].live and not runs[0].live and runs[1].accounts == kept.accounts
    assert part(staff_client, payer, "friendliness") == 2.5  # (4 + 1 + 2 + 3) / 4

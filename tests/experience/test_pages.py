"""Pages, never-asked, the value-chain view of satisfaction, touchpoints.csv, derivation."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers import rules as customer_rules
from clientmap.engagements.models import Request
from clientmap.experience import derive, selectors, services, store
from clientmap.experience.models import Survey, Touchpoint
from clientmap.imports import workbook
from clientmap.valuechain.models import ImpactNotice
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def survey_answer(person, team, score, days_ago=1, **kw):
    return Touchpoint.objects.create(
        key=kw.pop("key", None) or f"ans-{Touchpoint.objects.count()}-{person.pk}",
        person=person,
        team=team,
        kind="survey",
        score=score,
        day=TODAY - timedelta(days=days_ago),
        **kw,
    )


@pytest.fixture
def chain(home):
    """storage → database → expense app (team apps) → consumed by the paying account Acme."""
    acme = f.org(key="acme", name="Acme")
    quiet = f.org(key="quiet", name="Quiet Ltd")
    storage = f.team(key="storage", name="Storage")
    apps = f.team(key="apps", name="Apps")
    s_storage = f.service(storage, key="svc-storage")
    s_db = f.service(storage, key="svc-db")
    s_app = f.service(apps, key="svc-app")
    f.consumes(s_db, s_storage)
    f.consumes(s_app, s_db)
    buyer = f.person(acme, key="buyer", name="Buyer", email="buyer@acme.example")
    user = f.person(acme, key="user", name="User", email="user@acme.example")
    inside = f.person(home, key="inside", name="Inside", email="inside@home.example")
    other = f.person(quiet, key="other", name="Other", email="o@quiet.example")
    f.request(buyer, apps, payment=Request.Payment.CASH, service=s_app)
    f.request(user, apps, payment=Request.Payment.FREE)
    f.request(inside, storage, service=s_storage)
    f.request(other, apps, payment=Request.Payment.FREE)
    customer_rules.recompute()
    return locals()


def test_value_chain_satisfaction_of_an_upstream_team(chain) -> None:
    c = chain
    # direct customer of storage: inside (score 2); the paying Acme people answered about apps
    survey_answer(c["inside"], c["storage"], 2)
    survey_answer(c["buyer"], c["apps"], 5)
    survey_answer(c["user"], c["apps"], 4)
    survey_answer(c["user"], c["apps"], 1)
    survey_answer(c["other"], c["apps"], 1)  # Quiet Ltd does not pay: not reached as paying
    v = selectors.value_chain_satisfaction(c["storage"])
    assert v["paying_organizations"] == 1
    assert v["direct_customers"].answers.answers == 1
    assert v["direct_customers"].answers.csat == 0
    assert v["paying_reached"].answers.answers == 3
    assert v["paying_reached"].answers.csat == pytest.approx(2 / 3)
    assert v["paying_reached_directly"].answers.csat == pytest.approx(2 / 3)


def test_never_asked_paying_first_and_quiet_people_left_out(chain) -> None:
    c = chain
    rows = list(selectors.never_asked(team=c["apps"]))
    assert [p.key for p in rows][0] == "buyer"  # paying first
    assert {p.key for p in rows} == {"buyer", "user", "other"}
    now = timezone.now()
    Survey.objects.create(
        person=c["buyer"],
        team=c["apps"],
        reason="segment",
        sent_at=now - timedelta(days=10),
        expires_at=now + timedelta(days=20),
    )
    survey_answer(c["user"], None, 4, days_ago=400)  # answered, but more than 12 months ago
    keys = [p.key for p in selectors.never_asked(team=c["apps"])]
    assert keys == ["user", "other"] or keys == ["other", "user"]
    assert "buyer" not in keys
    assert "user" in [p.key for p in selectors.never_asked(team=c["apps"], months=12)]
    assert "user" not in [p.key for p in selectors.never_asked(team=c["apps"], months=24)]
    everyone = [p.key for p in selectors.never_asked()]
    assert "inside" in everyone and "buyer" not in everyone


def test_never_asked_page_is_the_list_in_order_and_follows_a_survey_at_once(
    chain, staff_client
) -> None:
    """The page pages the cached list (paying first); a survey sent takes the person off on the
    next read, and the count moves with it."""
    c = chain
    rows = staff_client.get("/experience/never-asked/?team=apps").content.decode()
    rows = rows.split("<tbody")[1]
    assert rows.index("Buyer") < rows.index("Other") and "User" in rows
    now = timezone.now()
    Survey.objects.create(
        person=c["buyer"],
        team=c["apps"],
        reason="segment",
        sent_at=now,
        expires_at=now + timedelta(days=20),
    )
    rows = staff_client.get("/experience/never-asked/?team=apps").content.decode()
    assert "Buyer" not in rows.split("<tbody")[1]
    assert selectors.never_asked_count(team=c["apps"]) == 2
    assert len(selectors.NeverAskedPage(team=c["apps"])[0:1]) == 1


def test_never_asked_button_surveys_them(chain, staff_client, mailoutbox) -> None:
    r = staff_client.post(
        "/experience/never-asked/survey/", {"team": "apps", "person": ["buyer", "user"]}
    )
    assert r.status_code == 302
    assert set(Survey.objects.values_list("person__key", flat=True)) == {"buyer", "user"}
    r = staff_client.post("/experience/never-asked/survey/", {"team": "apps", "person": ["buyer"]})
    assert Survey.objects.count() == 2  # the quiet period holds


def test_satisfaction_page_and_query_count(chain, staff_client, django_assert_max_num_queries):
    # 18: 17 + derived.ensure_current (CurrentMiddleware, one query when nothing is stale)
    c = chain
    survey_answer(c["buyer"], c["apps"], 5)
    derived.ensure_current()  # the day's first read places the accounts (fit): not this page's
    store.ensure_current()  # the satisfaction table's rebuild after the answer: not this page's
    with django_assert_max_num_queries(18):
        r = staff_client.get("/experience/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Apps" in html and "<svg" in html
    for by in ("service", "organization", "kind"):
        with django_assert_max_num_queries(18):
            assert staff_client.get(f"/experience/?by={by}").status_code == 200
    # one team's rows, cold: grouped by customer kind too, which needs the home organization
    with django_assert_max_num_queries(19):
        assert staff_client.get("/experience/?team=apps&by=organization").status_code == 200


def test_team_page_journey_and_never_asked_query_counts(
    chain, staff_client, django_assert_max_num_queries
):
    c = chain
    survey_answer(c["buyer"], c["apps"], 5)
    staff_client.get("/experience/teams/storage/")  # loads the value-chain graph once
    with django_assert_max_num_queries(25):
        r = staff_client.get("/experience/teams/storage/")
    assert r.status_code == 200 and "value-chain-satisfaction" in r.content.decode()
    # 13: the request touchpoints read from the requests (count, newest, their requests)
    with django_assert_max_num_queries(13):
        r = staff_client.get("/experience/people/buyer/journey/")
    assert r.status_code == 200
    with django_assert_max_num_queries(10):
        r = staff_client.get("/experience/never-asked/?team=apps")
    assert r.status_code == 200 and "User" in r.content.decode()


def test_journey_marks_promises(chain, staff_client) -> None:
    c = chain
    t = c["apps"]
    f.request(
        c["buyer"],
        t,
        key="LATE/1",
        title="late one",
        status="fulfilled",
        target=TODAY - timedelta(days=10),
        closed=TODAY - timedelta(days=7),
    )
    f.request(
        c["buyer"],
        t,
        key="OK-2",
        title="on time",
        status="fulfilled",
        target=TODAY - timedelta(days=5),
        closed=TODAY - timedelta(days=6),
    )
    f.request(c["buyer"], t, key="OPEN-3", status="in_progress", target=TODAY - timedelta(days=2))
    derive.derive()
    j = selectors.journey(c["buyer"])
    assert (j["kept"], j["missed"]) == (1, 2)
    html = staff_client.get("/experience/people/buyer/journey/").content.decode()
    assert "promise missed by 3 days" in html and "promise kept" in html
    assert "promise missed by 2 days" in html
    # filtered by another team: nothing of apps
    html = staff_client.get("/experience/people/buyer/journey/?team=storage").content.decode()
    assert "LATE/1" not in html


def test_derive_is_set_based_and_idempotent(chain, django_assert_max_num_queries) -> None:
    total = derive.derive()
    kinds = dict(
        Touchpoint.objects.filter(derived=True)
        .values_list("kind")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
    )
    # a request's opened, accepted and declined touchpoints are read from it, not stored
    assert not set(kinds) & {"opened", "accepted", "declined"}
    assert sum(kinds.values()) == total
    again = derive.derive()
    assert again == total
    # a fulfilled request gains its touchpoint; a deleted one loses them
    r = Request.objects.get(requester=chain["user"])
    Request.objects.filter(pk=r.pk).update(status="fulfilled", closed=TODAY, accepted=TODAY)
    with django_assert_max_num_queries(20):
        derive.derive()
    assert set(
        Touchpoint.objects.filter(request=r, derived=True).values_list("kind", flat=True)
    ) == {"fulfilled"}
    assert {t.kind for t in derive.events(r.requester) if t.request == r} == {
        "opened",
        "accepted",
    }
    assert Touchpoint.objects.filter(derived=True).count() == total + 1
    Request.objects.filter(pk=r.pk).delete()
    derive.derive()
    assert Touchpoint.objects.filter(derived=True).count() == total
    # recorded touchpoints are never touched
    survey_answer(chain["buyer"], chain["apps"], 3, key="keep-me")
    derive.derive()
    assert Touchpoint.objects.filter(key="keep-me").exists()


def test_notices_become_touchpoints(chain) -> None:
    ImpactNotice.objects.bulk_create(
        [
            ImpactNotice(
                person=chain["buyer"],
                service=chain["s_db"],
                service_key="svc-db",
                email="buyer@acme.example",
                subject="Database down",
                body="…",
            )
        ]
    )
    items = selectors.journey(chain["buyer"])["items"]
    notice = [i for i in items if i["type"] == "touchpoint" and i["tp"].kind == "notice"]
    assert len(notice) == 1 and notice[0]["tp"].comment == "Database down"
    assert notice[0]["tp"].team == chain["storage"]
    selectors.journey(chain["buyer"])  # caught up once, not twice
    assert Touchpoint.objects.filter(kind="notice").count() == 1


def _write_csv(folder: Path, rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "touchpoints.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["key", "person", "team", "service", "request", "kind", "at", "score", "comment"]
        )
        w.writerows(rows)
    return folder


def test_touchpoints_csv_import_idempotent_and_exported(chain, tmp_path) -> None:
    rows = [
        ['T/1 "q" %', "buyer", "apps", "svc-app", "", "survey", "2026-01-05", "4", "=SUM(A1)"],
        ["T-2", "user", "", "", "", "meeting", "2026-01-06T10:30:00+00:00", "", "Кварталь"],
    ]
    folder = _write_csv(tmp_path / "wb", rows)
    report = workbook.import_workbook(folder)
    assert report.counts["touchpoints"]["created"] == 2
    tp = Touchpoint.objects.get(key='T/1 "q" %')
    assert (tp.score, tp.comment, tp.team.key, tp.day) == (4, "=SUM(A1)", "apps", date(2026, 1, 5))
    report = workbook.import_workbook(folder)
    assert report.counts.get("touchpoints", {}).get("created", 0) == 0
    assert Touchpoint.objects.filter(derived=False).count() == 2
    out = tmp_path / "out"
    written = workbook.export_workbook(out)
    assert written["touchpoints.csv"] == 2
    back = list(csv.DictReader(open(out / "touchpoints.csv", encoding="utf-8")))
    assert {r["key"] for r in back} == {'T/1 "q" %', "T-2"}
    # the export imports back unchanged
    report = workbook.import_workbook(out)
    assert report.counts.get("touchpoints", {}).get("updated", 0) == 0


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["K", "nobody", "", "", "", "call", "2026-01-01", "", ""], "person", "unknown person"),
        (["K", "buyer", "", "", "", "party", "2026-01-01", "", ""], "kind", "must be one of"),
        (["K", "buyer", "", "", "", "survey", "2026-01-01", "6", ""], "score", "1 to 5"),
        (["K", "buyer", "", "", "", "survey", "2026-01-01", "", ""], "score", "needs a score"),
        (["K", "buyer", "", "", "", "call", "2026-01-01", "3", ""], "score", "survey only"),
        (["K", "buyer", "", "", "", "call", "yesterday", "", ""], "at", "ISO 8601"),
        (
            ["K", "buyer", "", "", "NOPE", "call", "2026-01-01", "", ""],
            "request",
            "unknown request",
        ),
    ],
)
def test_touchpoints_csv_errors_name_file_line_column(chain, tmp_path, row, column, message):
    folder = _write_csv(
        tmp_path / "bad", [["OK", "buyer", "", "", "", "call", "2026-01-01", "", ""], row]
    )
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("touchpoints.csv", 3, column)
    assert message in err.message
    assert not Touchpoint.objects.filter(derived=False).exists()  # nothing written


def test_record_by_hand(chain, staff_client) -> None:
    r = staff_client.post(
        "/experience/touchpoints/new/",
        {"person": "buyer", "kind": "call", "day": "2026-02-03", "team": "apps", "comment": "hi"},
    )
    assert r.status_code == 302
    assert Touchpoint.objects.get(kind="call").comment == "hi"
    r = staff_client.post(
        "/experience/touchpoints/new/",
        {"person": "buyer", "kind": "call", "day": "2026-02-03", "score": "3"},
    )
    assert r.status_code == 200 and Touchpoint.objects.filter(kind="call").count() == 1


def test_pages_need_login_and_internal_role(chain, client) -> None:
    assert client.get("/experience/").status_code == 302
    portal = f.user(person=chain["buyer"])
    client.force_login(portal)
    assert client.get("/experience/").status_code == 302  # sent to the portal
    assert client.get("/experience/surveys/").status_code == 403


def test_home_shows_the_satisfaction_block(chain, staff_client) -> None:
    survey_answer(chain["buyer"], chain["apps"], 5)
    html = staff_client.get("/").content.decode()
    assert "home-satisfaction" in html and "/experience/never-asked/" in html


def test_send_segment_by_organization(chain) -> None:
    result = services.send_segment(organization=chain["acme"])
    assert result.sent == 2


def test_a_long_journey_pages_and_its_summary_counts_every_touchpoint(
    chain, staff_client, django_assert_max_num_queries
) -> None:
    """A frequent requester has more touchpoints than a page shows: every one is on exactly one
    page, newest first, and the summary (answers, CSAT, promises) counts them all, not the
    page."""
    c = chain
    derive.derive()
    for n in range(70):  # 70 answers on 70 days: 49 score 5 (n % 10 < 7), 21 score 2
        survey_answer(c["buyer"], c["apps"], 5 if n % 10 < 7 else 2, days_ago=n + 1, key=f"a{n}")
    j = selectors.journey(c["buyer"])
    assert j["answers"] == 70 and j["csat"] == pytest.approx(49 / 70)
    total = (
        Touchpoint.objects.filter(person=c["buyer"]).count()
        + Survey.objects.filter(person=c["buyer"]).count()
        + derive.count_events(c["buyer"].pk)  # opened, accepted, declined: from the requests
    )
    assert j["timeline"].count() == total > selectors.JOURNEY_PAGE
    newest = selectors.journey(c["buyer"], limit=4)["items"]  # the request opened today first
    assert [i["tp"].key for i in newest if i["tp"].kind == "survey"] == ["a0", "a1", "a2"]
    staff_client.get("/experience/people/buyer/journey/")  # brings the derived tables current
    pages = -(-total // selectors.JOURNEY_PAGE)
    days: list[str] = []
    for number in range(1, pages + 1):
        with django_assert_max_num_queries(13):  # the same on every page
            html = staff_client.get(f"/experience/people/buyer/journey/?page={number}")
        html = html.content.decode()
        days += re.findall(r'<li class="tp [^"]*">\s*<time datetime="([^"]+)"', html)
        assert f"{number} / {pages}" in html
        assert '<span class="stat">70</span>' in html  # the summary is of every page
    assert len(days) == total  # each entry on exactly one page
    assert days == sorted(days, reverse=True)  # newest first, across the pages

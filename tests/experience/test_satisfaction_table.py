"""The satisfaction tables: stored (core.derived ``satisfaction``), 50 rows a page, sorted by
every column in SQL (or in memory for one team, the same way), filtered by name/key and
customer kind; equal to the report the CLI and the API give in full."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers import rules as customer_rules
from clientmap.engagements.models import Request
from clientmap.experience import report, store, views
from clientmap.experience.models import SatisfactionRow, Survey, Touchpoint
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def world(n: int, *, seed: int = 7, team=None):
    """``n`` organizations with one person each; their requests (some kept late), answers with
    random scores and surveys sent, to a handful of teams (or all to ``team``)."""
    rnd = random.Random(seed)
    teams = [team] if team else [f.team(key=f"tm-{seed}-{i}", name=f"Team {i}") for i in range(4)]
    services = [f.service(t, key=f"sv-{t.key}") for t in teams]
    for i in range(n):
        org = f.org(key=f"org-{seed}-{i:03d}", name=f"Org {rnd.randrange(1000):03d}")
        p = f.person(org, key=f"p-{seed}-{i}", email=f"p{seed}-{i}@x.example")
        k = rnd.randrange(len(teams))
        t, s = teams[k], services[k]
        closed = TODAY - timedelta(days=rnd.randrange(1, 200))
        f.request(
            p,
            t,
            service=s,
            status=Request.Status.FULFILLED,
            accepted=closed - timedelta(days=20),
            target=closed - timedelta(days=rnd.choice([-3, 0, 2, 9])),
            closed=closed,
            payment=rnd.choice([Request.Payment.CASH, Request.Payment.FREE]),
        )
        for j in range(rnd.randrange(0, 3)):
            Touchpoint.objects.create(
                key=f"a-{seed}-{i}-{j}",
                person=p,
                team=t,
                service=s,
                kind="survey",
                score=rnd.randrange(1, 6),
                day=TODAY - timedelta(days=rnd.randrange(1, 300)),
            )
        if rnd.random() < 0.5:
            at = timezone.now() - timedelta(days=rnd.randrange(1, 100))
            Survey.objects.create(
                person=p,
                team=t,
                reason="segment",
                sent_at=at,
                expires_at=at + timedelta(days=30),
                answered_at=at if rnd.random() < 0.5 else None,
            )
    from clientmap.experience import derive

    derive.derive()
    customer_rules.recompute()
    derived.ensure_current()
    store.ensure_current()
    return teams


def _shown(response) -> list:
    return list(response.context["page"].object_list)


def test_the_stored_rows_are_the_report_exactly(home) -> None:
    world(30)
    for by in store.GROUPINGS:
        expected = {r.key: r.figures for r in report.table(by)}
        got = {
            r.group or None: r.figures
            for r in SatisfactionRow.objects.filter(by=by, customer_kind="")
        }
        assert got == expected, by
        assert len(expected) > 1
        # the kinds partition everyone: every count of a group is the sum of its kinds' rows
        for row in SatisfactionRow.objects.filter(by=by, customer_kind=""):
            parts = SatisfactionRow.objects.filter(
                by=by, group=row.group, group_id=row.group_id
            ).exclude(customer_kind="")
            assert sum(p.answers for p in parts) == row.answers
            assert sum(p.due for p in parts) == row.due
            assert sum(p.sent for p in parts) == row.sent


def test_only_the_satisfaction_pages_rebuild_the_table(home, staff_client) -> None:
    teams = world(5)
    person = f.person(f.org(key="late"), key="late-person")
    Touchpoint.objects.create(person=person, team=teams[0], kind="survey", score=5, day=TODAY)
    derived.ensure_current()  # every other page: the satisfaction table is left stale
    assert store.ensure_current() is True
    assert store.ensure_current() is False  # current now: nothing to do


def test_a_new_answer_shows_on_the_next_read(home, staff_client) -> None:
    teams = world(5)
    before = SatisfactionRow.objects.get(by="team", customer_kind="", group=teams[0].key).answers
    person = f.person(f.org(key="late"), key="late-person")
    Touchpoint.objects.create(person=person, team=teams[0], kind="survey", score=5, day=TODAY)
    r = staff_client.get("/experience/")
    row = next(x for x in _shown(r) if x.group == teams[0].key)
    assert row.answers == before + 1


def test_pages_of_fifty_and_the_pager_keeps_sort_and_filters(home, staff_client) -> None:
    world(70)
    groups = SatisfactionRow.objects.filter(by="organization", customer_kind="").count()
    assert groups == 70
    r = staff_client.get("/experience/?by=organization&sort=name")
    assert len(_shown(r)) == 50
    html = r.content.decode()
    assert "Page 1 of 2" in html and "70 groups" in html
    assert 'href="?by=organization&amp;sort=name&amp;page=2"' in html
    r2 = staff_client.get("/experience/?by=organization&sort=name&page=2")
    assert len(_shown(r2)) == 20
    seen = [x.pk for x in _shown(r)] + [x.pk for x in _shown(r2)]
    assert len(set(seen)) == 70  # every group once, none twice across the pages
    assert staff_client.get("/experience/?by=organization&page=99").status_code == 200
    assert staff_client.get("/experience/?by=organization&page=x").status_code == 200


def _expected(rows, field: str, desc: bool) -> list:
    rows = sorted(rows, key=lambda r: (r.name, r.group, r.group_id or 0))  # the stored order
    present = [r for r in rows if getattr(r, field) is not None]
    present.sort(key=lambda r: getattr(r, field), reverse=desc)
    return [r.pk for r in present + [r for r in rows if getattr(r, field) is None]]


@pytest.mark.parametrize("column", list(views.SATISFACTION_COLUMNS))
def test_every_column_sorts_both_ways_with_its_heading_a_link(home, staff_client, column):
    world(60)
    field = views.SATISFACTION_COLUMNS[column]
    everyone = list(SatisfactionRow.objects.filter(by="organization", customer_kind=""))
    for sort, desc in ((column, False), (f"-{column}", True)):
        shown = []
        for page in (1, 2):
            r = staff_client.get(f"/experience/?by=organization&sort={sort}&page={page}")
            shown += [x.pk for x in _shown(r)]
        assert shown == _expected(everyone, field, desc), sort
        html = r.content.decode()
        flip = column if desc else f"-{column}"
        state = "descending" if desc else "ascending"
        assert re.search(
            rf'aria-sort="{state}"[^>]*><a href="\?by=organization&amp;sort={re.escape(flip)}"',
            html,
        ), sort


def test_one_teams_rows_sort_and_filter_the_same_way(home, staff_client) -> None:
    team = f.team(key="solo", name="Solo")
    world(60, team=team)
    r = staff_client.get("/experience/?team=solo&by=organization&sort=-csat")
    first = _shown(r)
    assert len(first) == 50
    r2 = staff_client.get("/experience/?team=solo&by=organization&sort=-csat&page=2")
    shown = first + _shown(r2)
    csats = [x.csat for x in shown]
    known = [c for c in csats if c is not None]
    assert known == sorted(known, reverse=True)
    assert csats[len(known) :] == [None] * (len(csats) - len(known))  # no data: last
    # the team's rows are the report's rows of that team
    expected = {x.key: x.figures for x in report.table("organization", team=team)}
    assert {x.group: x.figures for x in shown} == expected
    q = shown[0].name
    r3 = staff_client.get(f"/experience/?team=solo&by=organization&q={q}")
    assert r3.status_code == 200 and all(q in x.name for x in _shown(r3))
    for kind in ("external_paying", "external_nonpaying"):
        r4 = staff_client.get(f"/experience/?team=solo&by=organization&kind={kind}")
        rows = _shown(r4)
        assert rows and all(x.customer_kind == kind for x in rows), kind
        assert len({x.group for x in rows}) == len(rows)  # one row per organization


def test_filter_by_name_or_key_and_customer_kind(home, staff_client) -> None:
    world(40)
    r = staff_client.get("/experience/?by=organization&q=org-7-01")
    assert sorted(x.group for x in _shown(r)) == [f"org-7-01{i}" for i in range(10)]
    name = SatisfactionRow.objects.filter(by="organization").first().name
    r = staff_client.get(f"/experience/?by=organization&q={name}")
    assert _shown(r) and all(x.name == name for x in _shown(r))
    r = staff_client.get("/experience/?by=team&kind=external_paying")
    rows = _shown(r)
    assert rows and all(x.customer_kind == "external_paying" for x in rows)
    paying = {
        x.group: x.answers
        for x in SatisfactionRow.objects.filter(by="team", customer_kind="external_paying")
    }
    assert {x.group: x.answers for x in rows} == paying
    everyone = {
        x.group: x.answers for x in SatisfactionRow.objects.filter(by="team", customer_kind="")
    }
    assert any(paying[k] < everyone[k] for k in paying)  # the kind does filter the answers
    r = staff_client.get("/experience/?by=team&kind=martian&q=zzz-nothing")
    assert r.status_code == 200 and "No group matches these filters." in r.content.decode()


def test_a_key_with_a_slash_and_cyrillic_letters(home, staff_client) -> None:
    team = f.team(key="ops/Команда 1", name="Поддержка/ops")
    acme = f.org(key="org/Ωmega", name="Ωmega Ltd")
    p = f.person(acme, key="p/Ж")
    f.request(p, team)
    Touchpoint.objects.create(person=p, team=team, kind="survey", score=5, day=TODAY)
    r = staff_client.get("/experience/")
    html = r.content.decode()
    assert "Поддержка/ops" in html
    link = re.search(r'href="(/experience/teams/[^"]+)"', html).group(1)
    assert staff_client.get(link).status_code == 200
    r = staff_client.get("/experience/", {"q": "Поддержка"})
    assert [x.group for x in _shown(r)] == ["ops/Команда 1"]
    r = staff_client.get("/experience/", {"by": "organization", "q": "org/Ω"})
    assert [x.group for x in _shown(r)] == ["org/Ωmega"]
    r = staff_client.get("/experience/", {"team": "ops/Команда 1", "by": "organization"})
    assert [x.group for x in _shown(r)] == ["org/Ωmega"]


PAGES = [
    "/experience/",
    "/experience/?by=service",
    "/experience/?by=organization&sort=-csat&page=2",
    "/experience/?by=kind",
    "/experience/?by=organization&q=org&kind=external_nonpaying",
]


def _counts(client, team_key: str) -> list[int]:
    out = []
    for url in [*PAGES, f"/experience/?team={team_key}&by=organization"]:
        client.get(url)  # warm: the figures' cache, the derived tables current
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        out.append(len(ctx.captured_queries))
    return out


def test_query_count_of_each_page_is_pinned_and_does_not_grow_with_the_world(
    home, staff_client
) -> None:
    teams = world(55, seed=1)
    small = _counts(staff_client, teams[0].key)
    world(130, seed=2)
    large = _counts(staff_client, teams[0].key)
    assert small == large
    # ensure_current, session, user, the satisfaction table's state (store.ensure_current), the
    # two cached figures' fingerprints (overall, trend), the page's count and rows, the teams'
    # select; one team's page: no table state, count or rows, but the team and its rows from
    # the figures' cache (a third fingerprint) and their names.
    assert small == [9, 9, 9, 9, 9, 9], small


def test_api_pages_with_limit_and_offset_and_the_cli_keeps_everything(home, client) -> None:
    world(12)
    auth = f.bearer(f.user("api-x", staff=True))
    full = client.get("/api/experience/satisfaction?by=organization&limit=500", **auth).json()
    assert full["count"] == 12 and len(full["groups"]) == 12
    part = client.get(
        "/api/experience/satisfaction?by=organization&limit=5&offset=10", **auth
    ).json()
    assert part["count"] == 12 and part["groups"] == full["groups"][10:12]
    bad = client.get("/api/experience/satisfaction?limit=0", **auth)
    assert bad.status_code == 422
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("satisfaction", "--by", "organization", "--json", stdout=out)
    import json

    assert len(json.loads(out.getvalue())["groups"]) == 12


def test_the_api_reads_the_stored_table_and_gives_the_report(home, client, monkeypatch) -> None:
    """``GET satisfaction`` (everyone, default window) pages the stored rows — it computes no
    group — and gives what ``report.table`` computes: every group's figures, everyone's, most
    data first."""
    world(30)
    auth = f.bearer(f.user("api-stored", staff=True))
    expected = {
        by: {r.key: r.as_dict() for r in report.table(by)} for by in (*store.GROUPINGS, "all")
    }

    def computed(*args, **kwargs):
        raise AssertionError("the API computed the groups instead of reading the stored table")

    monkeypatch.setattr(report, "table", computed)
    for by in store.GROUPINGS:
        body = client.get(f"/api/experience/satisfaction?by={by}&limit=500", **auth).json()
        got = {g["key"]: g for g in body["groups"]}
        assert got == expected[by] and body["count"] == len(expected[by]) > 1, by
        assert body["overall"] == expected["all"][None]
        most = [g["answers"] + g["promises_due"] for g in body["groups"]]
        assert most == sorted(most, reverse=True)
        part = client.get(f"/api/experience/satisfaction?by={by}&limit=3&offset=2", **auth)
        assert part.json()["groups"] == body["groups"][2:5]
    monkeypatch.undo()
    # one team's groups are not stored: computed
    team = SatisfactionRow.objects.filter(by="team").exclude(group="").first().group
    body = client.get(f"/api/experience/satisfaction?by=service&team={team}", **auth).json()
    assert body["count"] >= 1

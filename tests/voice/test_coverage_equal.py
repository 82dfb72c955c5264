"""Coverage and attestation (one or two aggregate queries) equal a plain count in Python over
every row, on random small worlds with the tricky cases: merged wishes, wishes without votes,
covered by status and by a live service at once, covered only by a planned or retired service,
no home organization, a team filter."""

from __future__ import annotations

import random

import pytest

from clientmap.catalog.models import Service
from clientmap.directory.models import Organization, Person, Team
from clientmap.voice import selectors, services
from clientmap.voice.models import Attestation, Vote, Wish
from tests import factories as f

ACTED = {Wish.Status.PLANNED, Wish.Status.IN_PROGRESS, Wish.Status.DELIVERED}


def _world(seed: int, *, with_home: bool = True) -> list[Team]:
    rnd = random.Random(seed)
    home = f.home_org() if with_home else None
    others = [f.org() for _ in range(3)]
    people = [
        Person.objects.create(
            key=f"p{seed}-{i}",
            name=f"P {i}",
            organization=rnd.choice([home, *others]) if home else rnd.choice(others),
        )
        for i in range(25)
    ]
    teams = [f.team() for _ in range(3)]
    svcs = [
        f.service(key=f"s{seed}-{i}", status=st)
        for i, st in enumerate(("live", "planned", "retired", "live"))
    ]
    wishes = []
    for i in range(40):
        w = Wish.objects.create(
            key=f"w{seed}-{i}",
            author=rnd.choice(people),
            title=f"wish {i}",
            team=rnd.choice([*teams, None]),
            status=rnd.choice(Wish.Status.values),
        )
        wishes.append(w)
        for s in rnd.sample(svcs, rnd.choice([0, 0, 1, 2])):
            w.covered_by.add(s)
        for p in rnd.sample(people, rnd.choice([0, 1, 3, 8])):
            services.vote(w, p)  # as every vote is cast: the wish's vote count follows
        for p in rnd.sample(people, rnd.choice([0, 0, 2])):
            Attestation.objects.create(
                wish=w,
                person=p,
                answered_at=rnd.choice([None, w.created]),
                helped=rnd.choice([None, True, False]),
            )
    for w in rnd.sample(wishes, 6):
        w.merged_into = rnd.choice([x for x in wishes if x != w])
        w.save()
    return teams


def _plain_coverage(team) -> dict:
    home = Organization.objects.filter(is_home=True).first()
    out = {
        s: {"wishes": 0, "covered_wishes": 0, "votes": 0, "covered_votes": 0}
        for s in ("all", "internal", "external")
    }
    for w in Wish.objects.all():
        if w.merged_into_id is not None or (team is not None and w.team_id != team.pk):
            continue
        internal = w.author.organization_id == (home.pk if home else None)
        covered = w.status == Wish.Status.ALREADY_COVERED or any(
            s.status == Service.Status.LIVE for s in w.covered_by.all()
        )
        votes = Vote.objects.filter(wish=w).count()
        for side in ("all", "internal" if internal else "external"):
            c = out[side]
            c["wishes"] += 1
            c["votes"] += votes
            c["covered_wishes"] += covered
            c["covered_votes"] += votes if covered else 0
    for c in out.values():
        c["wish_share"] = round(c["covered_wishes"] / c["wishes"], 4) if c["wishes"] else None
        c["vote_share"] = round(c["covered_votes"] / c["votes"], 4) if c["votes"] else None
    return out


def _plain_attestation(team) -> dict:
    wishes = [
        w
        for w in Wish.objects.all()
        if w.merged_into_id is None and (team is None or w.team_id == team.pk)
    ]
    atts = [a for a in Attestation.objects.all() if team is None or a.wish.team_id == team.pk]
    asked = len(atts)
    answered = sum(a.answered_at is not None for a in atts)
    helped = sum(a.helped is True for a in atts)
    return {
        "wishes": len(wishes),
        "acted_on": sum(w.status in ACTED for w in wishes),
        "delivered": sum(w.status == Wish.Status.DELIVERED for w in wishes),
        "asked": asked,
        "answered": answered,
        "helped": helped,
        "answer_rate": round(answered / asked, 4) if asked else None,
        "attestation_rate": round(helped / answered, 4) if answered else None,
        "wishes_attested": sum(
            Attestation.objects.filter(wish=w, helped=True).exists() for w in wishes
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed,with_home", [(1, True), (2, True), (3, False)])
def test_coverage_and_attestation_equal_a_plain_count(seed, with_home) -> None:
    teams = _world(seed, with_home=with_home)
    for team in (None, *teams):
        assert selectors.coverage(team) == _plain_coverage(team)
        assert selectors.attestation(team) == _plain_attestation(team)


@pytest.mark.django_db
def test_coverage_is_one_query_and_attestation_two(django_assert_num_queries) -> None:
    _world(4)
    with django_assert_num_queries(1):  # the grouped wishes (the home organization joined)
        selectors.coverage()
    with django_assert_num_queries(2):
        selectors.attestation()
    with django_assert_num_queries(2):  # both: the grouped wishes once, the attestations
        figures = selectors.figures()
    assert figures == {"coverage": selectors.coverage(), "attestation": selectors.attestation()}


@pytest.mark.django_db
def test_coverage_never_joins_the_vote_table() -> None:
    """The votes of a group are the sum of the wishes' exact vote counts (kept by every vote,
    unvote and merge), not a count over the vote table per wish."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _world(5)
    with CaptureQueriesContext(connection) as ctx:
        selectors.figures()
    assert not any("voice_vote" in q["sql"] for q in ctx.captured_queries)


def _figures_equal_a_plain_count(teams) -> None:
    for team in (None, *teams):
        assert selectors.figures(team) == {
            "coverage": _plain_coverage(team),
            "attestation": _plain_attestation(team),
        }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [6, 7])
def test_every_input_change_is_seen_by_the_next_read(seed, client) -> None:
    """Each write the figures depend on — a vote, an unvote, a merge, an unmerge (the admin
    clears the link), a covering service linked, unlinked or retired, the author's side, a
    wish's status, votes added and deleted in the admin, a voter deleted — is in the next
    read, equal to the plain count."""
    rnd = random.Random(seed)
    teams = _world(seed)
    _figures_equal_a_plain_count(teams)
    live = list(Wish.objects.filter(merged_into__isnull=True).order_by("id"))
    people = list(Person.objects.order_by("id"))
    a, b = live[0], live[1]

    voter = next(p for p in people if not Vote.objects.filter(wish=a, person=p).exists())
    assert services.vote(a, voter)
    _figures_equal_a_plain_count(teams)
    assert services.unvote(a, voter)
    _figures_equal_a_plain_count(teams)

    services.vote(b, rnd.choice(people))
    services.merge(b, a)  # b's votes move to a (counted once)
    _figures_equal_a_plain_count(teams)
    b.refresh_from_db()
    b.merged_into = None  # unmerged by hand: back in the figures with what it holds now
    b.save()
    _figures_equal_a_plain_count(teams)

    svc = Service.objects.filter(status=Service.Status.LIVE).first()
    services.cover(b, svc)  # a live service covers it
    _figures_equal_a_plain_count(teams)
    Service.objects.filter(pk=svc.pk).update(status=Service.Status.RETIRED)
    _figures_equal_a_plain_count(teams)
    b.covered_by.clear()
    _figures_equal_a_plain_count(teams)

    home = Organization.objects.filter(is_home=True).first()
    author = a.author
    outside = Organization.objects.filter(is_home=False).order_by("id").first()
    author.organization = outside if author.organization_id == home.pk else home
    author.save()  # the author changes side
    _figures_equal_a_plain_count(teams)

    for status in (Wish.Status.ALREADY_COVERED, Wish.Status.DELIVERED, Wish.Status.DECLINED):
        services.change_status(a, status)
        _figures_equal_a_plain_count(teams)

    client.force_login(f.user("cov-admin", staff=True, is_superuser=True))
    newcomer = f.person()
    r = client.post(
        "/admin/voice/vote/add/",
        {"wish": a.pk, "person": newcomer.pk, "created_0": "", "created_1": ""},
    )
    assert r.status_code == 302, r.content[:2000]
    _figures_equal_a_plain_count(teams)
    vote = Vote.objects.filter(wish=a).order_by("id").first()
    r = client.post(f"/admin/voice/vote/{vote.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    _figures_equal_a_plain_count(teams)
    crowded = max(live[2:], key=lambda w: (Vote.objects.filter(wish=w).count(), -w.pk))
    ids = list(Vote.objects.filter(wish=crowded).values_list("pk", flat=True))
    assert ids
    r = client.post(
        "/admin/voice/vote/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert r.status_code == 302
    _figures_equal_a_plain_count(teams)

    gone = Vote.objects.filter(wish__merged_into__isnull=True).order_by("id").first().person
    Attestation.objects.filter(person=gone).delete()
    Wish.objects.filter(author=gone).update(author=newcomer)
    gone.delete()  # a voter deleted: their votes go by cascade
    _figures_equal_a_plain_count(teams)

"""Surveys: one per fulfilled request, quiet period, one reminder, no login, GET never records,
used / expired / tampered links, the serving team's members refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clientmap.engagements.models import Involvement, Request
from clientmap.experience import services, tokens
from clientmap.experience.models import Survey, Touchpoint
from clientmap.experience.services import Outcome
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(db):
    home = f.home_org()
    acme = f.org(key="acme", name="Acme")
    dev = f.person(home, key="dev", email="dev@home.example")
    team = f.team([dev], key="apps", name="Apps")
    ann = f.person(acme, key="ann", name="Ann", email="ann@acme.example", language="es")
    return {"home": home, "acme": acme, "dev": dev, "team": team, "ann": ann}


def fulfil(req: Request) -> None:
    req.status = Request.Status.FULFILLED
    req.closed = timezone.localdate()
    req.save()


def test_fulfilling_a_request_sends_one_survey_in_the_recipients_language(world) -> None:
    req = f.request(world["ann"], world["team"], title="New laptop")
    mail.outbox.clear()
    fulfil(req)
    s = Survey.objects.get()
    assert (s.person, s.request, s.team, s.reason) == (
        world["ann"],
        req,
        world["team"],
        Survey.Reason.FULFILLED,
    )
    assert len(mail.outbox) == 1
    m = mail.outbox[0]
    assert m.to == ["ann@acme.example"]
    assert "¿" in m.subject or "Apps" in m.subject
    assert (
        "/experience/s/" in m.body and "/es/" not in m.body
    )  # no prefix: the survey keeps its language
    # saving it again (still fulfilled) sends nothing more; one survey per request
    req.title = "New laptop, 16 GB"
    req.save()
    assert Survey.objects.count() == 1 and len(mail.outbox) == 1
    again = services.send_for_request(req)
    assert again.sent == 0 and again.skipped["already_asked"] == 1


def test_quiet_period(world, settings) -> None:
    settings.CLIENTMAP = {**settings.CLIENTMAP, "SURVEY_QUIET_DAYS": 30}
    r1 = f.request(world["ann"], world["team"])
    r2 = f.request(world["ann"], world["team"])
    now = timezone.now()
    assert services.send_for_request(r1, now=now - timedelta(days=29)).sent == 1
    blocked = services.send_for_request(r2, now=now)
    assert blocked.sent == 0 and blocked.skipped["quiet_period"] == 1
    # 31 days later the quiet period is over
    Survey.objects.update(sent_at=now - timedelta(days=31))
    assert services.send_for_request(r2, now=now).sent == 1
    # an answer imported from another tool inside the period also counts as surveyed
    bob = f.person(world["acme"], email="bob@acme.example")
    Touchpoint.objects.create(
        key="ext-1", person=bob, kind="survey", score=4, day=timezone.localdate()
    )
    seg = services.send_segment(people=[bob.pk], organization=world["acme"])
    assert seg.sent == 0 and seg.skipped["quiet_period"] == 1


def test_one_reminder_after_n_days_unless_answered(world, settings) -> None:
    settings.CLIENTMAP = {**settings.CLIENTMAP, "SURVEY_REMIND_AFTER_DAYS": 7}
    bob = f.person(world["acme"], email="bob@acme.example")
    now = timezone.now()
    a = services.send_for_request(f.request(world["ann"], world["team"]), now=now).surveys[0]
    b = services.send_for_request(f.request(bob, world["team"]), now=now).surveys[0]
    assert services.remind(now + timedelta(days=6)) == 0  # too early
    services.answer(tokens.make(b.pk), 5, now=now + timedelta(days=1))
    mail.outbox.clear()
    assert services.remind(now + timedelta(days=7)) == 1  # only the unanswered one
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@acme.example"]
    link = re.search(r"/experience/s/([^/\s]+)/", mail.outbox[0].body)
    assert link and tokens.read(link.group(1)) == a.pk
    assert services.remind(now + timedelta(days=8)) == 0  # one reminder, never two


def test_get_never_records_post_records_once(world, client: Client) -> None:
    s = services.send_for_request(f.request(world["ann"], world["team"])).surveys[0]
    url = f"/experience/s/{tokens.make(s.pk)}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="score"' in html and "checked" not in html  # no preselected score
    assert "Apps" in html
    client.get(url)
    s.refresh_from_db()
    assert s.answered_at is None and not Touchpoint.objects.filter(kind="survey").exists()
    done = client.post(url, {"score": "4", "comment": "Quick, thanks"})
    assert done.status_code == 200
    tp = Touchpoint.objects.get(kind="survey")
    assert (tp.person, tp.team, tp.score, tp.comment) == (
        world["ann"],
        world["team"],
        4,
        "Quick, thanks",
    )
    again = client.post(url, {"score": "1"})
    assert again.status_code == 410
    assert "ya se respondió" in again.content.decode()  # Ann reads Spanish
    assert Touchpoint.objects.get(kind="survey").score == 4


def test_no_score_or_out_of_range_records_nothing(world, client: Client) -> None:
    s = services.send_for_request(f.request(world["ann"], world["team"])).surveys[0]
    url = f"/experience/s/{tokens.make(s.pk)}/"
    for bad in ({}, {"score": "0"}, {"score": "6"}, {"score": "x"}):
        assert client.post(url, bad).status_code == 400
    assert not Touchpoint.objects.filter(kind="survey").exists()


def test_expired_and_tampered_links_get_their_page_in_the_recipients_language(
    world, client: Client
) -> None:
    s = services.send_for_request(f.request(world["ann"], world["team"])).surveys[0]
    token = tokens.make(s.pk)
    Survey.objects.filter(pk=s.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(f"/experience/s/{token}/")  # no prefix: the survey knows its language
    assert expired.status_code == 410
    assert "caducado" in expired.content.decode()
    assert client.post(f"/experience/s/{token}/", {"score": "5"}).status_code == 410
    assert not Touchpoint.objects.filter(kind="survey").exists()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/experience/s/{forged}/").status_code == 404
    other = tokens.make(s.pk + 1000)
    assert client.get(f"/experience/s/{other}/").status_code == 404  # genuine but unknown
    from django.core import signing

    foreign = signing.TimestampSigner(salt="another.purpose").sign(str(s.pk))
    assert client.get(f"/experience/s/{foreign}/").status_code == 404
    from clientmap.core import signing as shared

    other_purpose = shared.make_token("attestation", {"survey": s.pk})
    assert client.get(f"/experience/s/{other_purpose}/").status_code == 404


def test_survey_links_are_the_shared_signed_tokens(world, client: Client) -> None:
    """Tokens come from ``core.signing`` (purpose ``survey``); links mailed before the switch
    (the old ``TimestampSigner`` tokens) still open their survey."""
    from django.core import signing

    from clientmap.core import signing as shared

    s = services.send_for_request(f.request(world["ann"], world["team"])).surveys[0]
    assert shared.read_token("survey", tokens.make(s.pk)) == {"survey": s.pk}
    legacy = signing.TimestampSigner(salt=tokens.LEGACY_SALT).sign(str(s.pk))
    assert client.get(f"/experience/s/{legacy}/").status_code == 200


def test_members_of_the_serving_team_are_never_asked_and_cannot_answer(world) -> None:
    dev, team = world["dev"], world["team"]
    result = services.send_for_request(f.request(dev, team))
    assert result.sent == 0 and result.skipped["serving_team"] == 1
    # someone who joined the team after being asked cannot answer for it
    s = services.send_for_request(f.request(world["ann"], team)).surveys[0]
    from clientmap.directory.models import TeamMembership

    TeamMembership.objects.create(team=team, person=world["ann"])
    outcome, _ = services.answer(tokens.make(s.pk), 5)
    assert outcome == Outcome.REFUSED
    assert not Touchpoint.objects.filter(kind="survey").exists()


def test_deciders_and_specifiers_of_a_request(world) -> None:
    team = world["team"]
    svc = f.service(team)
    boss = f.person(world["acme"], email="boss@acme.example")
    spec = f.person(world["acme"], email="spec@acme.example")
    other = f.person(world["acme"], email="other@acme.example")
    f.involvement(boss, team, Involvement.Role.DECIDES, service=svc)
    f.involvement(spec, team, Involvement.Role.SPECIFIES)
    f.involvement(other, team, Involvement.Role.IMPLEMENTS, service=svc)
    req = f.request(world["ann"], team, service=svc)
    result = services.send_for_request(req, roles=["requester", "deciders", "specifiers"])
    reasons = dict(Survey.objects.values_list("person__key", "reason"))
    assert result.sent == 3
    assert reasons == {"ann": "fulfilled", boss.key: "decider", spec.key: "specifier"}


def test_segment_of_a_team_and_no_email(world) -> None:
    team = world["team"]
    mute = f.person(world["acme"], email="")
    f.request(world["ann"], team)
    f.request(mute, team)
    from clientmap.customers import rules

    rules.recompute()
    result = services.send_segment(team=team)
    assert result.sent == 1 and result.skipped["no_email"] == 1
    assert Survey.objects.get().reason == Survey.Reason.SEGMENT


def test_staff_export_links_as_csv(world, staff_client) -> None:
    services.send_for_request(f.request(world["ann"], world["team"]))
    response = staff_client.get("/experience/surveys/links.csv")
    assert response.status_code == 200
    text = response.content.decode()
    assert "ann@acme.example" in text and ",es," in text and "/experience/s/" in text


def test_links_csv_is_staff_only(world, client) -> None:
    member = f.user(person=world["dev"])
    client.force_login(member)
    assert client.get("/experience/surveys/links.csv").status_code == 403


def test_survey_mails_are_background_jobs(world, job_queue) -> None:
    """Sending queues a job (``core.jobs``) with the surveys; the worker mails them, once."""
    from clientmap.core import jobs
    from clientmap.core.models import Job

    s = services.send_for_request(f.request(world["ann"], world["team"])).surveys[0]
    job = Job.objects.get(name=services.SEND_JOB)
    assert job.params == {"surveys": [s.pk], "reminder": False} and not mail.outbox
    done = jobs.run(job.pk)
    assert done.status == "done" and done.result == {"mailed": 1}
    assert mail.outbox[0].to == ["ann@acme.example"]
    jobs.run(job.pk)  # delivered twice: still one mail
    assert len(mail.outbox) == 1

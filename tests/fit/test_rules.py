"""K1: the five known accounts land where the seed puts them, with their reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientmap.core import derived
from clientmap.fit import config, rules, selectors, services
from clientmap.fit.models import Snapshot
from tests import factories as f
from tests.fit.conftest import AS_OF


def _snap(run, org):
    return Snapshot.objects.get(recompute=run, organization=org)


@pytest.mark.django_db
def test_five_known_accounts_land_in_the_seeds_groups(five):
    run = rules.recompute(as_of=AS_OF)
    friendly = _snap(run, five["friendly"])
    polite = _snap(run, five["polite"])
    payer = _snap(run, five["payer"])
    debtor = _snap(run, five["debtor"])

    assert friendly.computed_group == 1
    assert polite.computed_group == 2
    assert payer.computed_group == 3
    assert debtor.computed_group == 4
    # group 3 is diagnosed from the indicators: promises missed → what we deliver
    assert payer.diagnosis == rules.DELIVER_PROMISES
    assert "promises missed" in str(selectors.DIAGNOSIS[payer.diagnosis])
    # revenue is beside, never an axis: the largest account is not a key account
    assert polite.revenue > friendly.revenue > 0
    assert polite.revenue == max(s.revenue for s in run.snapshots.all())
    # the reasons name the indicators with values
    assert polite.parts["decision_makers"]["v"] == 7
    assert polite.parts["approvals"]["v"] >= 30
    assert polite.parts["chronic"]["v"] >= 0.5
    assert friendly.parts["decision_makers"]["v"] == 1
    cfg = selectors.run_config(run)
    c = selectors.current([polite.organization_id], run=run)[polite.organization_id]
    words = " | ".join(selectors.reasons(c, cfg))
    assert "we are unsure about the customer" in words
    assert "Decision makers: 7" in words
    assert "the customer wants us" in words


@pytest.mark.django_db
def test_override_is_shown_then_expires_back_to_the_computed_group(five, staff_user, monkeypatch):
    org = five["overridden"]
    rules.recompute(as_of=AS_OF)
    today = timezone.localdate()
    services.override(
        org,
        group=4,
        reason="Owner left; new CIO hostile",
        expires=today + timedelta(days=7),
        user=staff_user,
    )
    badge = selectors.badges([org.pk])[org.pk]
    assert badge["group"] == 4 and badge["override"] is True and badge["computed_group"] == 1
    run = rules.recompute(as_of=AS_OF)
    assert _snap(run, org).group == 4 and _snap(run, org).computed_group == 1
    words = selectors.reasons(selectors.current([org.pk])[org.pk], selectors.run_config(run))
    assert any("Owner left" in w for w in words)
    # a week and a day later the override is over, without anyone touching it
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + timedelta(days=8))
    badge = selectors.badges([org.pk])[org.pk]
    assert badge["group"] == 1 and badge["override"] is False
    run = rules.recompute(as_of=AS_OF + timedelta(days=8))
    assert _snap(run, org).group == 1


@pytest.mark.django_db
def test_override_needs_a_reason_and_a_future_expiry(five):
    from django.core.exceptions import ValidationError

    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.override(five["friendly"], group=2, reason="  ", expires=today)
    with pytest.raises(ValidationError):
        services.override(five["friendly"], group=2, reason="x", expires=today - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.override(five["friendly"], group=7, reason="x", expires=today)


@pytest.mark.django_db
def test_missing_data_is_no_data_never_zero(experience):
    """No invoices and no surveys: placed from what exists, naming the parts without data."""
    home = f.home_org()
    rater = f.person(home)
    team = f.team()
    org = f.org(key="sparse")
    from tests.fit.conftest import approvals, deciders, ratings

    ratings(org, rater, 5)
    approvals(org, 2)
    deciders(org, team, 1)
    run = rules.recompute(as_of=AS_OF)
    s = _snap(run, org)
    assert s.we_want == pytest.approx(1.0)  # the parts present are all good
    assert s.wants_us is None  # no satisfaction, promises, intent, requests
    assert s.computed_group == 3  # we want them; that they want us is not established
    assert s.diagnosis == rules.UNKNOWN
    missing = selectors.no_data_parts(s.parts)
    for part in ("overdue_amount", "overdue_days", "chronic", "satisfaction", "promises"):
        assert part in missing
    ex = selectors.explain(s.parts, selectors.run_config(run))
    row = next(r for r in ex["we_want"] if r["part"] == "overdue_amount")
    assert row["no_data"] and row["shown"] == "no data" and row["share"] == 0
    assert sum(r["share"] for r in ex["we_want"]) == pytest.approx(1.0)


def test_axis_renormalises_over_present_parts():
    cfg = dict(config.DEFAULTS)
    parts = {"friendliness": {"v": 5, "s": 1.0}, "approvals": {"v": 40, "s": 0.0}}
    # weights 2 and 2: (2*1 + 2*0) / 4, not divided by all seven weights
    assert rules.axis(parts, rules.AXIS_B, cfg) == pytest.approx(0.5)
    assert rules.axis({}, rules.AXIS_B, cfg) is None
    cfg["w_approvals"] = 0
    assert rules.axis(parts, rules.AXIS_B, cfg) == pytest.approx(1.0)


def test_place_and_thresholds():
    cfg = dict(config.DEFAULTS)
    assert rules.place(0.6, 0.6, cfg) == 1
    assert rules.place(0.6, 0.59, cfg) == 2
    assert rules.place(0.59, 0.6, cfg) == 3
    assert rules.place(0.1, 0.1, cfg) == 4
    assert rules.place(None, None, cfg) is None
    assert rules.place(0.9, None, cfg) == 2
    cfg["wants_us_threshold"] = 0.95
    assert rules.place(0.9, 0.9, cfg) == 3


def test_decision_makers_one_or_two_ideal_many_bad():
    cfg = dict(config.DEFAULTS)
    score = lambda n: rules.score_parts(rules.Facts(decision_makers=n), cfg)["decision_makers"]["s"]  # noqa: E731
    assert score(1) == score(2) == 1.0
    assert 0 < score(4) < 1
    assert score(7) == 0.0
    assert "decision_makers" not in rules.score_parts(rules.Facts(decision_makers=0), cfg)


def test_diagnosis_sell_vs_deliver():
    cfg = dict(config.DEFAULTS)
    missed = {"promises": {"v": 0.4, "s": 0.4}, "satisfaction": {"v": 0.9, "s": 0.9}}
    unhappy = {"promises": {"v": 0.9, "s": 0.9}, "satisfaction": {"v": 0.3, "s": 0.3}}
    fine = {"promises": {"v": 0.9, "s": 0.9}, "satisfaction": {"v": 0.8, "s": 0.8}}
    assert rules.diagnose(missed, 3, cfg) == rules.DELIVER_PROMISES
    assert rules.diagnose(unhappy, 3, cfg) == rules.DELIVER_SATISFACTION
    assert rules.diagnose(fine, 3, cfg) == rules.HOW_WE_SELL
    assert rules.diagnose({}, 4, cfg) == rules.UNKNOWN
    assert rules.diagnose(missed, 1, cfg) == ""


@pytest.mark.django_db
def test_read_on_a_new_day_recomputes_once(five):
    old = rules.recompute(as_of=AS_OF - timedelta(days=1))
    derived.ensure_current()
    run = selectors.latest()
    assert run.pk != old.pk and run.as_of == timezone.localdate()
    derived.ensure_current()
    assert selectors.latest().pk == run.pk  # once a day


@pytest.mark.django_db
def test_fit_is_one_of_the_derived_tables(five, monkeypatch):
    """Fit registers with ``core.derived``: a recompute for today marks it built (the next read
    runs nothing), and the first read of a new day places every account again."""
    run = rules.recompute()
    derived.ensure_current()
    assert selectors.latest().pk == run.pk
    version, built, built_for = derived.versions()[rules.TABLE]
    assert built == version and built_for == timezone.localdate().isoformat()
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    derived.ensure_current()
    assert selectors.latest().as_of == tomorrow

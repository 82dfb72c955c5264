"""K1's parts, one by one, from known facts: the value shown (rounded as the reasons show it),
the score 0 (bad) … 1 (good) and how many observations it rests on; a part without data is
absent (no data, never zero); the axes are the weighted means of the parts present; the groups
and the diagnosis at their thresholds (``clientmap.fit.rules``, pure functions: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientmap.fit import config, rules, sources

CFG = dict(config.DEFAULTS)


def _facts(**kw) -> rules.Facts:
    return rules.Facts(**kw)


def _part(name: str, **facts) -> dict:
    return rules.score_parts(_facts(**facts), CFG)[name]


def test_every_part_from_known_facts() -> None:
    e = sources.Experience(
        answers=9, csat=2 / 3, csat_trend=1 / 30, promises_due=3, promises_kept=1 / 3
    )
    f = _facts(
        experience=e,
        att_answered=3,
        att_helped=2,
        ever_requests=5,
        agreed_requests=2,
        intent="reduce",
        invoiced=Decimal(300),
        overdue=Decimal(50),
        invoices_due=3,
        late_days=50.0,
        due_months=3,
        late_months=1,
        approval_days=[40.0, 2.0, 9.0],
        decision_makers=4,
        ratings=3,
        rating_mean=10 / 3,
        referrals=3,
        reputation=4 / 3,
    )
    parts = rules.score_parts(f, CFG)
    expected = {
        # the customer wants us
        "satisfaction": (0.6667, 2 / 3, 9),
        "trend": (0.0333, 0.5 + (1 / 30) / (2 * 0.2), 9),  # +0.2 scores 1, -0.2 scores 0
        "promises": (0.3333, 1 / 3, 3),
        "attestations": (0.6667, 2 / 3, 3),  # "it helped" of the answered
        "repeat": (2, (2 - 1) / (3 - 1), 2),  # one agreed request scores 0, three score 1
        "intent": ("reduce", 0.25, 1),
        # we want the customer
        "overdue_amount": (0.1667, 1 - (1 / 6) / 0.3, 50.0),  # 30 % overdue scores 0
        "overdue_days": (16.7, 1 - (50 / 3) / 60, 3),  # 60 days late on average scores 0
        "chronic": (0.3333, 2 / 3, 1),  # one month late of three
        "approvals": (9.0, 1 - (9 - 3) / (30 - 3), 3),  # the median: 3 days scores 1, 30 0
        "decision_makers": (4, 1 - (4 - 2) / (7 - 2), 4),  # two are ideal, seven score 0
        "friendliness": (3.33, (10 / 3 - 1) / 4, 3),  # a mean rating of 1 scores 0, 5 scores 1
        "reputation": (1.33, (4 / 3) / 2, 3),  # two referrals in the window score 1
    }
    assert sorted(parts) == sorted(expected)
    for name, (shown, score, n) in expected.items():
        p = parts[name]
        assert p["v"] == shown, name
        assert p["s"] == pytest.approx(score), name
        assert p["n"] == n, name


def test_nothing_known_is_no_part_at_all() -> None:
    assert rules.score_parts(_facts(), CFG) == {}
    empty = sources.Experience()  # an organization the experience area knows nothing of
    assert rules.score_parts(_facts(experience=empty, invoiced=Decimal(0)), CFG) == {}


def test_no_promise_due_is_no_data_on_promises() -> None:
    e = sources.Experience(answers=2, csat=1.0, promises_due=0, promises_kept=1.0)
    assert "promises" not in rules.score_parts(_facts(experience=e), CFG)


def test_a_satisfaction_without_a_trend_is_only_the_level() -> None:
    e = sources.Experience(answers=2, csat=0.5)
    assert sorted(rules.score_parts(_facts(experience=e), CFG)) == ["satisfaction"]


def test_a_trend_scores_from_falling_to_rising() -> None:
    def trend(t: float) -> float:
        return _part("trend", experience=sources.Experience(answers=4, csat_trend=t))["s"]

    assert trend(0.0) == 0.5  # no change
    assert trend(-0.2) == 0.0 and trend(-0.5) == 0.0
    assert trend(0.2) == 1.0 and trend(0.5) == 1.0


def test_repeat_requests_one_is_zero_and_the_target_is_one() -> None:
    def repeat(agreed: int, ever: int = 9) -> float:
        return _part("repeat", agreed_requests=agreed, ever_requests=ever)["s"]

    assert repeat(0) == 0.0  # asked before the window, nothing agreed in it
    assert repeat(1) == 0.0
    assert repeat(3) == 1.0 and repeat(8) == 1.0
    assert "repeat" not in rules.score_parts(_facts(agreed_requests=0, ever_requests=0), CFG)


def test_every_intent_has_its_score() -> None:
    for wants, score in [("renew", 1.0), ("expand", 1.0), ("reduce", 0.25), ("leave", 0.0)]:
        assert _part("intent", intent=wants) == {"v": wants, "s": score, "n": 1}


def test_overdue_without_any_invoicing_in_the_window_is_all_overdue() -> None:
    p = _part("overdue_amount", invoiced=Decimal(0), overdue=Decimal(80))
    assert p["v"] == 1.0 and p["s"] == 0.0 and p["n"] == 80.0
    p = _part("overdue_amount", invoiced=None, overdue=Decimal(80))
    assert p["v"] == 1.0 and p["s"] == 0.0


def test_overdue_share_is_at_most_everything() -> None:
    p = _part("overdue_amount", invoiced=Decimal(100), overdue=Decimal(250))
    assert p["v"] == 1.0 and p["s"] == 0.0


def test_invoiced_and_nothing_overdue_is_perfect() -> None:
    assert _part("overdue_amount", invoiced=Decimal(100), overdue=Decimal(0)) == {
        "v": 0.0,
        "s": 1.0,
        "n": 0.0,
    }


def test_mean_days_late_and_chronic_months() -> None:
    assert _part("overdue_days", invoices_due=2, late_days=0.0)["s"] == 1.0
    assert _part("overdue_days", invoices_due=2, late_days=240.0)["s"] == 0.0
    assert _part("chronic", due_months=4, late_months=4)["s"] == 0.0
    assert _part("chronic", due_months=4, late_months=0) == {"v": 0.0, "s": 1.0, "n": 0}


def test_approvals_the_median_of_an_even_count() -> None:
    p = _part("approvals", approval_days=[7.25, 4.0])
    assert p["v"] == 5.6 and p["n"] == 2  # (4 + 7.25) / 2 = 5.625
    assert p["s"] == pytest.approx(1 - (5.625 - 3) / 27)
    assert _part("approvals", approval_days=[0.0, 1.0, 3.0])["s"] == 1.0  # quick is perfect
    assert _part("approvals", approval_days=[100.0, 1.0, 20.0, 5.0])["v"] == 12.5
    assert _part("approvals", approval_days=[50.0, 4.0, 1.0, 3.0, 2.0])["v"] == 3.0
    assert _part("approvals", approval_days=[90.0])["s"] == 0.0


def test_approvals_when_ok_and_bad_days_meet() -> None:
    cfg = {**CFG, "approval_ok_days": 10.0, "approval_bad_days": 10.0}
    assert rules.score_parts(_facts(approval_days=[9.0]), cfg)["approvals"]["s"] == 1.0
    assert rules.score_parts(_facts(approval_days=[11.0]), cfg)["approvals"]["s"] == 0.0


def test_decision_makers_when_ideal_and_bad_meet() -> None:
    cfg = {**CFG, "decision_makers_ideal": 3.0, "decision_makers_bad": 3.0}
    assert rules.score_parts(_facts(decision_makers=3), cfg)["decision_makers"]["s"] == 1.0
    assert rules.score_parts(_facts(decision_makers=4), cfg)["decision_makers"]["s"] == 0.0


def test_friendliness_from_the_worst_to_the_best_rating() -> None:
    assert _part("friendliness", ratings=2, rating_mean=1.0)["s"] == 0.0
    assert _part("friendliness", ratings=2, rating_mean=5.0)["s"] == 1.0
    assert _part("friendliness", ratings=2, rating_mean=3.0)["s"] == 0.5


def test_reputation_beyond_the_target_is_still_one() -> None:
    assert _part("reputation", referrals=5, reputation=5.0)["s"] == 1.0


def test_an_axis_is_the_weighted_mean_of_the_parts_present() -> None:
    parts = {
        "satisfaction": {"s": 1.0},  # weight 3
        "intent": {"s": 0.0},  # weight 2
        "trend": {"s": 0.5},  # weight 1
    }
    assert rules.axis(parts, rules.AXIS_A, CFG) == round((3 * 1.0 + 2 * 0 + 1 * 0.5) / 6, 4)
    assert rules.axis(parts, rules.AXIS_A, CFG) == 0.5833  # rounded to four places
    # a part of the other axis does not count
    assert rules.axis({"friendliness": {"s": 1.0}}, rules.AXIS_A, CFG) is None
    # a part whose weight is set to zero is as if absent, whatever its place in the list
    cfg = {**CFG, "w_satisfaction": 0.0}
    assert rules.axis(parts, rules.AXIS_A, cfg) == round((2 * 0 + 1 * 0.5) / 3, 4)
    everything_off = {k: (0.0 if k.startswith("w_") else v) for k, v in CFG.items()}
    assert rules.axis(parts, rules.AXIS_A, everything_off) is None


@pytest.mark.parametrize(
    ("wants_us", "we_want", "group"),
    [
        (0.6, 0.6, 1),  # the thresholds themselves are established
        (0.6, None, 2),
        (None, 0.6, 3),
        (None, 0.59, 4),  # one axis known and low, the other no data
        (0.59, None, 4),
        (0.0, 0.0, 4),
    ],
)
def test_groups_at_the_thresholds(wants_us, we_want, group) -> None:
    assert rules.place(wants_us, we_want, CFG) == group


def test_the_we_want_threshold_is_its_own() -> None:
    cfg = {**CFG, "we_want_threshold": 0.9}
    assert rules.place(0.8, 0.8, cfg) == 2
    assert rules.place(0.8, 0.9, cfg) == 1


def test_diagnosis_at_its_thresholds() -> None:
    def parts(promises=None, satisfaction=None) -> dict:
        out = {}
        if promises is not None:
            out["promises"] = {"v": promises, "s": promises}
        if satisfaction is not None:
            out["satisfaction"] = {"v": satisfaction, "s": satisfaction}
        return out

    # promises kept at the threshold are not missed; satisfaction at its threshold is not low
    assert rules.diagnose(parts(0.7, 0.6), 4, CFG) == rules.HOW_WE_SELL
    assert rules.diagnose(parts(0.69, 0.9), 4, CFG) == rules.DELIVER_PROMISES
    assert rules.diagnose(parts(None, 0.59), 3, CFG) == rules.DELIVER_SATISFACTION
    # one of the two is enough to judge what we deliver
    assert rules.diagnose(parts(0.9, None), 3, CFG) == rules.HOW_WE_SELL
    assert rules.diagnose(parts(None, 0.9), 4, CFG) == rules.HOW_WE_SELL
    assert rules.diagnose(parts(None, None), 3, CFG) == rules.UNKNOWN
    # groups 1 and 2 and no group get no diagnosis
    for group in (1, 2, None):
        assert rules.diagnose(parts(0.1, 0.1), group, CFG) == ""
    cfg = {**CFG, "promises_ok": 0.95, "satisfaction_ok": 0.95}
    assert rules.diagnose(parts(0.9, 0.99), 4, cfg) == rules.DELIVER_PROMISES
    assert rules.diagnose(parts(0.99, 0.9), 4, cfg) == rules.DELIVER_SATISFACTION


def test_clamp_keeps_scores_between_zero_and_one() -> None:
    assert rules.clamp(-0.5) == 0.0 and rules.clamp(1.5) == 1.0
    assert rules.clamp(0.25) == 0.25 and rules.clamp(1) == 1.0 and rules.clamp(0) == 0.0
    assert isinstance(rules.clamp(1), float) and isinstance(rules.clamp(0.5), float)


@pytest.mark.parametrize(
    ("day", "months", "first"),
    [
        ("2026-06-15", 1, "2026-06-01"),  # this month only
        ("2026-06-15", 12, "2025-07-01"),
        ("2026-06-15", 6, "2026-01-01"),
        ("2026-06-15", 7, "2025-12-01"),
        ("2026-01-31", 13, "2025-01-01"),
        ("2026-03-01", 27, "2024-01-01"),
    ],
)
def test_the_chronic_months_start_on_a_first_of_the_month(day, months, first) -> None:
    from datetime import date

    assert rules._months_back(date.fromisoformat(day), months) == date.fromisoformat(first)

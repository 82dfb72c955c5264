"""The value-chain commands: readable tables, --json, clear errors; on the demo's IT department."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from clientmap.valuechain import rules
from tests import story as demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    rules.invalidate()
    demo.load()
    yield
    rules.invalidate()


def run(capsys, *args: str) -> str:
    call_command(*args)
    return capsys.readouterr().out


def test_demo_reach_storage_and_monitoring(loaded, capsys) -> None:
    data = json.loads(run(capsys, "reach", "t-storage", "--json"))
    paying = {i["node"]["key"]: i for i in data["paying_customers"]["items"]}
    assert set(paying) == {"space-agency", "harbor-health"}
    assert all(i["direct"] for i in paying.values())
    assert [n["key"] for n in paying["space-agency"]["path"]] == [
        "svc-storage",
        "svc-expense-app",
        "space-agency",
    ]
    out = run(capsys, "reach", "t-monitoring")
    assert "reaches no paying customer" in out


def test_demo_erp_reaches_paying_customers_through_finance(loaded, capsys) -> None:
    data = json.loads(run(capsys, "reach", "t-erp", "--json"))
    assert data["paying_customers"]["direct"] == 0
    path = [n["key"] for n in data["paying_customers"]["items"][0]["path"]]
    assert path[:3] == ["svc-erp", "aur-finance", "aurora"]
    out = run(capsys, "reach", "t-erp")
    assert "through the home organization" in out


def test_demo_only_monitoring_reaches_no_paying_customer(loaded) -> None:
    from clientmap.valuechain import selectors

    flagged = selectors.teams_reaching_no_paying_customer()
    assert [i["team"]["key"] for i in flagged["items"]] == ["t-monitoring"]
    assert {i["key"] for i in selectors.isolated_services()["items"]} == {
        "svc-monitoring",
        "svc-mobile",
    }
    assert selectors.cycles() == []


def test_demo_impact_of_database_hosting(loaded, capsys) -> None:
    data = json.loads(run(capsys, "impact", "svc-db", "--json"))
    services = {i["node"]["key"] for i in data["services"]["items"]}
    assert services == {
        "svc-db",
        "svc-erp",
        "svc-crm",
        "svc-expense-app",
        "svc-licences",
        "svc-onboarding",
        "svc-helpdesk",
    }
    assert {i["node"]["key"] for i in data["paying_customers"]["items"]} == {
        "space-agency",
        "harbor-health",
    }
    assert {i["node"]["key"] for i in data["units"]["items"]} >= {"aur-finance", "aur-sales"}
    people = {i["person"]["key"] for i in data["direct_customers"]["items"]}
    assert "nsa-appdir" in people and "nsa-fc-cio" not in people
    out = run(capsys, "impact", "svc-db")
    assert "National Space Agency" in out and "Direct customers affected" in out


def test_demo_lens(loaded, capsys) -> None:
    data = json.loads(run(capsys, "lens", "t-sales", "--json"))
    assert data["requests"]["total"] >= 1
    assert 0 <= data["requests"]["share"] <= 1
    out = run(capsys, "lens", "t-sales")
    assert "trace to a paying customer" in out


def test_alerts_rank_command(loaded, capsys, tmp_path) -> None:
    feed = tmp_path / "alerts.csv"
    feed.write_text(
        "key,component,severity,time,text\n"
        "M1,svc-monitoring,critical,2026-01-01 10:00,agent down\n"
        "D1,Database hosting,warning,2026-01-01 10:01,slow queries\n"
        "X1,printer-7,major,2026-01-01 10:02,paper jam\n"
    )
    data = json.loads(run(capsys, "alerts", "rank", str(feed), "--json"))
    assert [r["alert"]["key"] for r in data["ranked"]] == ["D1", "M1"]
    assert [u["key"] for u in data["unknown"]] == ["X1"]
    out = run(capsys, "alerts", "rank", str(feed))
    assert "printer-7" in out and "Unknown components" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("key,text\nA,b\n")
    with pytest.raises(CommandError, match="Line 1"):
        call_command("alerts", "rank", str(bad))
    with pytest.raises(CommandError, match="No such file"):
        call_command("alerts", "rank", str(tmp_path / "missing.csv"))


def test_unknown_keys_are_clear_errors(loaded) -> None:
    with pytest.raises(CommandError, match="No team with key 'nope'"):
        call_command("reach", "nope")
    with pytest.raises(CommandError, match="No service with key 'nope'"):
        call_command("impact", "nope")
    with pytest.raises(CommandError, match="No team with key 'nope'"):
        call_command("lens", "nope")

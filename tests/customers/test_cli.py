"""The two questions from the command line, on the demo's stories."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from clientmap.cli import main
from tests import story as demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    demo.load()


def run(capsys, *args: str) -> str:
    call_command(*args)
    return capsys.readouterr().out


def test_customers_table_lists_people_with_kind_and_basis(loaded, capsys) -> None:
    out = run(capsys, "customers", "t-sales")
    line = next(x for x in out.splitlines() if x.startswith("nsa-appdir"))
    assert "external paying" in line and " RD " in line and "active" in line
    assert "nsa-fc-cio" not in out  # her boss is not involved


def test_customers_json_and_filters(loaded, capsys) -> None:
    data = json.loads(run(capsys, "customers", "t-core", "--json"))
    people = {c["person"]: c for c in data["customers"]}
    assert set(people) == {
        "aur-pm",
        "aur-techlead",
        "aur-architect",
        "aur-vp-product",
        "aur-impl-1",
    }
    assert people["aur-pm"]["basis"] == "S" and people["aur-pm"]["kind"] == "internal"
    assert people["aur-impl-1"]["active"] is False  # 590 days ago: lapsed
    data = json.loads(
        run(capsys, "customers", "t-core", "--active", "yes", "--basis", "S", "--json")
    )
    assert {c["person"] for c in data["customers"]} == {"aur-pm", "aur-techlead", "aur-architect"}
    data = json.loads(run(capsys, "customers", "t-impl", "--prospects", "--json"))
    assert [c["person"] for c in data["customers"]] == ["lib-head"]


def test_customer_of_explains_a_non_customer(loaded, capsys) -> None:
    out = run(capsys, "customer_of", "nsa-fc-cio")
    assert "Nobody's customer." in out
    assert "Manager of a customer" in out and "Dana Whitfield" in out
    data = json.loads(run(capsys, "customer_of", "nsa-user-1", "--json"))
    assert data["is_customer"] is False
    assert any("No request agreed" in r for r in data["reasons"])


def test_customer_of_lists_teams(loaded, capsys) -> None:
    data = json.loads(run(capsys, "customer_of", "nsa-appdir", "--json"))
    assert {r["team"] for r in data["customer_of"]} == {"t-sales", "t-impl"}


def test_unknown_keys_are_clear_errors(loaded) -> None:
    with pytest.raises(CommandError, match="No team with key 'nope'"):
        call_command("customers", "nope")
    with pytest.raises(CommandError, match="No person with key 'nope'"):
        call_command("customer_of", "nope")


def test_console_script_maps_hyphenated_names(loaded, capsys) -> None:
    main(["customer-of", "nsa-appdir", "--json"])
    assert json.loads(capsys.readouterr().out)["is_customer"] is True

"""Mapped imports: real exports through presets, and the real-world kinds of breakage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization, Person, Team, TeamMembership
from clientmap.engagements.models import Involvement, Request
from clientmap.imports import mapping
from clientmap.imports.engine import ImportFailed

pytestmark = pytest.mark.django_db


def _shared_data() -> Path:
    """../shared/data beside the checkout (a worktree sits one level deeper)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return here.parents[2].parent / "shared" / "data"


DATA = _shared_data()
SERVICENOW = DATA / "servicenow-incident-log" / "incident_event_log.csv.gz"

TICKETS = """\
[source]
delimiter = ";"
encoding = "{encoding}"
missing = ["?", "#N/B"]
decimal_comma = true
date_formats = ["%d-%m-%Y %H:%M", "%d/%m/%Y"]
event_log = true

[request]
key = "Ticket"
requester = "Caller"
team = "Group"
status = {{ column = "State", map = {{ "Open" = "submitted", "Doing" = "in_progress", "Done" = "fulfilled", "Rejected" = "declined" }} }}
payment = {{ column = "Billing", map = {{ "Invoice" = "cash", "Internal" = "chargeback" }}, default = "internal" }}
opened = "Opened"
closed = "Closed"
title = {{ template = "{{Summary}} ({{Ticket}})" }}

[organization]
key = "Company"
name = "Company"

[person]
key = "Caller"
name = "Caller name"
organization = "Company"

[team]
key = "Group"

[involvement]
person = "Approver"
team = "Group"
role = {{ value = "decides" }}
date = "Opened"
hours = "Hours"
"""

HEADER = (
    "Ticket;Caller;Caller name;Company;Group;State;Billing;Opened;Closed;Summary;Approver;Hours"
)


def write(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp / name
    path.write_bytes(text.encode(encoding))
    return path


def tickets_mapping(tmp: Path, encoding: str = "utf-8") -> mapping.Mapping:
    return mapping.load(write(tmp, "tickets.toml", TICKETS.format(encoding=encoding)))


@pytest.fixture
def home(db):
    return Organization.objects.create(key="us", name="Us", is_home=True)


GOOD = "\n".join(
    [
        HEADER,
        "T-1;c1;Ana Núñez;acme;Desk;Open;Invoice;01-03-2026 09:00;?;Printer;;",
        "T-1;c1;Ana Núñez;acme;Desk;Done;Invoice;01-03-2026 09:00;02/03/2026;Printer;boss;1,5",
        "T-2;c2;Bo;us;Desk;Rejected;#N/B;05-03-2026 10:00;;VPN;;",
        "T-3;c3;Cy;us;Apps;Doing;Internal;06-03-2026 10:00;;Report;;",
    ]
)
GOOD_PEOPLE = "boss;Boss;us"


def test_event_log_last_row_wins_and_values_are_mapped(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    report = mapping.import_mapped(write(tmp_path, "t.csv", GOOD), tickets_mapping(tmp_path))
    assert report.counts["requests"]["created"] == 3
    t1 = Request.objects.get(key="T-1")
    assert (t1.status, t1.payment, str(t1.closed), t1.title) == (
        "fulfilled",
        "cash",
        "2026-03-02",
        "Printer (T-1)",
    )
    assert Request.objects.get(key="T-2").payment == "internal"  # #N/B → the default
    assert Request.objects.get(key="T-3").payment == "chargeback"
    assert Person.objects.get(key="c1").name == "Ana Núñez"
    assert Organization.objects.get(key="acme").is_home is False
    inv = Involvement.objects.get()
    assert (inv.person.key, inv.role, float(inv.hours)) == ("boss", "decides", 1.5)
    rel = CustomerRelation.objects.get(person__key="c1")
    assert (rel.is_customer, rel.kind) == (True, "external_paying")
    assert CustomerRelation.objects.get(person__key="c2").is_customer is False  # declined


def test_reimport_changes_nothing_and_newer_export_updates(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    m = tickets_mapping(tmp_path)
    path = write(tmp_path, "t.csv", GOOD)
    mapping.import_mapped(path, m)
    again = mapping.import_mapped(path, m)
    assert not again.changed
    newer = GOOD + "\nT-3;c3;Cy;us;Apps;Done;Internal;06-03-2026 10:00;09/03/2026;Report;;"
    report = mapping.import_mapped(write(tmp_path, "t2.csv", newer), m)
    assert report.counts["requests"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert Request.objects.get(key="T-3").status == "fulfilled"
    assert Request.objects.count() == 3


def test_cp1252_file(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    path = write(tmp_path, "t.csv", GOOD, encoding="cp1252")
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, tickets_mapping(tmp_path))
    assert "cannot be read as utf-8-sig" in exc.value.errors[0].message
    assert Request.objects.count() == 0
    mapping.import_mapped(path, tickets_mapping(tmp_path, "cp1252"))
    assert Person.objects.get(key="c1").name == "Ana Núñez"


def test_utf8_bom(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    path = write(tmp_path, "t.csv", "\ufeff" + GOOD)
    mapping.import_mapped(path, tickets_mapping(tmp_path))
    assert Request.objects.count() == 3


@pytest.mark.parametrize(
    ("bad_row", "column", "value", "message"),
    [
        (
            "T-9;c9;X;us;Desk;Open;;31-02-2026 09:00;;S;;",
            "Opened",
            "31-02-2026 09:00",
            "not a date",
        ),
        ("T-9;c9;X;us;Desk;Paused;;01-03-2026 09:00;;S;;", "State", "Paused", "add it to the map"),
        ("T-9;c9;X;us;Desk;Open;;01-03-2026 09:00;;S;;abc", "Hours", "abc", "not a number"),
        ("T-9;c9;X;us;?;Open;;01-03-2026 09:00;;S;;", "Group", None, "a value is required"),
        (
            "T-9;c9;X;us;Desk;Open;;01-03-2026 09:00;;S;ghost;",
            "Approver",
            "ghost",
            "unknown person key",
        ),
    ],
)
def test_bad_row_stops_everything(tmp_path, home, bad_row, column, value, message) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    before = Request.objects.count()
    text = GOOD + "\n" + bad_row
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(write(tmp_path, "t.csv", text), tickets_mapping(tmp_path))
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("t.csv", 6, column)
    assert err.value == value
    assert message in err.message
    assert Request.objects.count() == before == 0
    assert Person.objects.count() == 1 and Team.objects.count() == 0


def test_missing_column(tmp_path, home) -> None:
    text = GOOD.replace("Caller name", "Name")
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(write(tmp_path, "t.csv", text), tickets_mapping(tmp_path))
    err = exc.value.errors[0]
    assert (err.line, err.column) == (1, "Caller name")
    assert "not in the file" in err.message


def test_skip_invalid_writes_rejects_and_imports_the_rest(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    text = (
        GOOD
        + "\nT-8;c8;X;us;Desk;Open;;31-02-2026 09:00;;S;;"
        + "\nT-9;c9;X;us;Desk;Open;;01-03-2026 09:00;;S;ghost;"
    )
    rejects = tmp_path / "rejects.csv"
    report = mapping.import_mapped(
        write(tmp_path, "t.csv", text),
        tickets_mapping(tmp_path),
        skip_invalid=True,
        rejects=rejects,
    )
    assert report.rejected == 2
    assert set(Request.objects.values_list("key", flat=True)) == {"T-1", "T-2", "T-3", "T-9"}
    rows = list(csv.reader(rejects.open(encoding="utf-8")))
    assert rows[0][:3] == ["line", "reason", "Ticket"]
    assert [r[0] for r in rows[1:]] == ["6", "7"]
    assert "not a date" in rows[1][1] and "T-8" in rows[1]
    assert "unknown person key" in rows[2][1]


def test_check_writes_nothing(tmp_path, home) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    report = mapping.import_mapped(
        write(tmp_path, "t.csv", GOOD), tickets_mapping(tmp_path), check=True
    )
    assert report.checked_only and report.counts["requests"]["created"] == 3
    assert Request.objects.count() == 0 and Team.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[requests]\nkey='a'", "unknown block [requests]"),
        (
            "[request]\nkey='a'\nrequester='b'\nteam='c'\nopened='d'",
            "required field(s) not mapped: status",
        ),
        (
            "[request]\nkey='a'\nrequester='b'\nteam='c'\nopened='d'\nstatus={column='s', map={x='done'}}",
            "'done' is not one of",
        ),
        ("[request\nkey=", "not valid TOML"),
        ("[source]\nencoding='klingon'\n[team]\nkey='a'", "unknown encoding"),
    ],
)
def test_mapping_errors_are_clear(tmp_path, text, message) -> None:
    with pytest.raises(mapping.MappingError) as exc:
        mapping.load(write(tmp_path, "m.toml", text))
    assert message in str(exc.value)


def test_cli_with_mapping_and_json(tmp_path, home, capsys) -> None:
    Person.objects.create(key="boss", name="Boss", organization=home)
    write(tmp_path, "tickets.toml", TICKETS.format(encoding="utf-8"))
    call_command(
        "import",
        str(write(tmp_path, "t.csv", GOOD)),
        "--mapping",
        str(tmp_path / "tickets.toml"),
        "--json",
    )
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["files"]["requests"]["created"] == 3
    with pytest.raises(CommandError, match="no such mapping file or preset"):
        call_command("import", str(tmp_path / "t.csv"), "--format", "nonesuch")


@pytest.mark.skipif(not SERVICENOW.exists(), reason=f"real data not found at {SERVICENOW}")
def test_servicenow_preset_on_the_real_log() -> None:
    report = mapping.import_mapped(SERVICENOW, mapping.load("servicenow"))
    assert report.rows == 141_712
    # 1 784 incidents whose last update cleared the group keep the group they last had
    assert report.counts["requests"]["created"] == 22_758 + 1_784
    assert report.skipped == {
        "requests without team": 2_157 - 1_784,
        "requests without requester": 3,
    }
    assert report.read[SERVICENOW.name]["records"] == 141_712
    assert report.read[SERVICENOW.name]["lines"] == 141_713
    assert Team.objects.count() == 78
    inc = Request.objects.select_related("team", "requester").get(key="INC0000047")
    # the facts are in the last row: closed by Group 24, though Group 70 had it first
    assert (inc.status, inc.team.key, inc.requester.key) == ("fulfilled", "Group 24", "Caller 2403")
    assert str(inc.opened) == "2016-02-29"
    # earlier assignees are kept: Resolver 89 worked in both groups
    assert set(
        TeamMembership.objects.filter(person__key="Resolver 89").values_list("team__key", flat=True)
    ) >= {"Group 70", "Group 24"}
    assert Organization.objects.get(is_home=True).key == "home"
    assert CustomerRelation.objects.filter(person__key="Caller 2403", is_customer=True).exists()
    again = mapping.import_mapped(SERVICENOW, mapping.load("servicenow"))
    assert not again.changed


JIRA = Path(__file__).parent / "data" / "jira_export.csv"


def test_jira_preset_reads_the_documented_export(home) -> None:
    report = mapping.import_mapped(JIRA, mapping.load("jira"))
    assert report.counts["requests"]["created"] == 4
    r = {x.key: x for x in Request.objects.select_related("team", "service", "requester")}
    assert (r["ITSD-101"].status, str(r["ITSD-101"].opened), str(r["ITSD-101"].closed)) == (
        "fulfilled",
        "2026-03-03",
        "2026-03-05",
    )
    assert r["ITSD-102"].status == "in_progress"  # no resolution: the status decides
    assert r["ITSD-102"].title == 'VPN drops, "again"'
    assert r["ITSD-103"].status == "declined"  # Won't Do
    assert r["DATA-7"].status == "in_progress"  # "Unresolved" means no resolution
    assert r["ITSD-101"].team.key == "ITSD" and r["ITSD-101"].team.name == "IT Service Desk"
    # the first of the repeated Component/s, keyed by its project
    assert r["ITSD-102"].service.key == "ITSD/Network"
    assert r["ITSD-102"].service.name == "Network"
    # JSM organizations make external people; everyone else belongs to the home organization
    assert Person.objects.get(key="jon.west").organization.key == "Globex"
    assert Person.objects.get(key="maria.lopez").organization.is_home
    # approvers decide, request participants specify (every repeated column)
    roles = set(Involvement.objects.values_list("person__key", "role"))
    assert roles == {("cfo.kim", "decides"), ("ana.park", "specifies"), ("lee.chen", "specifies")}
    assert set(TeamMembership.objects.values_list("person__key", flat=True)) == {
        "alex.agent",
        "bea.agent",
        "carl.dev",
    }
    kinds = dict(
        CustomerRelation.objects.filter(team__key="ITSD", is_customer=True).values_list(
            "person__key", "kind"
        )
    )
    assert kinds == {
        "maria.lopez": "internal",
        "jon.west": "external_nonpaying",
        "cfo.kim": "internal",
        "ana.park": "external_nonpaying",
        "lee.chen": "external_nonpaying",
    }
    assert not mapping.import_mapped(JIRA, mapping.load("jira")).changed


BPI = DATA / "bpi2014" / "Detail_Incident.csv.gz"


@pytest.mark.skipif(not BPI.exists(), reason=f"real data not found at {BPI}")
def test_bpi2014_mapping_builds_the_value_chain_from_real_cis() -> None:
    from clientmap.catalog.models import Consumption, Service

    report = mapping.import_mapped(BPI, mapping.load("bpi2014"))
    assert report.skipped_same > 30_000  # most incidents are caused where they show
    edges = Consumption.objects.count()
    assert 2_500 < edges < 3_200  # the publisher's "about 2,800 real dependency edges"
    assert report.counts["consumes"]["created"] == edges
    # every edge joins two configuration items, each owned by a service component (WBS…)
    edge = Consumption.objects.select_related("consumer_service__team", "provider__team").first()
    assert edge.consumer_service.team.key.startswith("WBS")
    assert edge.provider.team.key.startswith("WBS")
    assert Service.objects.filter(key="SUB000508").exists()
    assert not Consumption.objects.filter(consumer_service=F("provider")).exists()
    assert not mapping.import_mapped(BPI, mapping.load("bpi2014")).changed

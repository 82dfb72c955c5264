"""Issue 9: imports that never lose a row silently, presets that take real exports as they come.

Each test here failed on the main branch before the fix it is named after.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from clientmap.catalog.models import Service
from clientmap.customers import rules, selectors
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization, Person
from clientmap.engagements.models import Request
from clientmap.imports import demo, mapping, workbook
from clientmap.imports.engine import ImportFailed
from tests import factories as f
from tests.imports.test_mapped import SERVICENOW

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def home(db):
    return Organization.objects.create(key="us", name="Us", is_home=True)


def jira_rows(n: int) -> list[list[str]]:
    return [
        [f"Issue {i}", f"PRJ-{i}", "PRJ", "Done", f"user{i % 7}", "01/Mar/26 9:15 AM"]
        for i in range(1, n + 1)
    ]


JIRA_HEADER = ["Summary", "Issue key", "Project key", "Status", "Reporter", "Created"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# --- 1. a stray quote never swallows rows -------------------------------------------------


def test_stray_quote_stops_at_the_line_where_the_record_started(tmp_path, home) -> None:
    """Line 501 opens a quote that the next quoted value (far below) closes."""
    path = write_csv(tmp_path / "jira.csv", JIRA_HEADER, jira_rows(3000))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[500] = lines[500].replace("Issue 500", '"Issue 500 is 5\\" wide', 1)
    lines[2400] = lines[2400].replace("Issue 2400", 'Issue "2400"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    for check in (True, False):
        with pytest.raises(ImportFailed) as exc:
            mapping.import_mapped(path, mapping.load("jira"), check=check)
        err = exc.value.errors[0]
        assert (err.line, err.column) == (501, "Summary"), str(err)
        assert "unclosed quote" in err.hint
    assert not Request.objects.exists()


def test_file_truncated_inside_a_quoted_value_is_refused(tmp_path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    path = folder / "requests.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    last = len(lines)
    path.write_text(
        "".join(lines) + 'r-cut,aur-cio,t-core,,submitted,,2026-01-01,,,,"half a ti', "utf-8"
    )
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    err = exc.value.errors[0]
    assert (err.file, err.line, err.column) == ("requests.csv", last + 1, "title"), str(err)
    assert "ends inside a quoted value" in err.message and "unclosed quote" in err.hint


def test_field_count_differs_from_the_header(tmp_path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    with open(folder / "teams.csv", "a", encoding="utf-8") as fh:
        fh.write("t-extra,Extra team,u-it,surplus\n")
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    err = exc.value.errors[0]
    n = len((folder / "teams.csv").read_text(encoding="utf-8").splitlines())
    assert (err.file, err.line) == ("teams.csv", n)
    assert "row has 4 fields, header has 3" in err.message


def test_headerless_log_with_a_line_starting_with_a_quote(tmp_path, home) -> None:
    rows = [f"T{i};caller{i % 5};G{i % 3};Done;02/01/2026" for i in range(1, 2001)]
    rows[490] = '"T491;caller1;G1;Done;02/01/2026'  # line 491: opens a quote, never closed
    path = tmp_path / "log.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    m = mapping.parse(
        {
            "source": {
                "delimiter": ";",
                "columns": ["id", "caller", "group", "state", "opened"],
                "date_formats": ["%d/%m/%Y"],
            },
            "request": {
                "key": "id",
                "requester": "caller",
                "team": "group",
                "status": {"column": "state", "map": {"Done": "fulfilled"}},
                "opened": "opened",
            },
            "person": {"key": "caller", "organization": {"value": "us"}},
            "team": {"key": "group"},
        }
    )
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, m)
    assert exc.value.errors[0].line == 491
    assert "unclosed quote" in exc.value.errors[0].hint
    rows[490] = "T491;caller1;G1;Done;02/01/2026"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = mapping.import_mapped(path, m)
    assert report.counts["requests"]["created"] == 2000
    assert report.read["log.txt"]["records"] == 2000 == report.read["log.txt"]["lines"]


@pytest.mark.skipif(not SERVICENOW.exists(), reason=f"real data not found at {SERVICENOW}")
def test_servicenow_stray_quote_names_its_own_line(tmp_path) -> None:
    with gzip.open(SERVICENOW, "rt", encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(3000)]
    lines[500] = lines[500].replace("Caller ", '"Caller ', 1)  # line 501
    path = tmp_path / "incidents.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, mapping.load("servicenow"))
    err = exc.value.errors[0]
    assert (err.line, err.column) == (501, "caller_id"), str(err)


def test_every_report_says_records_read_against_physical_lines(tmp_path, home) -> None:
    rows = jira_rows(5)
    rows[2][0] = "two\nlines"  # a legal quoted line break
    path = write_csv(tmp_path / "jira.csv", JIRA_HEADER, rows)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n")
    report = mapping.import_mapped(path, mapping.load("jira"))
    assert report.read["jira.csv"] == {
        "lines": 8,
        "records": 5,
        "blank_lines": 1,
        "continuation_lines": 1,
    }
    assert report.as_dict()["read"] == report.read


def test_a_row_of_blank_values_is_a_blank_line_one_with_a_value_is_read(tmp_path, home) -> None:
    """A record whose every value is blank (spaces included) counts as a blank line; one whose
    first value is blank but another is not is read."""
    rows = jira_rows(3)
    rows.insert(1, [" ", "", "  ", "", "", " "])
    rows.insert(2, [" ", "PRJ-9", "PRJ", "Done", "user1", "01/Mar/26 9:15 AM"])
    path = write_csv(tmp_path / "jira.csv", JIRA_HEADER, rows)
    report = mapping.import_mapped(path, mapping.load("jira"), check=True, skip_invalid=True)
    assert report.read["jira.csv"]["blank_lines"] == 1
    assert report.read["jira.csv"]["records"] == 4
    assert report.rows == 4


def test_workbook_report_says_records_read_against_physical_lines(tmp_path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    wb = workbook.import_workbook(folder)
    people = len((folder / "people.csv").read_text(encoding="utf-8").splitlines())
    assert wb.read["people.csv"]["records"] == people - 1
    assert wb.read["people.csv"]["lines"] == people


# --- 2. optional columns; the jira preset on a plain Jira Software export ------------------

# The columns of a Jira Software (no Service Management) "Export > CSV (all fields)" of a site
# without custom fields, in Jira's order (Atlassian's documented issue fields).
JIRA_SOFTWARE = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Project key",
    "Project name",
    "Project type",
    "Project lead",
    "Project description",
    "Project url",
    "Priority",
    "Resolution",
    "Assignee",
    "Reporter",
    "Creator",
    "Created",
    "Updated",
    "Last Viewed",
    "Resolved",
    "Affects Version/s",
    "Fix Version/s",
    "Component/s",
    "Component/s",
    "Due Date",
    "Votes",
    "Labels",
    "Labels",
    "Description",
    "Environment",
    "Watchers",
    "Watchers",
    "Original Estimate",
    "Remaining Estimate",
    "Time Spent",
    "Work Ratio",
    "Security Level",
    "Attachment",
    "Sprint",
    "Parent",
]


def software_issue(key: str, project: str, reporter: str, component: str, **kw) -> list[str]:
    row = dict.fromkeys(JIRA_SOFTWARE, "")
    row.update(
        {
            "Summary": kw.get("summary", f"Work on {key}"),
            "Issue key": key,
            "Issue Type": "Task",
            "Status": kw.get("status", "In Progress"),
            "Project key": project,
            "Project name": f"Project {project}",
            "Project type": "software",
            "Assignee": kw.get("assignee", "dev.one"),
            "Reporter": reporter,
            "Created": "10/Feb/26 10:00 AM",
            "Description": "Steps:\n1. open\n2. look",
        }
    )
    out, first_component = [], True
    for h in JIRA_SOFTWARE:
        if h == "Component/s":
            out.append(component if first_component else "")
            first_component = False
        else:
            out.append(row[h])
    return out


def test_jira_preset_reads_a_plain_jira_software_export(tmp_path, home) -> None:
    rows = [
        software_issue("APP-1", "APP", "ann", "documentation"),
        software_issue("APP-2", "APP", "", "documentation"),  # no reporter: skipped, reported
        software_issue("WEB-1", "WEB", "bob", "documentation", status="Done"),
        software_issue("WEB-2", "WEB", "ann", ""),
    ]
    path = write_csv(tmp_path / "software.csv", JIRA_SOFTWARE, rows)
    report = mapping.import_mapped(path, mapping.load("jira"))
    assert report.counts["requests"]["created"] == 3
    assert report.skipped == {"requests without requester": 1}
    assert {
        "Custom field (Organizations)",
        "Custom field (Approvers)",
        "Custom field (Request participants)",
    } <= set(report.absent_optional)
    assert "Reporter" not in report.absent_optional
    # 3. a component belongs to its project
    services = dict(Service.objects.values_list("key", "team__key"))
    assert services == {"APP/documentation": "APP", "WEB/documentation": "WEB"}
    r = {x.key: x for x in Request.objects.select_related("service", "team")}
    for key in ("APP-1", "WEB-1"):
        assert r[key].service.team_id == r[key].team_id
    assert r["WEB-2"].service is None
    assert not Request.objects.filter(key="APP-2").exists()


def test_an_optional_column_reads_as_missing_a_required_one_still_stops(tmp_path, home) -> None:
    path = write_csv(
        tmp_path / "x.csv", ["id", "who", "grp", "day"], [["1", "ann", "g", "2026-01-05"]]
    )
    spec = {
        "request": {
            "key": "id",
            "requester": "who",
            "team": "grp",
            "status": {"value": "fulfilled"},
            "opened": "day",
            "title": {"column": "Subject", "optional": True},
        },
        "person": {"key": "who", "organization": {"value": "us"}},
        "team": {"key": "grp"},
    }
    report = mapping.import_mapped(path, mapping.parse(spec))
    assert report.absent_optional == ["Subject"] and Request.objects.get().title == ""
    spec["request"]["title"] = "Subject"
    with pytest.raises(ImportFailed, match="Subject.*not in the file"):
        mapping.import_mapped(path, mapping.parse(spec))


# --- 4. ServiceNow: the sequence column and the last known value ------------------------------

SN_HEADER = (
    "number,incident_state,sys_mod_count,caller_id,opened_at,category,assignment_group,"
    "assigned_to,closed_at,location,subcategory,u_symptom"
)


def test_event_log_orders_by_the_sequence_and_keeps_the_last_known_group(tmp_path) -> None:
    rows = [
        # INC1: the last update clears the group; the group it had is the one that counts
        "INC1,New,0,Caller 1,1/3/2026 10:00,Cat,Group A,?,?,Loc 1,Sub,Sym",
        "INC1,Resolved,1,Caller 1,1/3/2026 10:00,Cat,Group A,Res 1,?,Loc 1,Sub,Sym",
        "INC1,Closed,2,Caller 1,1/3/2026 10:00,Cat,?,?,5/3/2026 10:00,Loc 1,Sub,Sym",
        # INC2: rows out of sys_mod_count order: the file's last row is the stale one
        "INC2,Resolved,3,Caller 2,2/3/2026 10:00,Cat,Group B,Res 2,?,Loc 1,Sub,Sym",
        "INC2,Closed,4,Caller 2,2/3/2026 10:00,Cat,Group B,Res 2,6/3/2026 10:00,Loc 1,Sub,Sym",
        "INC2,New,0,Caller 2,2/3/2026 10:00,Cat,Group C,?,?,Loc 1,Sub,Sym",
    ]
    path = tmp_path / "incidents.csv"
    path.write_text(SN_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = mapping.import_mapped(path, mapping.load("servicenow"))
    assert report.skipped.get("requests without team", 0) == 0
    r = {x.key: x for x in Request.objects.select_related("team")}
    assert (r["INC1"].team.key, r["INC1"].status) == ("Group A", "fulfilled")
    assert (r["INC2"].team.key, r["INC2"].status, str(r["INC2"].closed)) == (
        "Group B",
        "fulfilled",
        "2026-03-06",
    )


def test_sequence_needs_a_number(tmp_path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        SN_HEADER + "\nINC1,New,zero,Caller 1,1/3/2026 10:00,Cat,Group A,?,?,Loc 1,Sub,Sym\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, mapping.load("servicenow"))
    err = exc.value.errors[0]
    assert (err.line, err.column, err.value) == (2, "sys_mod_count", "zero")


AGREED = {
    "Active",
    "Awaiting User Info",
    "Awaiting Problem",
    "Awaiting Vendor",
    "Awaiting Evidence",
}
AGREED |= {"On Hold", "In Progress", "Resolved", "Closed"}


def independent_customers_per_team(path: Path) -> dict[str, int]:
    """Customers per team computed from the raw rows, without the importer.

    Per incident: its rows in sys_mod_count order (then line); the team and the caller are the
    last ones given ('?' is missing); the status is the last row's. A caller is a customer of a
    team when one of their incidents there reached an agreed state.
    """
    rows_of: dict[str, list] = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), 2):
            rows_of[row["number"]].append((float(row["sys_mod_count"]), line, row))
    customers: dict[str, set] = defaultdict(set)
    for rows in rows_of.values():
        rows.sort(key=lambda x: (x[0], x[1]))
        team = next(
            (r["assignment_group"] for *_, r in reversed(rows) if r["assignment_group"] != "?"),
            None,
        )
        caller = next((r["caller_id"] for *_, r in reversed(rows) if r["caller_id"] != "?"), None)
        if team and caller and rows[-1][2]["incident_state"] in AGREED:
            customers[team].add(caller)
    return {t: len(c) for t, c in customers.items()}


@pytest.mark.skipif(not SERVICENOW.exists(), reason=f"real data not found at {SERVICENOW}")
def test_servicenow_customers_per_team_match_an_independent_computation(tmp_path) -> None:
    with gzip.open(SERVICENOW, "rt", encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(20_001)]
    path = tmp_path / "slice.csv"
    path.write_text("".join(lines), encoding="utf-8")
    mapping.import_mapped(path, mapping.load("servicenow"))
    stored = dict(
        CustomerRelation.objects.filter(is_customer=True)
        .values_list("team__key")
        .annotate(n=Count("person"))
    )
    expected = independent_customers_per_team(path)
    assert stored == expected
    assert len(expected) > 20


# --- 5. whitespace-aligned files -------------------------------------------------------------


WHITESPACE_MAPPING = {
    "source": {"delimiter": "whitespace", "date_formats": ["%Y-%m-%d"]},
    "request": {
        "key": "ID",
        "requester": "USER",
        "team": "QUEUE",
        "status": {"column": "STATE", "map": {"done": "fulfilled", "open": "submitted"}},
        "opened": "OPENED",
    },
    "person": {"key": "USER", "organization": {"value": "us"}},
    "team": {"key": "QUEUE"},
}


def test_whitespace_delimiter_reads_aligned_columns(tmp_path, home) -> None:
    text = (
        "ID     USER        QUEUE    STATE  OPENED\n"
        "A-1    ann.lee     desk     done   2026-01-02\n"
        "A-2    bob         network  open   2026-01-03\n"
        "  A-3  carla\tdesk  done 2026-01-04   \n"
    )
    path = tmp_path / "aligned.txt"
    path.write_text(text, encoding="utf-8")
    mapping.import_mapped(path, mapping.parse(WHITESPACE_MAPPING))
    got = set(Request.objects.values_list("key", "requester__key", "team__key", "status"))
    assert got == {
        ("A-1", "ann.lee", "desk", "fulfilled"),
        ("A-2", "bob", "network", "submitted"),
        ("A-3", "carla", "desk", "fulfilled"),
    }


def test_whitespace_row_with_an_extra_field_says_so(tmp_path, home) -> None:
    text = (
        "ID USER QUEUE STATE OPENED X Y\n1 a q done 2026-01-02 x y\n2 b q done 2026-01-02 x y z\n"
    )
    path = tmp_path / "aligned.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, mapping.parse(WHITESPACE_MAPPING))
    err = exc.value.errors[0]
    assert err.line == 3 and "row has 8 fields, header has 7" in err.message


def test_duplicate_key_names_the_files_own_column(tmp_path, home) -> None:
    text = "ID USER QUEUE STATE OPENED\n1 a q done 2026-01-02\n1 b q done 2026-01-02\n"
    path = tmp_path / "aligned.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        mapping.import_mapped(path, mapping.parse(WHITESPACE_MAPPING))
    err = exc.value.errors[0]
    assert (err.line, err.column, err.value) == (3, "ID", "1") and "duplicate" in err.message


# --- 6. money on requests --------------------------------------------------------------------


def test_request_amount_and_currency_in_workbook_mapping_and_export(tmp_path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    path = folder / "requests.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[0] += ["amount", "currency"]
    rows[1] += ["1234.50", "eur"]
    for r in rows[2:]:
        r += ["", ""]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    workbook.import_workbook(folder)
    r = Request.objects.get(key=rows[1][0])
    assert (str(r.amount), r.currency) == ("1234.50", "EUR")
    out = tmp_path / "out"
    workbook.export_workbook(out)
    exported = {x["key"]: x for x in csv.DictReader((out / "requests.csv").open(encoding="utf-8"))}
    assert (exported[r.key]["amount"], exported[r.key]["currency"]) == ("1234.50", "EUR")
    rows[1][-1] = "euros"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    assert (exc.value.errors[0].line, exc.value.errors[0].column) == (2, "currency")


def test_purchase_log_amounts_map_onto_requests(tmp_path, home) -> None:
    path = tmp_path / "purchases.csv"
    path.write_text(
        "order;buyer;shop;total;cur;day\nO-1;ann;shop;12,50;BRL;2026-01-02\nO-2;bob;shop;;;2026-01-03\n",
        encoding="utf-8",
    )
    m = mapping.parse(
        {
            "source": {"delimiter": ";", "decimal_comma": True},
            "request": {
                "key": "order",
                "requester": "buyer",
                "team": "shop",
                "status": {"value": "fulfilled"},
                "payment": {"value": "cash"},
                "opened": "day",
                "amount": "total",
                "currency": "cur",
            },
            "person": {"key": "buyer", "organization": {"value": "buyers"}},
            "organization": {"key": {"value": "buyers"}},
            "team": {"key": "shop"},
        }
    )
    mapping.import_mapped(path, m)
    got = dict((k, (a, c)) for k, a, c in Request.objects.values_list("key", "amount", "currency"))
    assert str(got["O-1"][0]) == "12.50" and got["O-1"][1] == "BRL"
    assert got["O-2"] == (None, "")


# --- 7. lapsed paying customers; why own requests do not count -------------------------------


@pytest.mark.django_db
def test_lapsed_paying_customer_keeps_its_kind(home) -> None:
    today = date(2026, 6, 1)
    t = f.team(key="shop")
    buyer = f.person(f.org(key="acme"))
    old = today - timedelta(days=365 * 3)
    f.request(buyer, t, status="fulfilled", opened=old, closed=old, payment="cash")
    rules.recompute(as_of=today)
    rel = CustomerRelation.objects.get(team=t, person=buyer)
    assert (rel.active, rel.kind) == (False, "external_paying")
    # a lapsed customer who never paid stays non-paying
    other = f.person(f.org(key="globex"))
    f.request(other, t, status="fulfilled", opened=old, closed=old, payment="free")
    rules.recompute(as_of=today)
    assert CustomerRelation.objects.get(team=t, person=other).kind == "external_nonpaying"


@pytest.mark.django_db
def test_customer_of_says_why_own_requests_do_not_count(home) -> None:
    member = f.person(home)
    t = f.team(members=[member], key="ops", name="Operations")
    f.request(member, t, status="fulfilled")
    answer = selectors.customer_of(member)
    assert not answer.relations
    assert any("a team is not its own customer" in r and "ops" in r for r in answer.reasons)


# --- 8. the small ones -----------------------------------------------------------------------


def test_presets_command_lists_and_prints(capsys) -> None:
    call_command("presets")
    out = capsys.readouterr().out
    assert "servicenow" in out and "jira" in out
    call_command("presets", "servicenow")
    text = capsys.readouterr().out
    assert 'sequence = "sys_mod_count"' in text
    with pytest.raises(CommandError, match="No preset"):
        call_command("presets", "nonesuch")


def test_json_report_has_stable_keys(tmp_path, capsys) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        SN_HEADER + "\nINC1,Closed,0,Caller 1,1/3/2026 10:00,Cat,Group A,Res,?,Loc 1,Sub,Sym\n",
        "utf-8",
    )
    call_command("import", str(path), "--format", "servicenow", "--json")
    first = json.loads(capsys.readouterr().out)
    call_command("import", str(path), "--format", "servicenow", "--json")
    second = json.loads(capsys.readouterr().out)
    assert list(first) == list(second)
    assert list(first["files"]) == list(second["files"])
    assert "organizations" in second["files"]


def test_unknown_workbook_file_is_named_and_refused(tmp_path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    (folder / "requets.csv").write_bytes((folder / "requests.csv").read_bytes())
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(folder)
    err = exc.value.errors[0]
    assert err.file == "requets.csv" and "requests.csv" in err.message
    assert not Person.objects.exists()
    report = workbook.import_workbook(folder, ignore_unknown=True)
    assert report.ignored == ["requets.csv"]
    with pytest.raises(CommandError, match="requets.csv"):
        call_command("import", str(folder), "--no-progress")


def test_no_home_organization_is_a_warning(tmp_path, capsys) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    path = folder / "organizations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",yes", ","), encoding="utf-8")
    report = workbook.import_workbook(folder)
    assert any("internal" in w and "C2" in w for w in report.warnings)
    call_command("import", str(folder), "--no-progress")
    assert "C2" in capsys.readouterr().out


def test_progress_bar_ends_full_and_before_the_summary(tmp_path, monkeypatch) -> None:
    events: list = []

    class Bar:
        def __init__(self, total, **kw):
            self.total, self.n = total, 0

        def update(self, n):
            self.n += n

        def set_postfix_str(self, s):
            pass

        def close(self):
            events.append(("bar closed", self.n, self.total))

    monkeypatch.setattr("tqdm.tqdm", Bar)

    class Out(io.StringIO):
        def write(self, s):
            events.append(("stdout", s))
            return len(s)

    folder = tmp_path / "book"
    folder.mkdir()
    demo.write_workbook(folder)
    # the files of other areas (wishes, votes, invoices…) count towards the bar like the core's
    assert (folder / "wishes.csv").exists()
    call_command("import", str(folder), stdout=Out())
    closed = [e for e in events if e[0] == "bar closed"]
    assert closed and closed[0][1] == closed[0][2]
    assert events.index(closed[0]) < next(i for i, e in enumerate(events) if e[0] == "stdout")

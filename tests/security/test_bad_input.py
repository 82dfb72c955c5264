"""Defect 6: bad input gets a clear 4xx, never a 500 or a traceback; the API documents them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.urls import reverse

from clientmap.core.api_support import MAX_LIMIT
from clientmap.voice.models import Comment, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(home):
    staff = f.user("bad-staff", staff=True, person=f.person(key="bad-staff-p"))
    f.team(key="bad-team")
    return staff


def test_nul_bytes_are_refused_everywhere(client, world):
    auth = f.bearer(world)
    r = client.get("/api/directory/people?q=a%00b", **auth)
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    r = client.post(
        "/api/voice/wishes",
        json.dumps({"title": "a\u0000b"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 400 and "request body" in r.json()["detail"]
    client.force_login(world)
    r = client.get(reverse("customers:people") + "?q=%00")
    assert r.status_code == 400 and b"NUL" in r.content
    r = client.post(
        reverse("voice:submit"), "title=x%00y", content_type="application/x-www-form-urlencoded"
    )  # as a browser sends the form
    assert r.status_code == 400
    assert not Wish.objects.exists()


def test_over_long_strings_are_refused_before_the_database(client, world):
    auth = f.bearer(world)
    r = client.post(
        "/api/voice/wishes",
        json.dumps({"title": "x" * 301}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and "title" in json.dumps(r.json())
    client.force_login(world)
    r = client.post(reverse("voice:submit"), {"title": "x" * 301}, follow=True)
    assert r.status_code == 200 and "1 to 300 characters" in r.content.decode()
    assert not Wish.objects.exists()
    w = Wish.objects.create(key="W", author=world.person, title="t")
    r = client.post(reverse("voice:comment", args=["W"]), {"text": "y" * 10_001}, follow=True)
    assert "at most 10000 characters" in r.content.decode()
    assert not Comment.objects.filter(wish=w).exists()


@pytest.mark.parametrize(
    "url", ["/api/directory/people", "/api/voice/wishes", "/api/directory/teams"]
)
def test_limit_is_capped_and_offset_past_the_end_is_empty(client, world, url):
    auth = f.bearer(world)
    r = client.get(f"{url}?limit={10**12}", **auth)
    assert r.status_code == 422 and "limit" in json.dumps(r.json())
    assert client.get(f"{url}?limit={MAX_LIMIT}", **auth).status_code == 200
    assert client.get(f"{url}?limit={MAX_LIMIT + 1}", **auth).status_code == 422
    assert client.get(f"{url}?offset={10**12}", **auth).status_code == 422
    r = client.get(f"{url}?offset=100000", **auth)
    assert r.status_code == 200 and r.json()["items"] == []


def test_unknown_filter_values_are_named(client, world):
    auth = f.bearer(world)
    r = client.get("/api/voice/wishes?status=nope", **auth)
    assert r.status_code == 400 and "status must be one of" in r.json()["detail"]
    r = client.get("/api/customers/teams/bad-team/customers?basis=XYZ", **auth)
    assert r.status_code == 400 and "basis" in r.json()["detail"]
    r = client.get("/api/customers/teams/bad-team/customers?kind=rich", **auth)
    assert r.status_code == 400 and "kind must be one of" in r.json()["detail"]
    r = client.get("/api/customers/teams/bad-team/customers?active=maybe", **auth)
    assert r.status_code == 422 and "active" in json.dumps(r.json())


def test_page_past_the_end_shows_the_last_page(client, world):
    client.force_login(world)
    for url in ("customers:people", "customers:teams", "directory:organizations", "voice:portal"):
        assert client.get(reverse(url) + "?page=99999").status_code == 200
        assert client.get(reverse(url) + "?page=-1&limit=x").status_code == 200


def test_unknown_api_path_is_json_404(client, world):
    r = client.get("/api/directory/teams/a/b/c", **f.bearer(world))
    assert r.status_code == 404 and r["Content-Type"] == "application/json"


def _write(folder: Path, name: str, rows) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_duplicate_columns_in_an_upload_are_refused_naming_both(tmp_path, db):
    from clientmap.imports import workbook

    _write(tmp_path, "organizations.csv", [["key", "name", "name"], ["o", "One", "Two"]])
    with pytest.raises(workbook.WorkbookError) as err:
        workbook.import_workbook(tmp_path)
    text = str(err.value)
    assert "organizations.csv" in text and "'name' appears twice (columns 2 and 3)" in text


def test_malformed_date_names_file_line_and_column(tmp_path, db):
    from clientmap.imports import workbook

    _write(tmp_path, "organizations.csv", [["key", "name", "home"], ["home", "Home", "yes"]])
    _write(tmp_path, "people.csv", [["key", "name", "organization"], ["p", "P", "home"]])
    _write(tmp_path, "teams.csv", [["key", "name"], ["t", "T"]])
    _write(
        tmp_path,
        "requests.csv",
        [
            ["key", "requester", "team", "opened", "status"],
            ["R1", "p", "t", "2026-02-31", "accepted"],
        ],
    )
    with pytest.raises(workbook.WorkbookError) as err:
        workbook.import_workbook(tmp_path)
    e = next(x for x in err.value.errors if x.column == "opened")
    assert (e.file, e.line, e.value) == ("requests.csv", 2, "2026-02-31")


@pytest.mark.parametrize(
    "toml, says",
    [
        ('[source]\ndelimiter = 5\n[person]\nkey = "a"\nname = "b"', "delimiter must be a text"),
        ('source = "x"\n[person]\nkey = "a"\nname = "b"', "[source] must be a table"),
        ('[source]\nmissing = 3\n[person]\nkey = "a"\nname = "b"', "missing must be a list"),
        ('[source]\ndate_formats = "%d"\n[person]\nkey = "a"\nname = "b"', "date_formats must be"),
        ("person = 5", "[person] must be a table"),
        ('[person]\nkey = {column = 5}\nname = "b"', "column must be a column name"),
        ('[person]\nkey = {column = "a", map = "x"}\nname = "b"', "map must be a table"),
        ('[person]\nkey = {column = "a", extract = 1}\nname = "b"', "extract must be"),
        ('[person]\nkey = {template = 7}\nname = "b"', "template must be a text"),
        ('[person]\nkey = {column = "a", all = "yes"}\nname = "b"', "all must be true or false"),
    ],
)
def test_mapping_with_a_wrong_type_is_a_clear_error(toml, says):
    import tomllib

    from clientmap.imports import mapping

    with pytest.raises(mapping.MappingError) as err:
        mapping.parse(tomllib.loads(toml), "my.toml")
    assert says in str(err.value) and "my.toml" in str(err.value)


def test_mapping_upload_with_a_wrong_type_is_400_not_500(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world)
    r = client.post(
        "/imports/",
        {
            "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"),
            "mapping": '[source]\ndelimiter = 5\n[person]\nkey = "a"\nname = "b"',
        },
    )
    assert r.status_code == 400 and b"delimiter must be a text" in r.content


def test_every_operation_documents_its_errors(client, world):
    schema = client.get("/api/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"400", "401", "403", "404", "422"} <= codes, (method, path, codes)


def test_schema_names_are_unique():
    """Two response classes with one name make one schema: the API said the wrong shape
    (the directory's PersonOut was described as the value chain's)."""
    import importlib

    from ninja import Schema

    seen: dict[str, str] = {}
    for mod in ("directory", "customers", "imports", "valuechain", "voice"):
        m = importlib.import_module(f"clientmap.{mod}.api")
        for name, obj in vars(m).items():
            if isinstance(obj, type) and issubclass(obj, Schema) and obj.__module__ == m.__name__:
                assert name not in seen, f"{name} in {seen.get(name)} and {m.__name__}"
                seen[name] = m.__name__
    from clientmap.api import api

    person = api.get_openapi_schema()["components"]["schemas"]["PersonOut"]
    assert "email" in person["properties"] and "type" not in person["properties"]

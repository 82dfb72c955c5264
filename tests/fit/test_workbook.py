"""invoices.csv, approvals.csv, ratings.csv, referrals.csv, intents.csv ride along with the
workbook: idempotent, errors with file/line/column, nothing written on error, exported back."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientmap.fit.models import Approval, Intent, Invoice, Rating, Recompute, Referral
from clientmap.imports import workbook

pytestmark = pytest.mark.django_db(transaction=True)


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "organizations.csv",
        'key,name,home\nhome,Home,yes\nacme/eu,"Acme, ""EU""",\nзавод,Завод №1,\n',
    )
    write(tmp_path, "people.csv", "key,name,organization\nrater,Rita,home\n")
    write(
        tmp_path,
        "invoices.csv",
        "key,organization,amount,currency,issued,due,paid\n"
        "INV/1,acme/eu,1000.50,eur,2026-01-01,2026-01-31,2026-01-30\n"
        'INV/2,acme/eu,"2000,00",EUR,2026-02-01,2026-03-01,\n'
        "=SUM(A1),завод,10,RUB,2026-02-01,2026-03-01,2026-04-01\n",
    )
    write(
        tmp_path,
        "approvals.csv",
        "key,organization,subject,important,asked,answered\n"
        "A-1,acme/eu,Scope,yes,2026-02-01,2026-03-05\nA-2,завод,Colour,no,2026-02-01,\n",
    )
    write(
        tmp_path,
        "ratings.csv",
        "organization,rater,score,date,comment\nacme/eu,rater,4,2026-02-10,Kind\n",
    )
    write(
        tmp_path,
        "referrals.csv",
        "organization,date,kind,note\nacme/eu,2026-02-11,case study,Blog\n",
    )
    write(tmp_path, "intents.csv", "organization,date,wants,source\nзавод,2026-02-12,renew,QBR\n")
    return tmp_path


def test_account_files_import_once_and_export(book: Path, tmp_path_factory) -> None:
    report = workbook.import_workbook(book)
    assert report.counts["invoices"]["created"] == 3
    assert (
        Invoice.objects.get(key="INV/2").amount == 2000
        and Invoice.objects.get(key="INV/2").paid is None
    )
    assert Invoice.objects.get(key="INV/1").currency == "EUR"
    assert Invoice.objects.get(key="=SUM(A1)").organization.key == "завод"
    assert Approval.objects.get(key="A-1").important is True
    assert Rating.objects.get().score == 4 and Referral.objects.get().kind == "case_study"
    assert Intent.objects.get().wants == "renew"
    assert Recompute.objects.exists()  # the fit is recomputed after the import
    again = workbook.import_workbook(book)
    assert not again.changed
    write(
        book,
        "invoices.csv",
        "key,organization,amount,currency,issued,due,paid\nINV/2,acme/eu,2000,EUR,2026-02-01,2026-03-01,2026-03-02\n",
    )
    changed = workbook.import_workbook(book)
    assert changed.counts["invoices"] == {"created": 0, "updated": 1, "unchanged": 0}
    out = tmp_path_factory.mktemp("export")
    workbook.export_workbook(out)
    text = (out / "invoices.csv").read_text(encoding="utf-8")
    assert (
        "=SUM(A1),завод,10.00,RUB" in text
        and "INV/2,acme/eu,2000.00,EUR,2026-02-01,2026-03-01,2026-03-02" in text
    )
    assert "acme/eu,2026-02-11,case_study,Blog" in (out / "referrals.csv").read_text(
        encoding="utf-8"
    )
    assert "A-1,acme/eu,Scope,yes" in (out / "approvals.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        (
            "invoices.csv",
            "key,organization,amount,issued,due\nI-9,ghost,1,2026-01-01,2026-01-02\n",
            (2, "organization", "ghost"),
        ),
        (
            "invoices.csv",
            "key,organization,amount,issued,due\nI-9,acme/eu,lots,2026-01-01,2026-01-02\n",
            (2, "amount", "lots"),
        ),
        (
            "invoices.csv",
            "key,organization,amount,issued,due\nI-9,acme/eu,1,2026-02-01,2026-01-02\n",
            (2, "due", "2026-01-02"),
        ),
        (
            "invoices.csv",
            "key,organization,amount,issued,due\nI-9,acme/eu,1,2026-01-01,2026-01-02\nI-9,acme/eu,2,2026-01-01,2026-01-02\n",
            (3, "key", "I-9"),
        ),
        (
            "invoices.csv",
            "key,organization,amount,issued\nI-9,acme/eu,1,2026-01-01\n",
            (1, "due", None),
        ),
        (
            "approvals.csv",
            "key,organization,important,asked\nA-9,acme/eu,maybe,2026-01-01\n",
            (2, "important", "maybe"),
        ),
        (
            "ratings.csv",
            "organization,rater,score,date\nacme/eu,rater,6,2026-01-01\n",
            (2, "score", "6"),
        ),
        (
            "ratings.csv",
            "organization,rater,score,date\nacme/eu,nobody,3,2026-01-01\n",
            (2, "rater", "nobody"),
        ),
        (
            "referrals.csv",
            "organization,date,kind\nacme/eu,2026-01-01,rumour\n",
            (2, "kind", "rumour"),
        ),
        (
            "intents.csv",
            "organization,date,wants\nacme/eu,31/01/2026,renew\n",
            (2, "date", "31/01/2026"),
        ),
    ],
)
def test_bad_rows_name_file_line_column_and_write_nothing(book: Path, file, text, where) -> None:
    write(book, file, text)
    with pytest.raises(workbook.WorkbookError) as exc:
        workbook.import_workbook(book)
    errors = [(e.file, e.line, e.column, e.value) for e in exc.value.errors]
    assert (file, *where) in errors, errors
    assert (
        not Invoice.objects.exists() and not Rating.objects.exists() and not Intent.objects.exists()
    )

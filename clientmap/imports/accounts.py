"""The accounts' workbook files (K1): invoices.csv, approvals.csv, ratings.csv, referrals.csv,
intents.csv — imported with the rest of the workbook (same transaction, errors with file, line,
column and value; nothing written when anything is wrong) and exported back.

Upserts: invoices and approvals by ``key``; ratings by (organization, rater, date); referrals and
intents by all their columns. Importing the same files again changes nothing. After a
import that changed anything (these files, or requests, involvements, touchpoints… the fit
reads), the fit placements are marked stale for everyone in the import's transaction
(:func:`after_import`): they are recomputed after the commit, or by the next read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from clientmap.directory.models import Organization, Person
from clientmap.fit.models import Approval, Intent, Invoice, Rating, Referral
from clientmap.imports.workbook import Report, Section, Sheet, register_after_write

INVOICE_COLUMNS = ["key", "organization", "amount", "currency", "issued", "due", "paid"]
APPROVAL_COLUMNS = ["key", "organization", "subject", "important", "asked", "answered"]
RATING_COLUMNS = ["organization", "rater", "score", "date", "comment"]
REFERRAL_COLUMNS = ["organization", "date", "kind", "note"]
INTENT_COLUMNS = ["organization", "date", "wants", "source"]
CHUNK = 2000


def _stash(engine, name: str) -> list:
    if not hasattr(engine, "accounts"):
        engine.accounts = {
            n: [] for n in ("invoices", "approvals", "ratings", "referrals", "intents")
        }
    return engine.accounts[name]


def after_import(report: Report) -> None:
    """Every import that changed something marks the fit placements stale (bulk writes send no
    model signals): in its transaction, recomputed once after the commit."""
    from clientmap.fit import signals

    signals.mark_everyone()


# --- staging: values checked line by line ---------------------------------------------------


def _dupes(sheet: Sheet, seen: dict, natural, line: int, column: str, value: str) -> bool:
    first = seen.get(natural)
    if first is not None:
        sheet.error(line, column, value, f"duplicate (same as line {first})")
        return True
    seen[natural] = line
    return False


def _stage_invoices(sheet: Sheet, engine) -> None:
    rows, seen = _stash(engine, "invoices"), {}
    for line, r in sheet.rows():
        if _dupes(sheet, seen, r["key"], line, "key", r["key"]):
            continue
        amount = sheet.decimal(line, "amount", r["amount"])  # required: checked by the sheet
        issued = sheet.date(line, "issued", r["issued"])
        due = sheet.date(line, "due", r["due"])
        paid = sheet.date(line, "paid", r["paid"])
        if issued and due and due < issued:
            sheet.error(line, "due", r["due"], "due before issued")
        if paid and issued and paid < issued:
            sheet.error(line, "paid", r["paid"], "paid before issued")
        currency = r["currency"].upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            sheet.error(line, "currency", r["currency"], "a three-letter currency code (EUR, USD…)")
        if amount is not None and amount < 0:
            sheet.error(line, "amount", r["amount"], "must not be negative")
        rows.append(
            (sheet.name, line, r["key"], r["organization"], amount, currency, issued, due, paid)
        )


def _stage_approvals(sheet: Sheet, engine) -> None:
    rows, seen = _stash(engine, "approvals"), {}
    for line, r in sheet.rows():
        if _dupes(sheet, seen, r["key"], line, "key", r["key"]):
            continue
        asked = sheet.date(line, "asked", r["asked"])
        answered = sheet.date(line, "answered", r["answered"])
        if asked and answered and answered < asked:
            sheet.error(line, "answered", r["answered"], "answered before asked")
        important = sheet.boolean(line, "important", r["important"])
        rows.append(
            (
                sheet.name,
                line,
                r["key"],
                r["organization"],
                r["subject"],
                important,
                asked,
                answered,
            )
        )


def _stage_ratings(sheet: Sheet, engine) -> None:
    rows, seen = _stash(engine, "ratings"), {}
    for line, r in sheet.rows():
        try:
            score = int(r["score"])
        except ValueError:
            score = None
        if score is None or not 1 <= score <= 5:
            sheet.error(line, "score", r["score"], "a whole number from 1 to 5")
        day = sheet.date(line, "date", r["date"])
        if _dupes(sheet, seen, (r["organization"], r["rater"], day), line, "date", r["date"]):
            continue
        rows.append((sheet.name, line, r["organization"], r["rater"], score, day, r["comment"]))


def _stage_referrals(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "referrals")
    for line, r in sheet.rows():
        kind = sheet.choice(line, "kind", r["kind"], Referral.Kind.values)
        rows.append(
            (
                sheet.name,
                line,
                r["organization"],
                sheet.date(line, "date", r["date"]),
                kind,
                r["note"],
            )
        )


def _stage_intents(sheet: Sheet, engine) -> None:
    rows = _stash(engine, "intents")
    for line, r in sheet.rows():
        wants = sheet.choice(line, "wants", r["wants"], Intent.Wants.values)
        rows.append(
            (
                sheet.name,
                line,
                r["organization"],
                sheet.date(line, "date", r["date"]),
                wants,
                r["source"],
            )
        )


# --- writing: references resolved in bulk, then bulk upserts ---------------------------------


def _ids(model, keys: Iterable[str]) -> dict[str, int]:
    keys = sorted(set(keys))
    out: dict[str, int] = {}
    for i in range(0, len(keys), CHUNK):
        out.update(model.objects.filter(key__in=keys[i : i + CHUNK]).values_list("key", "id"))
    return out


def _orgs(engine, rows: list, index: int = 3) -> dict[str, int]:
    orgs = _ids(Organization, (r[index] for r in rows))
    for r in rows:
        if r[index] not in orgs:
            engine.error(r[0], r[1], "organization", r[index], "unknown organization key")
    return orgs


def _existing(model, keys: list[str], fields: list[str]) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for i in range(0, len(keys), CHUNK):
        for row in model.objects.filter(key__in=keys[i : i + CHUNK]).values_list("key", *fields):
            out[row[0]] = row[1:]
    return out


def _upsert_by_key(
    model, objs: list, fields: list[str], existing: dict[str, tuple]
) -> tuple[int, int, int]:
    new = [o for o in objs if o.key not in existing]
    changed = [
        o
        for o in objs
        if o.key in existing and tuple(getattr(o, f) for f in fields) != existing[o.key]
    ]
    model.objects.bulk_create(new, batch_size=CHUNK)
    if changed:
        model.objects.bulk_create(
            changed,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=fields,
        )
    return len(new), len(changed), len(objs) - len(new) - len(changed)


def _write_invoices(engine, report: Report) -> None:
    rows = _stash(engine, "invoices")
    if not rows:
        return
    orgs = _orgs(engine, rows)
    engine.raise_errors()
    fields = ["organization_id", "amount", "currency", "issued", "due", "paid"]
    objs = [
        Invoice(key=k, organization_id=orgs[o], amount=a, currency=c, issued=i, due=d, paid=p)
        for _f, _l, k, o, a, c, i, d, p in rows
    ]
    existing = _existing(Invoice, [o.key for o in objs], fields)
    report.add("invoices", *_upsert_by_key(Invoice, objs, fields, existing))


def _write_approvals(engine, report: Report) -> None:
    rows = _stash(engine, "approvals")
    if not rows:
        return
    orgs = _orgs(engine, rows)
    engine.raise_errors()
    fields = ["organization_id", "subject", "important", "asked", "answered"]
    objs = [
        Approval(key=k, organization_id=orgs[o], subject=s, important=imp, asked=a, answered=ans)
        for _f, _l, k, o, s, imp, a, ans in rows
    ]
    existing = _existing(Approval, [o.key for o in objs], fields)
    report.add("approvals", *_upsert_by_key(Approval, objs, fields, existing))


def _write_ratings(engine, report: Report) -> None:
    rows = _stash(engine, "ratings")
    if not rows:
        return
    orgs = _orgs(engine, rows, 2)
    raters = _ids(Person, (r[3] for r in rows))
    for r in rows:
        if r[3] not in raters:
            engine.error(r[0], r[1], "rater", r[3], "unknown person key")
    engine.raise_errors()
    have = {
        (o, p, d): (s, c)
        for o, p, d, s, c in Rating.objects.filter(
            organization_id__in=set(orgs.values())
        ).values_list("organization_id", "rater_id", "date", "score", "comment")
    }
    new, changed = [], []
    for _f, _l, o, rater, score, day, comment in rows:
        natural = (orgs[o], raters[rater], day)
        obj = Rating(
            organization_id=natural[0], rater_id=natural[1], date=day, score=score, comment=comment
        )
        if natural not in have:
            new.append(obj)
        elif have[natural] != (score, comment):
            changed.append(obj)
    Rating.objects.bulk_create(new, batch_size=CHUNK)
    if changed:
        Rating.objects.bulk_create(
            changed,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["organization", "rater", "date"],
            update_fields=["score", "comment"],
        )
    report.add("ratings", len(new), len(changed), len(rows) - len(new) - len(changed))


def _write_natural(model, name: str, fields: tuple[str, str, str]):
    """Referrals and intents: a row is its own identity (all columns)."""

    def write(engine, report: Report) -> None:
        rows = _stash(engine, name)
        if not rows:
            return
        orgs = _orgs(engine, rows, 2)
        engine.raise_errors()
        a, b, c = fields
        have = set(
            model.objects.filter(organization_id__in=set(orgs.values())).values_list(
                "organization_id", a, b, c
            )
        )
        new = []
        for _f, _l, o, x, y, z in rows:
            natural = (orgs[o], x, y, z)
            if natural in have:
                continue
            have.add(natural)
            new.append(model(organization_id=orgs[o], **{a: x, b: y, c: z}))
        model.objects.bulk_create(new, batch_size=CHUNK)
        report.add(name, len(new), 0, len(rows) - len(new))

    return write


# --- export --------------------------------------------------------------------------------


def _export(name: str, header: list[str], rows: Callable[[], Iterable[tuple]]):
    def write(folder: Path) -> int:
        n = 0
        with open(Path(folder) / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows():
                w.writerow(["" if v is None else v for v in row])
                n += 1
        return n

    return write


def _d(v) -> str:
    return v.isoformat() if v else ""


def _invoice_rows():
    for k, o, a, c, i, d, p in (
        Invoice.objects.order_by("key")
        .values_list("key", "organization__key", "amount", "currency", "issued", "due", "paid")
        .iterator(chunk_size=5000)
    ):
        yield k, o, a, c, _d(i), _d(d), _d(p)


def _approval_rows():
    for k, o, s, imp, a, ans in (
        Approval.objects.order_by("key")
        .values_list("key", "organization__key", "subject", "important", "asked", "answered")
        .iterator(chunk_size=5000)
    ):
        yield k, o, s, "yes" if imp else "no", _d(a), _d(ans)


def _rating_rows():
    for o, r, s, d, c in Rating.objects.order_by(
        "organization__key", "date", "rater__key"
    ).values_list("organization__key", "rater__key", "score", "date", "comment"):
        yield o, r, s, _d(d), c


def _referral_rows():
    for o, d, k, n in Referral.objects.order_by("organization__key", "date", "kind").values_list(
        "organization__key", "date", "kind", "note"
    ):
        yield o, _d(d), k, n


def _intent_rows():
    for o, d, w, s in Intent.objects.order_by("organization__key", "date", "wants").values_list(
        "organization__key", "date", "wants", "source"
    ):
        yield o, _d(d), w, s


SECTIONS = [
    Section(
        "invoices.csv",
        INVOICE_COLUMNS,
        ["key", "organization", "amount", "issued", "due"],
        _stage_invoices,
        _write_invoices,
        _export("invoices.csv", INVOICE_COLUMNS, _invoice_rows),
        order=200,
        notes="accounts (K1, [fit](fit.md)); `amount` ≥ 0 (a decimal comma is fine), `due` not before `issued`; empty `paid`: not paid yet",
    ),
    Section(
        "approvals.csv",
        APPROVAL_COLUMNS,
        ["key", "organization", "asked"],
        _stage_approvals,
        _write_approvals,
        _export("approvals.csv", APPROVAL_COLUMNS, _approval_rows),
        order=210,
        notes="`important` yes/no; empty `answered`: still waiting",
    ),
    Section(
        "ratings.csv",
        RATING_COLUMNS,
        ["organization", "rater", "score", "date"],
        _stage_ratings,
        _write_ratings,
        _export("ratings.csv", RATING_COLUMNS, _rating_rows),
        order=220,
        notes="staff's rating 1–5 of how the customer is to work with; `rater` a person key; identified by organization, rater and date",
    ),
    Section(
        "referrals.csv",
        REFERRAL_COLUMNS,
        ["organization", "date", "kind"],
        _stage_referrals,
        _write_natural(Referral, "referrals", ("date", "kind", "note")),
        _export("referrals.csv", REFERRAL_COLUMNS, _referral_rows),
        order=230,
        notes="`kind`: referral, case study, public mention, award",
    ),
    Section(
        "intents.csv",
        INTENT_COLUMNS,
        ["organization", "date", "wants"],
        _stage_intents,
        _write_natural(Intent, "intents", ("date", "wants", "source")),
        _export("intents.csv", INTENT_COLUMNS, _intent_rows),
        order=240,
        notes="`wants`: renew, expand, reduce, leave",
    ),
]

register_after_write(after_import)

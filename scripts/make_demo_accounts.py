"""The demo's accounts (K1): invoices, approvals, ratings, referrals and intents for the demo's
customer organizations, so that each of the four fit groups has a member on first run.

* **National Space Agency** — group 1: pays a couple of days early, answers in two days, a
  pleasure to work with (ratings 5), published a case study, wants to expand.
* **Meridian Bank** (when the demo has it; else Harbor Health) — group 2, and the largest by
  revenue: polite (ratings 4–5) and wants to renew, but pays 40–75 days late most months, leaves
  the last invoices unpaid and lets important approvals wait a month.
* **Harbor Health Clinics** — group 3: pays on time, friendly, but says it will reduce.
* **City Library** — group 4: late and unpaid invoices, slow approvals, hard to work with
  (ratings 2), says it will leave.
* **Northwind Logistics** (when the demo has it) — group 1: pays on time, renews.

Run ``python scripts/make_demo_accounts.py`` to (re)write the five files into the demo folder
``clientmap/imports/demo/``, dated relative to the demo's own "today" (its newest request); the
demo loader moves every date to the day it is loaded, like the other files.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

RATERS = ("aur-cio", "aur-ceo")
FILES = {
    "invoices.csv": ["key", "organization", "amount", "currency", "issued", "due", "paid"],
    "approvals.csv": ["key", "organization", "subject", "important", "asked", "answered"],
    "ratings.csv": ["organization", "rater", "score", "date", "comment"],
    "referrals.csv": ["organization", "date", "kind", "note"],
    "intents.csv": ["organization", "date", "wants", "source"],
}

# organization: (monthly amount, [days late per month, newest last; None = unpaid],
#   [(days the important approvals waited)], ratings, referrals, intent)
PROFILES = {
    "space-agency": (
        40_000,
        [-2] * 12,
        [1, 2, 2, 3],
        [(5, "Open and quick to decide"), (5, "A pleasure")],
        [("case_study", "Flight Centre expense case study"), ("public_mention", "Conference talk")],
        ("expand", "Quarterly review: mobile app for all centres"),
    ),
    "meridian": (
        90_000,
        [45, 60, 0, 52, 75, 40, 66, 0, 58, 70, None, None],
        [28, 35, 41, 33, 45],
        [(5, "Always courteous"), (4, "Polite, slow to approve")],
        [],
        ("renew", "Renewal call with procurement"),
    ),
    "harbor-health": (
        8_000,
        [0] * 12,
        [2, 4, 3],
        [(4, "Friendly clinic IT"), (4, "")],
        [("referral", "Recommended us to a sister clinic")],
        ("reduce", "Budget cut announced at the steering committee"),
    ),
    "city-library": (
        1_500,
        [35, 0, 50, 80, 30, 0, 45, 60, 38, None, 70, None],
        [20, 30, 40],
        [(2, "Reopens agreed scope"), (2, "Hard to reach")],
        [],
        ("leave", "Tender announced for next year"),
    ),
    "northwind": (
        12_000,
        [0] * 12,
        [2, 3],
        [(5, "Clear and friendly"), (4, "")],
        [],
        ("renew", "Account review"),
    ),
}


def _month(today: date, back: int) -> date:
    y, m = today.year, today.month - back
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 5)


def rows(today: date, organizations: set[str]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {name: [] for name in FILES}
    for org, (amount, lateness, waits, ratings, referrals, intent) in PROFILES.items():
        if org not in organizations:
            continue
        for i, late in enumerate(lateness):
            issued = _month(today, len(lateness) - i)
            due = issued + timedelta(days=30)
            paid = None if late is None else due + timedelta(days=late)
            if paid is not None and paid > today:
                paid = None
            out["invoices.csv"].append(
                (f"{org}/{issued:%Y-%m}", org, f"{amount:.2f}", "EUR", issued, due, paid or "")
            )
        for i, wait in enumerate(waits):
            asked = today - timedelta(days=40 + 45 * i)
            answered = asked + timedelta(days=wait)
            out["approvals.csv"].append(
                (
                    f"{org}/approval-{i + 1}",
                    org,
                    "Change request" if i % 2 else "Release sign-off",
                    "yes",
                    asked,
                    answered if answered <= today else "",
                )
            )
        out["approvals.csv"].append(
            (f"{org}/approval-minor", org, "Logo colour", "no", today - timedelta(days=20), "")
        )
        for i, (score, comment) in enumerate(ratings):
            out["ratings.csv"].append(
                (org, RATERS[i % len(RATERS)], score, today - timedelta(days=15 + 30 * i), comment)
            )
        for i, (kind, note) in enumerate(referrals):
            out["referrals.csv"].append((org, today - timedelta(days=60 + 90 * i), kind, note))
        wants, source = intent
        out["intents.csv"].append((org, today - timedelta(days=10), wants, source))
    return out


def write(folder: Path, today: date, organizations: set[str]) -> None:
    for name, data in rows(today, organizations).items():
        with open(Path(folder) / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(FILES[name])
            for r in data:
                w.writerow([v.isoformat() if isinstance(v, date) else v for v in r])


def main(folder: Path | None = None) -> None:
    folder = folder or Path(__file__).resolve().parent.parent / "clientmap" / "imports" / "demo"
    with open(folder / "requests.csv", newline="", encoding="utf-8") as fh:
        today = max(date.fromisoformat(r["opened"]) for r in csv.DictReader(fh))
    with open(folder / "organizations.csv", newline="", encoding="utf-8") as fh:
        organizations = {r["key"] for r in csv.DictReader(fh)}
    write(folder, today, organizations)
    print(f"accounts written to {folder} (as of {today})")


if __name__ == "__main__":
    main()

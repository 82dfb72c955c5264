"""A deterministic synthetic world in the workbook format, at any scale.

``python -m bench.world DIR --requests 1000000`` writes the CSV files. The other counts scale
with the number of requests unless given: people = requests / 10, teams = requests / 500,
organizations = requests / 100, involvements = 0.3 × requests (the issue's default world:
100 000 people, 2 000 teams, 1 000 000 requests, 300 000 involvements, 10 000 organizations).
The same arguments always give the same files.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

STATUSES = ["submitted", "accepted", "in_progress", "fulfilled", "declined", "withdrawn"]
STATUS_WEIGHTS = [5, 10, 10, 60, 10, 5]
PAYMENTS = ["cash", "trade", "chargeback", "internal", "free"]
ROLES = ["decides", "specifies", "implements"]


@dataclass
class Scale:
    requests: int = 1_000_000
    people: int | None = None
    teams: int | None = None
    organizations: int | None = None
    involvements: int | None = None
    seed: int = 2026

    def __post_init__(self) -> None:
        n = self.requests
        self.people = self.people or max(10, n // 10)
        self.teams = self.teams or max(2, n // 500)
        self.organizations = self.organizations or max(2, n // 100)
        self.involvements = self.involvements if self.involvements is not None else int(n * 0.3)


def write(folder: Path, scale: Scale, today: date | None = None) -> dict[str, int]:
    """Write the world; returns rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(scale.seed)
    today = today or date(2026, 11, 1)
    counts: dict[str, int] = {}
    h = _schema().header  # the headers of the one schema (amount and currency left out)

    def out(name: str, header: list[str], rows) -> None:
        n = 0
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows:
                w.writerow(row)
                n += 1
        counts[name] = n

    n_org = scale.organizations
    out(
        "organizations.csv",
        h("organizations.csv"),
        ((f"o{i}", f"Organization {i}", "yes" if i == 0 else "") for i in range(n_org)),
    )
    # The home organization has most units; every other organization has one.
    home_units = max(10, scale.teams // 2)
    units = [
        (f"u{i}", "o0", f"Unit {i}", f"u{(i - 1) // 5}" if i else "") for i in range(home_units)
    ]
    units += [(f"u-o{i}", f"o{i}", f"Unit of organization {i}", "") for i in range(1, n_org)]
    out("units.csv", h("units.csv"), units)

    # 60 % of people work at home, the rest in the other organizations.
    def person(i: int) -> tuple:
        if i < scale.people * 0.6:
            org, unit = "o0", f"u{i % home_units}"
        else:
            o = 1 + i % (n_org - 1)
            org, unit = f"o{o}", f"u-o{o}"
        manager = f"p{(i - 1) // 8}" if i else ""
        if manager and i >= scale.people * 0.6:
            manager = ""  # external people: no manager chain across organizations
        return (f"p{i}", f"Person {i}", f"p{i}@example.org", org, unit, manager, "")

    out(
        "people.csv",
        h("people.csv"),
        (person(i) for i in range(scale.people)),
    )
    out(
        "teams.csv",
        h("teams.csv"),
        ((f"t{i}", f"Team {i}", f"u{i % home_units}") for i in range(scale.teams)),
    )
    home_people = int(scale.people * 0.6)
    out(
        "team_members.csv",
        h("team_members.csv"),
        ((f"t{i // 5}", f"p{i}") for i in range(min(scale.teams * 5, home_people))),
    )
    services = scale.teams * 3
    out(
        "services.csv",
        h("services.csv"),
        ((f"s{i}", f"Service {i}", f"t{i // 3}", "live") for i in range(services)),
    )
    edges: set[tuple[str, str]] = set()
    for i in range(services):
        for _ in range(2):
            j = rnd.randrange(services)
            if j != i:
                edges.add((f"s{i}", f"s{j}"))
    for o in range(1, n_org):
        edges.add((f"o{o}", f"s{rnd.randrange(services)}"))
    for u in range(home_units):
        edges.add((f"u{u}", f"s{rnd.randrange(services)}"))
    out("consumes.csv", h("consumes.csv"), sorted(edges))

    def request(i: int) -> tuple:
        requester = rnd.randrange(scale.people)
        external = requester >= home_people
        status = rnd.choices(STATUSES, STATUS_WEIGHTS)[0]
        payment = rnd.choice(["cash", "trade", "free"]) if external else rnd.choice(PAYMENTS[2:])
        opened = today - timedelta(days=rnd.randrange(900))
        accepted = (
            opened + timedelta(days=rnd.randrange(10))
            if status not in ("submitted", "declined", "withdrawn")
            else None
        )
        closed = (
            accepted + timedelta(days=rnd.randrange(60))
            if status == "fulfilled" and accepted
            else None
        )
        team = rnd.randrange(scale.teams)
        return (
            f"r{i}",
            f"p{requester}",
            f"t{team}",
            f"s{team * 3 + rnd.randrange(3)}",
            status,
            payment,
            opened.isoformat(),
            accepted.isoformat() if accepted else "",
            "",
            closed.isoformat() if closed else "",
            f"Request {i}",
        )

    out(
        "requests.csv",
        h("requests.csv", without=("amount", "currency")),
        (request(i) for i in range(scale.requests)),
    )

    def involvement(i: int) -> tuple:
        team = rnd.randrange(scale.teams)
        return (
            f"p{rnd.randrange(scale.people)}",
            f"t{team}",
            f"s{team * 3 + rnd.randrange(3)}",
            rnd.choice(ROLES),
            (today - timedelta(days=rnd.randrange(900))).isoformat(),
            f"bench {i}",
            "",
        )

    out(
        "involvements.csv",
        h("involvements.csv"),
        (involvement(i) for i in range(scale.involvements)),
    )
    return counts


def _schema():
    """clientmap.imports.schema, with Django set up first when this runs outside it (the
    schema reads the models' enumerations)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from clientmap.imports import schema

    return schema


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    counts = write(args.folder, Scale(requests=args.requests, seed=args.seed))
    for name, n in counts.items():
        print(f"{name:<20} {n:>10}")


if __name__ == "__main__":
    main()

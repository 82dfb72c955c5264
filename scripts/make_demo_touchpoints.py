"""Write clientmap/imports/demo/touchpoints.csv: the demo's experience story (X1).

Deterministic (seeded). Reads the demo's requests.csv and team_members.csv and writes answered
surveys for about a quarter of the requests fulfilled in the demo's last year, and a few
meetings and calls:

* **Implementation services** (t-impl) is liked — its answers are 4s and 5s — although a third
  of its deliveries are late: a good CSAT beside missed promises;
* elsewhere a late delivery tends to score low and an on-time one high (as in the real Olist
  reviews: late orders average 2.5 stars, on-time 4.3);
* **Dana Whitfield** (nsa-appdir), who signs the Flight Centre's purchase orders for Sales and
  accounts (t-sales) — a paying customer — is never asked: she tops t-sales's never-asked list.

``python scripts/make_demo_touchpoints.py`` (run again after scripts/make_demo.py).
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "clientmap" / "imports" / "demo"
LIKED = "t-impl"
NEVER_ASKED = "nsa-appdir"


def main(folder: Path | None = None) -> None:
    demo = folder or DEMO
    rnd = random.Random(2026)
    requests = list(csv.DictReader(open(demo / "requests.csv", encoding="utf-8")))
    members = {
        (r["team"], r["person"])
        for r in csv.DictReader(open(demo / "team_members.csv", encoding="utf-8"))
    }
    anchor = max(date.fromisoformat(r["opened"]) for r in requests)
    since = anchor - timedelta(days=365)
    rows = []
    for r in requests:
        if r["status"] != "fulfilled" or not r["closed"] or r["requester"] == NEVER_ASKED:
            continue
        closed = date.fromisoformat(r["closed"])
        if closed < since or (r["team"], r["requester"]) in members or rnd.random() > 0.25:
            continue
        late = bool(r["target"]) and r["closed"] > r["target"]
        if r["team"] == LIKED:
            weights = [0, 0, 1, 4, 6]
        elif late:
            weights = [4, 3, 2, 1, 1]
        else:
            weights = [1, 1, 2, 4, 5]
        score = rnd.choices([1, 2, 3, 4, 5], weights)[0]
        at = min(closed + timedelta(days=rnd.randrange(1, 4)), anchor)
        rows.append(
            [
                f"demo-a-{r['key']}",
                r["requester"],
                r["team"],
                r["service"],
                r["key"],
                "survey",
                f"{at.isoformat()}T{9 + rnd.randrange(8):02d}:{rnd.randrange(60):02d}:00+00:00",
                score,
                "",
            ]
        )
    rows.append(
        [
            "demo-m-1",
            NEVER_ASKED,
            "t-impl",
            "svc-onboarding",
            "REQ-1002",
            "meeting",
            (anchor - timedelta(days=60)).isoformat(),
            "",
            "Roll-out kick-off at the Flight Centre",
        ]
    )
    rows.append(
        [
            "demo-m-2",
            NEVER_ASKED,
            "t-impl",
            "svc-onboarding",
            "REQ-1002",
            "call",
            (anchor - timedelta(days=20)).isoformat(),
            "",
            "Weekly roll-out call",
        ]
    )
    rows.append(
        [
            "demo-m-3",
            NEVER_ASKED,
            "t-sales",
            "svc-licences",
            "",
            "mail",
            (anchor - timedelta(days=30)).isoformat(),
            "",
            "Renewal offer for the seats",
        ]
    )
    with open(demo / "touchpoints.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["key", "person", "team", "service", "request", "kind", "at", "score", "comment"]
        )
        w.writerows(rows)
    print(f"{len(rows)} touchpoints")


if __name__ == "__main__":
    main()

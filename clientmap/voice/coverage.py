"""W1 — voice of the customer, measured. **Coverage**: the share of wishes, and of votes, that
existing services already cover (a wish is covered when it is triaged "already covered" or
linked to a live service; merged duplicates never count twice). **Attestation**: of the people
asked after a wish was delivered, how many answered and how many say it helped — the seed's
virtuous cycle (we care → we act → customers attest).

Both are read from **one grouped query over the wishes**: the live wishes grouped by the
author's side (internal or external) and whether they are covered, each group with its wishes,
its votes (the exact ``Wish.vote_count`` every vote, unvote and merge keeps — no join to the
vote table), the wishes acted on, delivered and attested; plus one aggregate over the
attestations. The coverage page and the API read both (:func:`figures`: two queries).
"""

from __future__ import annotations

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from clientmap.catalog.models import Service
from clientmap.voice.models import Attestation, Wish

ACTED = (Wish.Status.PLANNED, Wish.Status.IN_PROGRESS, Wish.Status.DELIVERED)
SIDES = ("all", "internal", "external")


def _covered_q() -> Q:
    """Triaged "already covered", or linked to a live service. An uncorrelated ``IN
    (SELECT …)``: the covered ids are read once (a hashed set), not probed once per wish — and
    the planner's estimate stays small (PostgreSQL compiled the correlated form with its JIT,
    seconds for a query that runs in milliseconds)."""
    links = Wish.covered_by.through.objects.filter(service__status=Service.Status.LIVE)
    return Q(status=Wish.Status.ALREADY_COVERED) | Q(pk__in=links.values("wish_id"))


def _groups(team=None) -> QuerySet:
    """The live wishes (of ``team``) grouped by (internal, covered): one aggregate query.
    Internal: the author belongs to the home organization (at most one: a constraint)."""
    qs = Wish.objects.filter(merged_into__isnull=True)
    if team is not None:
        qs = qs.filter(team=team)
    flag = {"default": Value(0), "output_field": IntegerField()}
    attested = Attestation.objects.filter(helped=True).values("wish_id")
    return (
        qs.annotate(
            internal=Case(When(Q(author__organization__is_home=True), then=Value(1)), **flag),
            covered=Case(When(_covered_q(), then=Value(1)), **flag),
        )
        .order_by()
        .values("internal", "covered")
        .annotate(
            wishes=Count("id"),
            votes=Sum("vote_count"),
            acted=Count("id", filter=Q(status__in=ACTED)),
            delivered=Count("id", filter=Q(status=Wish.Status.DELIVERED)),
            attested=Count("id", filter=Q(pk__in=attested)),
        )
    )


def _coverage(groups: list[dict]) -> dict:
    out = {
        side: {"wishes": 0, "covered_wishes": 0, "votes": 0, "covered_votes": 0} for side in SIDES
    }
    for g in groups:
        for side in ("all", "internal" if g["internal"] else "external"):
            agg = out[side]
            agg["wishes"] += g["wishes"]
            agg["votes"] += g["votes"] or 0
            if g["covered"]:
                agg["covered_wishes"] += g["wishes"]
                agg["covered_votes"] += g["votes"] or 0
    for agg in out.values():
        agg["wish_share"] = _share(agg["covered_wishes"], agg["wishes"])
        agg["vote_share"] = _share(agg["covered_votes"], agg["votes"])
    return out


def _attestation(groups: list[dict], team=None) -> dict:
    atts = Attestation.objects.all()
    if team is not None:
        atts = atts.filter(wish__team=team)
    a = atts.aggregate(
        asked=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        helped=Count("id", filter=Q(helped=True)),
    )
    return {
        "wishes": sum(g["wishes"] for g in groups),
        "acted_on": sum(g["acted"] for g in groups),
        "delivered": sum(g["delivered"] for g in groups),
        "asked": a["asked"],
        "answered": a["answered"],
        "helped": a["helped"],
        "answer_rate": _share(a["answered"], a["asked"]),
        "attestation_rate": _share(a["helped"], a["answered"]),
        "wishes_attested": sum(g["attested"] for g in groups),
    }


def coverage(team=None) -> dict:
    """Share of wishes, and of votes, that existing services already cover, overall and split
    by the author's side (internal: of the home organization; external: every other wish).
    One aggregate query."""
    return _coverage(list(_groups(team)))


def attestation(team=None) -> dict:
    """Customers asked, wishes acted on, wishes attested: the virtuous cycle in numbers (two
    aggregate queries)."""
    return _attestation(list(_groups(team)), team)


def figures(team=None) -> dict:
    """``{"coverage": …, "attestation": …}`` in two queries: the grouped wishes, read once for
    both, and the attestations."""
    groups = list(_groups(team))
    return {"coverage": _coverage(groups), "attestation": _attestation(groups, team)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

"""W1 — voice of the customer, measured. **Coverage**: the share of wishes, and of votes, that
existing services already cover (a wish is covered when it is triaged "already covered" or
linked to a live service; merged duplicates never count twice). **Attestation**: of the people
asked after a wish was delivered, how many answered and how many say it helped — the seed's
virtuous cycle (we care → we act → customers attest).
"""

from __future__ import annotations

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from clientmap.catalog.models import Service
from clientmap.directory.models import Organization
from clientmap.voice.models import Attestation, Vote, Wish


def _covered_q() -> Q:
    live = Service.objects.filter(covered_wishes=OuterRef("pk"), status=Service.Status.LIVE)
    return Q(status=Wish.Status.ALREADY_COVERED) | Q(Exists(live))


def coverage(team=None) -> dict:
    """Share of wishes, and of votes, that existing services already cover, overall and split
    by the author's side (internal: of the home organization; external: every other wish).

    One aggregate query: the wishes grouped by (internal, covered), each with its votes."""
    qs = Wish.objects.filter(merged_into__isnull=True)
    if team is not None:
        qs = qs.filter(team=team)
    home = Organization.objects.filter(is_home=True).values_list("id", flat=True).first()
    votes = (
        Vote.objects.filter(wish=OuterRef("pk"))
        .order_by()
        .values("wish")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    flag = {"default": Value(0), "output_field": IntegerField()}
    groups = (
        qs.annotate(
            internal=Case(When(Q(author__organization_id=home), then=Value(1)), **flag),
            covered=Case(When(_covered_q(), then=Value(1)), **flag),
            n_votes=Coalesce(Subquery(votes, output_field=IntegerField()), 0),
        )
        .order_by()
        .values("internal", "covered")
        .annotate(wishes=Count("id"), votes=Sum("n_votes"))
    )
    out = {
        side: {"wishes": 0, "covered_wishes": 0, "votes": 0, "covered_votes": 0}
        for side in ("all", "internal", "external")
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


def attestation(team=None) -> dict:
    """Customers asked, wishes acted on, wishes attested: the virtuous cycle in numbers (two
    aggregate queries)."""
    wishes = Wish.objects.filter(merged_into__isnull=True)
    atts = Attestation.objects.all()
    if team is not None:
        wishes = wishes.filter(team=team)
        atts = atts.filter(wish__team=team)
    a = atts.aggregate(
        asked=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        helped=Count("id", filter=Q(helped=True)),
    )
    helped = Attestation.objects.filter(wish=OuterRef("pk"), helped=True)
    w = wishes.aggregate(
        wishes=Count("id"),
        acted=Count(
            "id",
            filter=Q(
                status__in=[Wish.Status.PLANNED, Wish.Status.IN_PROGRESS, Wish.Status.DELIVERED]
            ),
        ),
        delivered=Count("id", filter=Q(status=Wish.Status.DELIVERED)),
        attested=Count("id", filter=Q(Exists(helped))),
    )
    return {
        "wishes": w["wishes"],
        "acted_on": w["acted"],
        "delivered": w["delivered"],
        "asked": a["asked"],
        "answered": a["answered"],
        "helped": a["helped"],
        "answer_rate": _share(a["answered"], a["asked"]),
        "attestation_rate": _share(a["helped"], a["answered"]),
        "wishes_attested": w["attested"],
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

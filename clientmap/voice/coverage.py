"""W1 — voice of the customer, measured. **Coverage**: the share of wishes, and of votes, that
existing services already cover (a wish is covered when it is triaged "already covered" or
linked to a live service; merged duplicates never count twice). **Attestation**: of the people
asked after a wish was delivered, how many answered and how many say it helped — the seed's
virtuous cycle (we care → we act → customers attest).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from clientmap.catalog.models import Service
from clientmap.directory.models import Organization
from clientmap.voice.models import Attestation, Vote, Wish


def _covered_q() -> Q:
    live = Service.objects.filter(covered_wishes=OuterRef("pk"), status=Service.Status.LIVE)
    return Q(status=Wish.Status.ALREADY_COVERED) | Q(Exists(live))


def coverage(team=None) -> dict:
    """Share of wishes, and of votes, that existing services already cover, overall and split
    by the author's side (internal / external)."""
    qs = Wish.objects.filter(merged_into__isnull=True)
    if team is not None:
        qs = qs.filter(team=team)
    home = Organization.objects.filter(is_home=True).values_list("id", flat=True).first()
    covered = _covered_q()
    out = {}
    for side, cond in (
        ("all", Q()),
        ("internal", Q(author__organization_id=home)),
        ("external", ~Q(author__organization_id=home)),
    ):
        side_qs = qs.filter(cond)
        covered_qs = side_qs.filter(covered)
        agg = {"wishes": side_qs.count(), "covered_wishes": covered_qs.count()}
        votes = Vote.objects.filter(wish__in=side_qs.values("pk"))
        agg["votes"] = votes.count()
        agg["covered_votes"] = votes.filter(wish__in=covered_qs.values("pk")).count()
        agg["wish_share"] = _share(agg["covered_wishes"], agg["wishes"])
        agg["vote_share"] = _share(agg["covered_votes"], agg["votes"])
        out[side] = agg
    return out


def attestation(team=None) -> dict:
    """Customers asked, wishes acted on, wishes attested: the virtuous cycle in numbers."""
    wishes = Wish.objects.filter(merged_into__isnull=True)
    atts = Attestation.objects.all()
    if team is not None:
        wishes = wishes.filter(team=team)
        atts = atts.filter(wish__team=team)
    asked = atts.count()
    answered = atts.filter(answered_at__isnull=False).count()
    helped = atts.filter(helped=True).count()
    acted = wishes.filter(
        status__in=[Wish.Status.PLANNED, Wish.Status.IN_PROGRESS, Wish.Status.DELIVERED]
    ).count()
    attested = wishes.filter(attestations__helped=True).distinct().count()
    return {
        "wishes": wishes.count(),
        "acted_on": acted,
        "delivered": wishes.filter(status=Wish.Status.DELIVERED).count(),
        "asked": asked,
        "answered": answered,
        "helped": helped,
        "answer_rate": _share(answered, asked),
        "attestation_rate": _share(helped, answered),
        "wishes_attested": attested,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

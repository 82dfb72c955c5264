"""Reading wishes: what a person may see, similar wishes, coverage and attestation rates."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from django.db.models import Exists, OuterRef, Q, QuerySet

from clientmap.catalog.models import Service
from clientmap.core import hooks
from clientmap.core.roles import is_staff, person_of
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Organization
from clientmap.voice.models import Attestation, Vote, Wish


def visible_wishes(user) -> QuerySet[Wish]:
    """Staff see everything; others see public wishes and their own organization's private
    ones — never another organization's."""
    qs = Wish.objects.filter(merged_into__isnull=True)
    if is_staff(user):
        return qs
    person = person_of(user)
    if person is None:
        return qs.none()
    return qs.filter(
        Q(visibility=Wish.Visibility.PUBLIC) | Q(author__organization_id=person.organization_id)
    )


# --- similar wishes: character trigrams, no model, any alphabet ----------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, accents stripped (á → a, ё → е), punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain))


def trigrams(text: str) -> Counter:
    grams: Counter = Counter()
    for word in normalise(text).split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character trigrams: 1.0 for the same words, 0.0 for nothing shared."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    shared = sum((ta & tb).values())
    return 2 * shared / (sum(ta.values()) + sum(tb.values()))


def similar(text: str, candidates: QuerySet[Wish], *, limit: int = 5, floor: float = 0.3):
    """The wishes most like ``text`` (title weighs double), best first."""
    if len(normalise(text)) < 4:
        return []
    scored = []
    for wish in candidates.only("id", "key", "title", "text", "vote_count", "status")[:20000]:
        score = max(similarity(text, wish.title), 0.5 * similarity(text, wish.text or ""))
        if score >= floor:
            scored.append((score, wish))
    scored.sort(key=lambda x: (-x[0], -x[1].vote_count))
    return [w for _, w in scored[:limit]]


# --- coverage (W1) -------------------------------------------------------------------------


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


def weights(wish: Wish) -> dict:
    """Who is behind a wish: its voters by kind of customer (C1/C2)."""
    voters = Vote.objects.filter(wish=wish).values_list("person_id", flat=True)
    kinds = dict(
        CustomerRelation.objects.filter(person_id__in=voters, is_customer=True)
        .values_list("person_id", "kind")
        .order_by()
    )
    counts = Counter(kinds.get(p, "none") for p in voters)
    return dict(counts)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- demand weighted by who asks -----------------------------------------------------------

DEFAULT_WEIGHTS = {"external_paying": 3, "customer": 2, "other": 1}
# Extra weight of a vote by the fit group (K1) of the voter's organization, added by the
# accounts area through the ``demand_weight_cases`` hook: key accounts' votes count most,
# group 3 (we want them, they are not happy) next. Override with
# CLIENTMAP["VOICE_GROUP_WEIGHTS"] ({group: extra}).
DEFAULT_GROUP_WEIGHTS = {1: 2, 2: 0, 3: 1, 4: 0}


def group_weights() -> dict[int, int]:
    from django.conf import settings

    extra = {int(k): int(v) for k, v in settings.CLIENTMAP.get("VOICE_GROUP_WEIGHTS", {}).items()}
    return {**DEFAULT_GROUP_WEIGHTS, **extra}


def demand_weights() -> dict[str, int]:
    """Weights of a vote by who casts it; override with CLIENTMAP["VOICE_WEIGHTS"]."""
    from django.conf import settings

    return {**DEFAULT_WEIGHTS, **settings.CLIENTMAP.get("VOICE_WEIGHTS", {})}


def with_demand(qs: QuerySet[Wish]) -> QuerySet[Wish]:
    """Annotate ``demand``: the sum over a wish's votes of each voter's weight — a paying
    external customer counts most, any other customer (internal, or external non-paying) next,
    anyone else least. Accounts (fit group, revenue) add their clauses first through the
    ``demand_weight_cases`` hook of ``clientmap.core.hooks``."""
    from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When
    from django.db.models.functions import Coalesce

    w = demand_weights()
    paying = CustomerRelation.objects.filter(
        person=OuterRef("person"), is_customer=True, kind="external_paying"
    )
    customer = CustomerRelation.objects.filter(person=OuterRef("person"), is_customer=True)
    weighted = (
        Vote.objects.filter(wish=OuterRef("pk"))
        .annotate(
            weight=Case(
                *hooks.demand_weight_cases(OuterRef("person"), w),
                When(Exists(paying), then=Value(w["external_paying"])),
                When(Exists(customer), then=Value(w["customer"])),
                default=Value(w["other"]),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("wish")
        .annotate(total=Sum("weight"))
        .values("total")[:1]
    )
    return qs.annotate(demand=Coalesce(Subquery(weighted, output_field=IntegerField()), 0))

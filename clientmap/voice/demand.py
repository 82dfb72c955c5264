"""W1 — voice of the customer, weighed: one vote per person per wish, and the **weighted demand**
of a wish — each vote weighs by who casts it (a paying external customer most, any other
customer next, anyone else least; configurable with ``CLIENTMAP["VOICE_WEIGHTS"]``; upper layers
add weights through the ``demand_weight_cases`` hook).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Exists, OuterRef, QuerySet

from clientmap.core import hooks
from clientmap.customers.models import CustomerRelation
from clientmap.voice.models import Vote, Wish


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


def weight(voter):
    """The weight of one vote by ``voter`` (an expression naming the voter's person id)."""
    from django.db.models import Case, IntegerField, Value, When

    w = demand_weights()
    paying = CustomerRelation.objects.filter(person=voter, is_customer=True, kind="external_paying")
    customer = CustomerRelation.objects.filter(person=voter, is_customer=True)
    return Case(
        *hooks.demand_weight_cases(voter, w),
        When(Exists(paying), then=Value(w["external_paying"])),
        When(Exists(customer), then=Value(w["customer"])),
        default=Value(w["other"]),
        output_field=IntegerField(),  # pragma: no mutate (Django infers the same integer type)
    )


def demand_expression():
    """The weighted demand of the wish ``OuterRef("pk")`` names, computed from its votes."""
    from django.db.models import IntegerField, Subquery, Sum
    from django.db.models.functions import Coalesce

    weighted = (
        Vote.objects.filter(wish=OuterRef("pk"))
        .annotate(weight=weight(OuterRef("person")))
        .order_by()
        .values("wish")
        .annotate(total=Sum("weight"))
        .values("total")[:1]  # pragma: no mutate (grouped by the one wish: one row at most)
    )
    total = Subquery(weighted, output_field=IntegerField())  # pragma: no mutate (as inferred)
    return Coalesce(total, 0)


def with_demand(qs: QuerySet[Wish]) -> QuerySet[Wish]:
    """Annotate ``demand``: the sum over a wish's votes of each voter's weight — a paying
    external customer counts most, any other customer (internal, or external non-paying) next,
    anyone else least. Accounts (fit group, revenue) add their clauses first through the
    ``demand_weight_cases`` hook of ``clientmap.core.hooks``.

    This computes it over every vote: the reference. Pages, the API and the overview read the
    same figure stored on the wish (``stored_demand``, kept current by ``clientmap.voice.store``).
    """
    return qs.annotate(demand=demand_expression())


def stored_demand(qs: QuerySet[Wish]) -> QuerySet[Wish]:
    """Annotate ``demand`` from the stored column ``Wish.weighted_demand`` (indexed: sorting by
    it is an index scan). Equal to ``with_demand`` whenever the derived tables are current."""
    from django.db.models import F

    return qs.annotate(demand=F("weighted_demand"))

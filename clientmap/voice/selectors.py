"""Reading wishes: what a person may see and similar wishes; coverage and attestation rates
(``coverage``) and weighted demand (``demand``) are re-exported here for views, API and CLI."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from django.db.models import Q, QuerySet

from clientmap.core.roles import is_staff, person_of
from clientmap.voice.coverage import attestation, coverage, figures
from clientmap.voice.demand import (
    DEFAULT_GROUP_WEIGHTS,
    DEFAULT_WEIGHTS,
    demand_weights,
    group_weights,
    stored_demand,
    weights,
    with_demand,
)
from clientmap.voice.models import Wish


def visible_wishes(user, *, merged: bool = False) -> QuerySet[Wish]:
    """Staff see everything; others see public wishes and their own organization's private
    ones — never another organization's. Merged duplicates are left out unless ``merged``."""
    qs = Wish.objects.all() if merged else Wish.objects.filter(merged_into__isnull=True)
    if is_staff(user):
        return qs
    person = person_of(user)
    if person is None:
        return qs.none()
    return qs.filter(
        Q(visibility=Wish.Visibility.PUBLIC) | Q(author__organization_id=person.organization_id)
    )


def resolve_wish(user, key: str) -> tuple[Wish, Wish]:
    """``(named, live)``: the wish ``key`` names and the one that carries its votes now (itself,
    or the survivor it was merged into). Raises ``Wish.DoesNotExist`` unless the user may see
    both — a wish of another organization is "not found", never "forbidden", and a visible
    duplicate never opens a path to an invisible survivor (or the other way round)."""
    visible = visible_wishes(user, merged=True)
    named = visible.select_related("author", "team").get(key=key)
    live, seen = named, {named.pk}
    while live.merged_into_id is not None:
        nxt = visible.select_related("author", "team").filter(pk=live.merged_into_id).first()
        if nxt is None or nxt.pk in seen:
            raise Wish.DoesNotExist
        seen.add(nxt.pk)
        live = nxt
    return named, live


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


__all__ = [
    "DEFAULT_GROUP_WEIGHTS",
    "DEFAULT_WEIGHTS",
    "attestation",
    "coverage",
    "demand_weights",
    "figures",
    "group_weights",
    "normalise",
    "similar",
    "similarity",
    "stored_demand",
    "trigrams",
    "visible_wishes",
    "weights",
    "with_demand",
]

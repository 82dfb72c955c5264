"""Directory pages: organizations, their units and people."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from clientmap.core.decorators import internal_required
from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Organization, Person, Unit


@internal_required
def organizations(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = Organization.objects.all()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q))
    qs = qs.annotate(
        n_people=Count("people", distinct=True), n_units=Count("units", distinct=True)
    ).order_by("-is_home", "name")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "directory/organizations.html", {"page": page, "q": q})


def _tree(units: list[Unit]) -> list[tuple[Unit, int]]:
    """Units in tree order with their depth (parents first)."""
    children: dict[int | None, list[Unit]] = {}
    ids = {u.pk for u in units}
    for u in units:
        parent = u.parent_id if u.parent_id in ids else None
        children.setdefault(parent, []).append(u)
    out: list[tuple[Unit, int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        u, depth = stack.pop()
        if u.pk in seen:
            continue
        seen.add(u.pk)
        out.append((u, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(u.pk, [])))
    return out


@internal_required
def organization(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organization, key=key)
    rules.ensure_current()
    units = list(org.units.annotate(n=Count("people")).order_by("name")[:500])
    people = Person.objects.filter(organization=org).select_related("unit").order_by("name")
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    kinds = dict(
        CustomerRelation.objects.filter(person__organization=org, is_customer=True)
        .values_list("kind")
        .annotate(n=Count("person", distinct=True))
    )
    return render(
        request,
        "directory/organization.html",
        {
            "org": org,
            "tree": _tree(units),
            "page": page,
            "kinds": [(k, label, kinds.get(k, 0)) for k, label in Kind.choices],
        },
    )

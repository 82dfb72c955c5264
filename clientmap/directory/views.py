"""Directory pages: organizations, their unit trees and people, and how many are customers."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from clientmap.core import hooks
from clientmap.core.csvfiles import csv_response
from clientmap.core.decorators import internal_required
from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Organization, Person, Unit


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@internal_required
def organizations(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = Organization.objects.all()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q))
    page = Paginator(qs.order_by("-is_home", "name", "pk"), 50).get_page(request.GET.get("page"))
    ids = [o.pk for o in page.object_list]
    people = dict(
        Person.objects.filter(organization_id__in=ids)
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("organization_id", "n")
    )
    units = dict(
        Unit.objects.filter(organization_id__in=ids)
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("organization_id", "n")
    )
    rows = [(o, people.get(o.pk, 0), units.get(o.pk, 0)) for o in page.object_list]
    return render(
        request,
        "directory/organizations.html",
        {"page": page, "rows": rows, "q": q, "query": _query_without_page(request)},
    )


def unit_tree(organization: Organization) -> list[dict]:
    """The organization's units as nested nodes ``{unit, people, children}``, roots first."""
    units = list(Unit.objects.filter(organization=organization).order_by("name"))
    people = dict(
        Person.objects.filter(organization=organization, unit__isnull=False)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("unit_id", "n")
    )
    nodes = {u.pk: {"unit": u, "people": people.get(u.pk, 0), "children": []} for u in units}
    roots = []
    for u in units:
        parent = nodes.get(u.parent_id) if u.parent_id else None
        # A parent outside this organization makes a root.
        (parent["children"] if parent else roots).append(nodes[u.pk])
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        seen.add(node["unit"].pk)
        stack.extend(node["children"])
    for pk, node in nodes.items():  # units caught in a parent cycle: list them flat
        if pk not in seen:
            roots.append({**node, "children": []})
    return roots


def customer_counts(organization: Organization, people_total: int) -> dict:
    """How many of the organization's people are customers, of which kind (distinct people)."""
    customer = Q(is_customer=True)
    agg = CustomerRelation.objects.filter(person__organization=organization).aggregate(
        customers=Count("person", filter=customer, distinct=True),
        active=Count("person", filter=customer & Q(active=True), distinct=True),
        prospects=Count("person", filter=Q(is_customer=False), distinct=True),
        **{
            f"kind_{k}": Count("person", filter=customer & Q(kind=k), distinct=True)
            for k in Kind.values
        },
    )
    agg["kinds"] = [(k, label, agg[f"kind_{k}"]) for k, label in Kind.choices]
    agg["nobody"] = people_total - agg["customers"]
    return agg


def _people_csv(org: Organization, qs) -> HttpResponse:
    """The organization's people for a spreadsheet, with how many teams count each a customer."""
    qs = qs.annotate(
        customer_of=Count("customer_relations", filter=Q(customer_relations__is_customer=True))
    )
    return csv_response(
        f"people-{org.key}",
        [_("person key"), _("name"), _("e-mail"), _("unit"), _("manager"), _("customer of teams")],
        (
            (
                p.key,
                p.name,
                p.email,
                p.unit.name if p.unit_id else "",
                p.manager.name if p.manager_id else "",
                p.customer_of,
            )
            for p in qs.iterator(chunk_size=2000)
        ),
    )


@internal_required
def organization(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organization, key=key)
    q = request.GET.get("q", "").strip()
    everyone = Person.objects.filter(organization=org)
    people_total = everyone.count()
    qs = everyone.select_related("unit", "manager")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q) | Q(email__icontains=q))
    if request.GET.get("format") == "csv":
        return _people_csv(org, qs.order_by("name", "pk"))
    page = Paginator(qs.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    teams = dict(
        CustomerRelation.objects.filter(
            person_id__in=[p.pk for p in page.object_list], is_customer=True
        )
        .values("person_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("person_id", "n")
    )
    rows = [(p, teams.get(p.pk, 0)) for p in page.object_list]
    return render(
        request,
        "directory/organization.html",
        {
            "org": org,
            "page": page,
            "rows": rows,
            "q": q,
            "query": _query_without_page(request),
            "people_total": people_total,
            "tree": unit_tree(org),
            "counts": customer_counts(org, people_total),
            "fit_badge": hooks.account_badge(org.pk),
        },
    )

"""Fill the hooks the lower layers read (``clientmap.core.hooks``), from ``FitConfig.ready``."""

from __future__ import annotations

from django.db.models import Exists, Value, When


def demand_weight_cases(voter, weights: dict) -> list:
    """Votes weighted by the fit group of the voter's organization: the group's extra weight
    (``voice.selectors.group_weights``) on top of what the vote weighs already (paying
    customer, customer, anyone). Clauses come first in voice's ``Case``, so each group with an
    extra weight gets one clause per base weight."""
    from clientmap.customers.models import CustomerRelation
    from clientmap.directory.models import Person
    from clientmap.fit import selectors
    from clientmap.voice.selectors import group_weights

    if selectors.latest() is None:
        return []
    paying = Exists(
        CustomerRelation.objects.filter(person=voter, is_customer=True, kind="external_paying")
    )
    customer = Exists(CustomerRelation.objects.filter(person=voter, is_customer=True))
    cases = []
    for group, extra in sorted(group_weights().items()):
        if not extra:
            continue
        member = Exists(
            Person.objects.filter(pk=voter, organization_id__in=selectors.org_ids_in_group(group))
        )
        cases += [
            When(member & paying, then=Value(weights["external_paying"] + extra)),
            When(member & customer, then=Value(weights["customer"] + extra)),
            When(member, then=Value(weights["other"] + extra)),
        ]
    return cases


def install() -> None:
    from clientmap.core import hooks
    from clientmap.fit import overview, selectors

    hooks.account_badges.provide(selectors.badges)
    hooks.fit_group_by_organization.provide(selectors.group_by_organization)
    hooks.revenue_by_organization.provide(selectors.revenue_by_organization)
    hooks.demand_weight_cases.provide(demand_weight_cases)
    hooks.overview.register(
        "fit",
        hooks.OverviewFigures(figures=overview.block, template="fit/_overview.html", order=50),
    )

"""Hooks and registries (clientmap/core/hooks.py): a lower layer reads what an upper one provides."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientmap.core import hooks
from clientmap.valuechain import feed
from clientmap.voice import selectors, services
from clientmap.voice.models import Wish
from tests import factories as f


@pytest.fixture
def provided():
    """Start from the defaults; give back the providers the installed apps set (fit's)."""
    touched = (
        hooks.fit_group_by_organization,
        hooks.revenue_by_organization,
        hooks.demand_weight_cases,
    )
    saved = [hook._provider for hook in touched]
    for hook in touched:
        hook.reset()
    yield
    for hook, provider in zip(touched, saved, strict=True):
        hook._provider = provider
    hooks.overview.unregister("test")


def test_a_hook_answers_its_default_until_provided(provided):
    assert feed.fit_group_by_organization() == {}
    assert feed.revenue_by_organization() == {}
    hooks.fit_group_by_organization.provide(lambda: {7: 1})
    hooks.revenue_by_organization.provide(lambda: {7: 10.0})
    assert feed.fit_group_by_organization() == {7: 1}
    assert feed.revenue_by_organization() == {7: 10.0}
    assert hooks.fit_group_by_organization.provided


def test_demand_weight_cases_weigh_a_vote_before_the_built_in_weights(home, provided):
    from django.db.models import Exists, OuterRef, Value, When

    from clientmap.directory.models import Person

    key = f.org(key="key-account")
    big = f.person(organization=key)
    wish = services.submit_wish(f.person(), "Weigh me")
    services.vote(wish, big)
    assert selectors.with_demand(Wish.objects.all()).get().demand == 1  # nobody special

    def key_accounts(voter: OuterRef, weights: dict) -> list:
        of_key = Person.objects.filter(pk=voter, organization__key="key-account")
        return [When(Exists(of_key), then=Value(10))]

    hooks.demand_weight_cases.provide(key_accounts)
    assert selectors.with_demand(Wish.objects.all()).get().demand == 10


def test_the_overview_merges_every_registered_area(client, home, provided):
    client.force_login(f.user("overview-staff", staff=True))
    areas = [type(i.figures).__name__ for i in hooks.overview]
    assert len(areas) >= 2  # customers and the value chain register themselves
    figures, _blocks = hooks.overview_figures()
    assert "customers" in figures and "unreached_teams" in figures
    hooks.overview.register("test", hooks.OverviewFigures(lambda: {"customers": 4242}, order=999))
    html = client.get(reverse("home")).content.decode()
    assert "4242" in html  # the later area's figure wins and reaches the page

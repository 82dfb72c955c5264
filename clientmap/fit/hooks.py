"""Fill the hooks the lower layers expose (called from ``FitConfig.ready``)."""

from __future__ import annotations


def install() -> None:
    from clientmap.core import hooks
    from clientmap.fit import selectors
    from clientmap.valuechain import feed
    from clientmap.voice import selectors as voice

    hooks.register_account_badges(selectors.badges)
    hooks.register_overview_block(
        hooks.OverviewBlock("fit/_overview.html", selectors.overview, order=50)
    )
    feed.fit_group_by_organization = selectors.group_by_organization
    feed.revenue_by_organization = selectors.revenue_by_organization
    if hasattr(voice, "register_group_source"):
        voice.register_group_source(selectors.org_ids_in_group)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuechainConfig(AppConfig):
    name = "clientmap.valuechain"
    verbose_name = _("Value chain")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clientmap.catalog.models import Consumption, Service
        from clientmap.core import hooks
        from clientmap.customers.models import RecomputeState
        from clientmap.directory.models import Organization, Team, Unit
        from clientmap.valuechain import graph, overview, selectors

        hooks.overview.register(
            "valuechain", hooks.OverviewFigures(selectors.overview_figures, order=20)
        )
        # "Where should we put our extra effort?" (fit adds key accounts as its own block, 65).
        hooks.overview.register(
            "effort",
            hooks.OverviewFigures(
                overview.effort,
                template="valuechain/_overview_effort.html",
                order=60,
                earlier=True,  # the people counts the customers block read
            ),
        )

        # A row the graph is made of changed: stale everywhere (the version, in the same
        # transaction) and dropped at once in this process.
        for model in (Consumption, Service, Unit, Organization, Team):
            post_save.connect(graph.changed, sender=model, dispatch_uid=f"vc-{model.__name__}-s")
            post_delete.connect(graph.changed, sender=model, dispatch_uid=f"vc-{model.__name__}-d")
        post_save.connect(graph.invalidate, sender=RecomputeState, dispatch_uid="vc-rs-s")
        post_delete.connect(graph.invalidate, sender=RecomputeState, dispatch_uid="vc-rs-d")

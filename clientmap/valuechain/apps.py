from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuechainConfig(AppConfig):
    name = "clientmap.valuechain"
    verbose_name = _("Value chain")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_save

        from clientmap.catalog.models import Consumption, Service
        from clientmap.core import derived, hooks
        from clientmap.customers.models import RecomputeState
        from clientmap.customers.summary import relations_rebuilt
        from clientmap.directory.models import Organization, Person, Team, Unit
        from clientmap.valuechain import graph, overview, reachsets, selectors

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

        # The reach sets (``reachsets``): made from the graph and the customer relations, and
        # the people's names, e-mail addresses and languages.
        derived.register(reachsets.TABLE, refresh=reachsets.refresh)
        for model in (Consumption, Service, Unit, Organization, Team):
            for signal, tag in ((post_save, "s"), (post_delete, "d")):
                signal.connect(
                    reachsets.mark_stale, sender=model, dispatch_uid=f"rs-{model.__name__}-{tag}"
                )
        relations_rebuilt.connect(reachsets.relations_rebuilt, dispatch_uid="rs-relations")
        pre_save.connect(reachsets.remember_person, sender=Person, dispatch_uid="rs-person-pre")
        post_save.connect(reachsets.person_saved, sender=Person, dispatch_uid="rs-person-s")
        post_delete.connect(reachsets.mark_stale, sender=Person, dispatch_uid="rs-person-d")

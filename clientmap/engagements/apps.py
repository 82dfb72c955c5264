from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "clientmap.engagements"
    verbose_name = _("Requests and involvement")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_save

        from clientmap.core import hooks
        from clientmap.engagements import figures, overview
        from clientmap.engagements.models import Request

        # The overview's request figures, stored per team (engagements.figures): every write
        # of a request brings its team's row current in the same transaction.
        pre_save.connect(figures.remember_team, sender=Request, dispatch_uid="figures-pre")
        post_save.connect(figures.request_changed, sender=Request, dispatch_uid="figures-save")
        post_delete.connect(figures.request_changed, sender=Request, dispatch_uid="figures-del")

        # "How well do we serve them?" (experience adds satisfaction as its own block, order 45).
        hooks.overview.register(
            "served",
            hooks.OverviewFigures(
                overview.served, template="engagements/_overview_served.html", order=40
            ),
        )

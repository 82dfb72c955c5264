from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "clientmap.engagements"
    verbose_name = _("Requests and involvement")

    def ready(self) -> None:
        from clientmap.core import hooks
        from clientmap.engagements import overview

        # "How well do we serve them?" (experience adds satisfaction as its own block, order 45).
        hooks.overview.register(
            "served",
            hooks.OverviewFigures(
                overview.served, template="engagements/_overview_served.html", order=40
            ),
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "clientmap.experience"
    verbose_name = _("Experience and satisfaction")

    def ready(self) -> None:
        from clientmap.core import hooks
        from clientmap.experience import selectors, signals  # noqa: F401

        hooks.overview.register(
            "experience",
            hooks.OverviewFigures(
                selectors.overview_figures, template="experience/_home.html", order=40
            ),
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "clientmap.experience"
    verbose_name = _("Experience and satisfaction")

    def ready(self) -> None:
        from clientmap.core import derived, hooks, jobs
        from clientmap.experience import selectors, services, signals, store  # noqa: F401

        # The satisfaction tables, stored so that a page sorts and pages them in SQL; brought
        # current by those pages (store.ensure_current), not by every page.
        derived.register(store.TABLE, parameters=store.parameters)

        # Survey mails go out as background jobs (a segment of thousands never holds a request).
        jobs.register(services.SEND_JOB, services.send_job, max_attempts=3)

        hooks.overview.register(
            "experience",
            hooks.OverviewFigures(
                selectors.overview_figures, template="experience/_home.html", order=40
            ),
        )

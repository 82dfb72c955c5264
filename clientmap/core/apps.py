from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientmap.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from clientmap.core import (
            converters,
            language,  # noqa: F401 — connects the login receiver
        )

        converters.register()

        from clientmap.core import audit

        audit.connect()

        from clientmap.core import derived, jobs

        # A whole rebuild a reader left to the background (derived.py, point 4).
        jobs.register("core.derived", derived.rebuild_job, max_attempts=3)

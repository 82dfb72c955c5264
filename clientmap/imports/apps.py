from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "clientmap.imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from clientmap.core import jobs
        from clientmap.imports import services

        # One attempt: a worker that dies mid-import leaves nothing (one transaction); the
        # reaper marks the import failed with the reason and the user retries it.
        jobs.register(
            "imports.run",
            services.run_job,
            max_attempts=1,
            on_failed=services.job_failed,
            on_requeued=services.job_requeued,
        )

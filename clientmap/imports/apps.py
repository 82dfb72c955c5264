from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "clientmap.imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # The imports layer writes every domain: each area's workbook files live in a module of
        # this package and are registered here (never by the domain app, which sits lower).
        from clientmap.core import jobs
        from clientmap.imports import accounts, services, touchpoints, valuechain_files, voice_files
        from clientmap.imports.workbook import register_after_write, register_section

        for section in [*voice_files.SECTIONS, *valuechain_files.SECTIONS, *accounts.SECTIONS]:
            register_section(section)

        from clientmap.imports import audit_hooks

        audit_hooks.connect()
        register_section(touchpoints.SECTION)
        register_after_write(touchpoints.after_import)

        # One attempt: a worker that dies mid-import leaves nothing (one transaction); the
        # reaper marks the import failed with the reason and the user retries it.
        jobs.register(
            "imports.run",
            services.run_job,
            max_attempts=1,
            on_failed=services.job_failed,
            on_requeued=services.job_requeued,
            committed=services.job_committed,
        )

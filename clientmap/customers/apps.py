from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientmap.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientmap.core import derived, hooks, jobs
        from clientmap.customers import overview, rules, signals  # noqa: F401

        derived.register(rules.TABLE, refresh=rules.refresh, parameters=rules.parameters)

        hooks.overview.register(
            "customers", hooks.OverviewFigures(overview.organization_overview, order=10)
        )

        def recompute(job, progress) -> dict:
            progress(step="recompute")
            return {"relations": rules.recompute()}

        # The daily lapse check: relations lapse with time (C1's window), so rebuild every day.
        jobs.register("customers.recompute", recompute, max_attempts=3, periodic="daily")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FitConfig(AppConfig):
    name = "clientmap.fit"
    verbose_name = _("Accounts and fit")

    def ready(self) -> None:
        from clientmap.core import derived, jobs
        from clientmap.fit import hooks, rules, signals

        # After the customer relations (registered first, by the customers app): fit reads them.
        derived.register(rules.TABLE, refresh=rules.refresh, parameters=rules.parameters)
        hooks.install()
        signals.install()  # every write of an input marks the placements stale

        def recompute(job, progress) -> dict:
            progress(step="recompute")
            return {"accounts": rules.recompute().accounts}

        # Each day's placements are made by the daily job, so no reader waits for them.
        jobs.register("fit.recompute", recompute, max_attempts=3, periodic="daily")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientmap.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientmap.core import derived, hooks
        from clientmap.customers import overview, rules, signals  # noqa: F401

        derived.register(rules.TABLE, refresh=rules.refresh, parameters=rules.parameters)

        hooks.overview.register(
            "customers", hooks.OverviewFigures(overview.organization_overview, order=10)
        )

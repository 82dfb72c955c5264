from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientmap.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientmap.core import hooks
        from clientmap.customers import overview, signals  # noqa: F401

        hooks.overview.register(
            "customers", hooks.OverviewFigures(overview.organization_overview, order=10)
        )

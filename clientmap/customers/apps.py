from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientmap.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientmap.customers import signals  # noqa: F401

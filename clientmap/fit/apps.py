from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FitConfig(AppConfig):
    name = "clientmap.fit"
    verbose_name = _("Accounts and fit")

    def ready(self) -> None:
        from clientmap.fit import hooks

        hooks.install()

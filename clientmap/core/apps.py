from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientmap.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from clientmap.core import converters

        converters.register()

        from clientmap.core import audit

        audit.connect()

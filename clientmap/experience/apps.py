from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "clientmap.experience"
    verbose_name = _("Experience and satisfaction")

    def ready(self) -> None:
        from clientmap.experience import signals  # noqa: F401

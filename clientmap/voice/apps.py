from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "clientmap.voice"
    verbose_name = _("Voice of the customer")

    def ready(self) -> None:
        from clientmap.core import hooks
        from clientmap.voice import overview

        # "What do they ask of us?": requests per team and the most wanted wishes.
        hooks.overview.register(
            "ask",
            hooks.OverviewFigures(overview.asks, template="voice/_overview_ask.html", order=30),
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "clientmap.voice"
    verbose_name = _("Voice of the customer")

    def ready(self) -> None:
        from clientmap.imports.workbook import register_section
        from clientmap.voice.workbook import SECTIONS

        for section in SECTIONS:
            register_section(section)

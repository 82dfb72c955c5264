from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "clientmap.imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from clientmap.imports.valuechain_files import SECTIONS
        from clientmap.imports.workbook import register_section

        for section in SECTIONS:
            register_section(section)

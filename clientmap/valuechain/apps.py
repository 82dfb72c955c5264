from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuechainConfig(AppConfig):
    name = "clientmap.valuechain"
    verbose_name = _("Value chain")

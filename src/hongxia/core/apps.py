from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hongxia.core"
    label = "core"
    verbose_name = _("Foundation")

    def ready(self) -> None:
        from hongxia.core import signals  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hongxia.core"
    label = "core"
    verbose_name = _("Foundation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from hongxia.core import signals

        # The region tree is reference data: loaded by a data migration, and put back after a
        # flush (which emits post_migrate, as it does for content types and permissions).
        post_migrate.connect(signals.ensure_regions, sender=self)
        post_migrate.connect(signals.ensure_version_triggers, sender=self)

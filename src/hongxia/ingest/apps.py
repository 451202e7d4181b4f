from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "hongxia.ingest"
    label = "ingest"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # A SQLite table rebuild drops the trigger that keeps import fingerprints honest.
        post_migrate.connect(_ensure_fingerprint_trigger, sender=self)


def _ensure_fingerprint_trigger(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from hongxia.ingest import fingerprints

    fingerprints.ensure(connections[using])

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


def _data_changed(sender: Any, **kwargs: Any) -> None:
    """A row behind some indicator changed: cached figures of every region are stale."""
    from hongxia.reports import selectors

    if sender in selectors.watched_models():
        selectors.bump_version()


class ReportsConfig(AppConfig):
    name = "hongxia.reports"
    label = "reports"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        autodiscover_modules("indicators")
        post_save.connect(_data_changed, dispatch_uid="reports-data-changed-save")
        post_delete.connect(_data_changed, dispatch_uid="reports-data-changed-delete")

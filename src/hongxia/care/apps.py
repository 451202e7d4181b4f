from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _drop_task_view(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from hongxia.care import taskview

    taskview.drop(using)


def _create_task_view(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from hongxia.care import taskview

    taskview.create(using)


class CareConfig(AppConfig):
    name = "hongxia.care"
    label = "care"
    verbose_name = _("Care and services")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        # The task view reads tables that migrations may rebuild: off during a migrate.
        pre_migrate.connect(_drop_task_view, sender=self)
        post_migrate.connect(_create_task_view, sender=self)

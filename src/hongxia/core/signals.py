"""Log-ins and log-outs go into the audit trail."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from hongxia.core import audit
from hongxia.core.models import AuditLog


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record_event(AuditLog.Action.LOGIN, actor=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record_event(AuditLog.Action.LOGOUT, actor=user)


def ensure_regions(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from hongxia.core.models import Region
    from hongxia.core.services import regions_load

    if not Region.objects.using(using).exists():
        regions_load()


def ensure_version_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Put back data-version triggers a migration lost (core.versions.ensure_triggers)."""
    from django.db import connections

    from hongxia.core import versions

    if "core_dataversion" in connections[using].introspection.table_names():
        versions.ensure_triggers(using)
